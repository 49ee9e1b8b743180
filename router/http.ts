import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { executeApollo, parseGraphQLBody, sendJson } from '@shop/server';
import type { RouterContext } from './datasource';

export class BodyTooLargeError extends Error {}

/**
 * Reads a request body, refusing one over `limit` bytes. Unlike the subgraphs' reader, an oversized
 * body is drained, never destroyed: clients keep connections to the gateway alive, and a socket cut
 * mid-upload would fail their next request on that connection (the security suite's 2 MB document
 * followed by a 50 kB one showed it).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    // a client gone before its body was read: no 'end' will come (after 'end' this changes nothing)
    if (req.destroyed) reject(new ClientGoneError());
    req.on('close', () => reject(new ClientGoneError()));
  });
}

/** The client closed the connection before its request was complete. */
export class ClientGoneError extends Error {}

/** A GraphQL-over-HTTP error response, shaped like Apollo's own. */
export function sendGraphQLError(
  res: ServerResponse,
  status: number,
  message: string,
  extensions: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { errors: [{ message, extensions }] }, headers);
}

/** The `query` of a GraphQL-over-HTTP request: the JSON body's, or the URL's for a GET. */
function queryOf(body: unknown, url: URL): string | undefined {
  const query =
    body && typeof body === 'object' ? (body as { query?: unknown }).query : url.searchParams.get('query');
  return typeof query === 'string' ? query : undefined;
}

/**
 * Hands one HTTP request to an Apollo Server (what `startStandaloneServer` does, without its server).
 * A body over `maxBodyBytes` is 413; a query document over `maxQueryBytes` is refused here, before
 * it is parsed and validated (400 `BAD_USER_INPUT`, `limit: size`, like the limits plugin).
 */
export async function serveApollo(
  apollo: ApolloServer<RouterContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: RouterContext,
  maxBodyBytes: number,
  maxQueryBytes = Infinity,
): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    let raw: string;
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendGraphQLError(res, 413, `Request body exceeds ${maxBodyBytes} bytes`, {
          code: 'BAD_REQUEST',
          requestId: context.requestId,
        });
        return;
      }
      throw error;
    }
    const parsed = parseGraphQLBody(raw, req.headers['content-type']);
    if (!parsed.ok) {
      sendGraphQLError(res, 400, 'Request body is not valid JSON', {
        code: 'BAD_REQUEST',
        requestId: context.requestId,
      });
      return;
    }
    body = parsed.body;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = queryOf(body, url);
  const queryBytes = query === undefined ? 0 : Buffer.byteLength(query, 'utf8');
  if (queryBytes > maxQueryBytes) {
    sendGraphQLError(res, 400, `Query document is ${queryBytes} bytes; the limit is ${maxQueryBytes}`, {
      code: 'BAD_USER_INPUT',
      limit: 'size',
      requestId: context.requestId,
    });
    return;
  }
  await executeApollo(apollo, req, res, body, async () => context);
}
