import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, maskError } from '@shop/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { LiveSubscription } from './subscription';

/**
 * Apollo's multipart HTTP subscription protocol (what Apollo Client's HttpLink and Sandbox speak,
 * as @apollo/client 4 parses it in link/http/parseAndCheckHttpResponse.ts): a POST with
 * `Accept: multipart/mixed;subscriptionSpec="1.0"` answered 200 with
 * `content-type: multipart/mixed;boundary="graphql";subscriptionSpec=1.0`, then parts
 *
 *   \r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{"payload":{"data":…}}
 *
 * each one closed by the next boundary at once (the client yields a part when it reads the boundary
 * after it), `{}` every heartbeat (the client skips empty objects), and at the end either the final
 * boundary `\r\n--graphql--\r\n` (the subscription completes) or first a part
 * `{"payload":null,"errors":[…]}` (a transport-level error: the client reports it and the
 * subscription ends).
 */
export const MULTIPART_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0';
const BOUNDARY = '\r\n--graphql';
const PART_HEAD = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';

/** Whether an Accept header asks for Apollo's multipart subscriptions (subscriptionSpec 1.0). */
export function acceptsMultipartSubscriptions(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .some(
      (range) =>
        /^\s*multipart\/mixed\s*(;|$)/i.test(range) && /;\s*subscriptionSpec\s*=\s*"?1\.0"?/i.test(range),
    );
}

const HTTP_STATUS: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/**
 * A subscription refused before its stream starts (authentication, validation, limits): a plain
 * GraphQL error response, in application/graphql-response+json when the client accepts it (Apollo
 * Client reads its errors and codes whatever the status), else application/json.
 */
export function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  errors: GraphQLError[],
  requestId: string,
) {
  const code = String(errors[0]?.extensions.code ?? ErrorCode.BAD_REQUEST);
  const status = HTTP_STATUS[code] ?? 400;
  const type = /application\/graphql-response\+json/i.test(req.headers.accept ?? '')
    ? 'application/graphql-response+json; charset=utf-8'
    : 'application/json; charset=utf-8';
  const body = JSON.stringify({ errors: errors.map((e) => maskError(e.toJSON(), requestId)) });
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    // the edge may have said what was wrong with the token already (plugins/authentication.ts)
    ...(status === 401 && !res.hasHeader('www-authenticate') ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(body);
}

/** Waits until the response can take more, or the client is gone. */
const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });

/**
 * Streams one subscription as multipart parts until it ends (the final boundary) or fails (an
 * errors part, then the final boundary). The client going away ends the subscription.
 */
export async function streamMultipart(
  res: ServerResponse,
  subscription: LiveSubscription,
  heartbeatMs: number,
  requestId: string,
): Promise<void> {
  res.writeHead(200, {
    'content-type': MULTIPART_CONTENT_TYPE,
    'cache-control': 'no-cache, no-store',
    // proxies (nginx) must not buffer the parts
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  res.write(BOUNDARY);
  const write = async (json: string) => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.write(`${PART_HEAD}${json}${BOUNDARY}`)) await drained(res);
  };
  const heartbeat = setInterval(() => void write('{}'), heartbeatMs);
  const gone = () => void subscription.return();
  res.once('close', gone);
  try {
    for await (const result of subscription) {
      if (res.destroyed) break;
      await write(JSON.stringify({ payload: result }));
    }
  } catch (error) {
    const errors: GraphQLFormattedError[] = [
      maskError(
        error instanceof GraphQLError ? error.toJSON() : { message: 'Internal server error' },
        requestId,
      ),
    ];
    await write(JSON.stringify({ payload: null, errors }));
  } finally {
    clearInterval(heartbeat);
    res.off('close', gone);
    if (!res.destroyed && !res.writableEnded) res.end('--\r\n');
  }
}
