import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLargeError, listening, readBody, requestListener, sendJson, type Logger } from '@shop/server';
import type { Money } from './models';
import { challengePage, notFoundPage, resultPage } from './page';
import type { ChargeOutcome, TestProcessor } from './processor';

export interface ServerDeps {
  processor: TestProcessor;
  secretKey: string;
  log: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  ready?: () => boolean;
}

/** The CORS headers of the public endpoints (the tokenisation endpoint, the authentication page). */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const sendError = (res: ServerResponse, error: RequestError, headers: Record<string, string> = {}) =>
  sendJson(
    res,
    error.status,
    { error: { type: error.type, message: error.message, ...error.extra } },
    headers,
  );

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The Bearer key, compared in constant time (over digests, so lengths do not leak either). */
function authorized(header: string | undefined, secretKey: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  return !!match && timingSafeEqual(digest(match[1]!), digest(secretKey));
}

type Body = Record<string, unknown>;

/** A path segment naming a charge; a malformed escape names none. */
function pathId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError(404, 'not_found', 'No such charge');
  }
}

async function readJson(req: IncomingMessage, limit: number): Promise<Body> {
  let raw: string;
  try {
    raw = await readBody(req, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      throw new RequestError(413, 'invalid_request', 'The request body is too large');
    throw error;
  }
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  let body: unknown;
  try {
    body = raw.length ? JSON.parse(raw) : {};
  } catch {
    throw new RequestError(400, 'invalid_request', 'The request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RequestError(400, 'invalid_request', 'The request body must be a JSON object');
  return body as Body;
}

const text = (body: Body, field: string, max = 200): string => {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new RequestError(400, 'invalid_request', `${field} must be a string of 1 to ${max} characters`, {
      field,
    });
  return value;
};

/** The charge's description: optional, at most 1000 characters (empty allowed). */
function description(body: Body): string {
  const value = body.description ?? '';
  if (typeof value !== 'string' || value.length > 1000)
    throw new RequestError(
      400,
      'invalid_request',
      'description must be a string of at most 1000 characters',
      {
        field: 'description',
      },
    );
  return value;
}

function money(body: Body, positive: boolean): Money {
  const value = body.amount as Partial<Money> | undefined;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger(value.amount) &&
    (!positive || (value.amount as number) > 0) &&
    typeof value.currency === 'string' &&
    /^[A-Z]{3}$/.test(value.currency);
  if (!ok)
    throw new RequestError(
      400,
      'invalid_request',
      'amount must be { amount: integer minor units, currency: ISO-4217 }',
      {
        field: 'amount',
      },
    );
  return { amount: value.amount as number, currency: value.currency as string };
}

function idempotencyKey(req: IncomingMessage): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key))
    throw new RequestError(
      400,
      'invalid_request',
      'The Idempotency-Key header is required (1-255 printable characters)',
    );
  return key;
}

function chargeAnswer(res: ServerResponse, outcome: ChargeOutcome) {
  if (outcome.kind === 'charge') return sendJson(res, 200, outcome.charge);
  const status = { invalid_token: 400, idempotency_key_reused: 409, processor_unavailable: 503 }[
    outcome.kind
  ];
  sendError(res, new RequestError(status, outcome.kind, outcome.message));
}

const sendHtml = (res: ServerResponse, status: number, html: string) => {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...CORS,
  });
  res.end(html);
};

/** The test PSP's HTTP API (docs/payment-provider.md) on plain node:http. */
export function createServer(deps: ServerDeps) {
  const { processor, log } = deps;
  const limit = deps.maxBodyBytes ?? 16_384;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const segments = path.split('/').filter(Boolean);
    const isPublic = path === '/v1/tokens' || (segments[0] === 'v1' && segments[1] === 'authentications');

    if (method === 'OPTIONS' && isPublic) {
      res.writeHead(204, CORS);
      return res.end();
    }
    if (method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/readyz') {
      const ok = deps.ready?.() ?? true;
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    }

    if (path === '/v1/tokens') {
      if (method !== 'POST') throw new RequestError(405, 'method_not_allowed', 'Use POST');
      const body = await readJson(req, limit);
      const card = body.card;
      if (typeof card !== 'object' || card === null || Array.isArray(card))
        throw new RequestError(400, 'invalid_request', 'card must be an object', { field: 'card' });
      const result = processor.createToken(card as Body);
      if (!result.ok)
        throw new RequestError(400, 'invalid_card', result.message, {
          field: result.field,
          reason: result.reason,
        });
      log.info({ tokenId: result.token.id, brand: result.token.card.brand }, 'token created');
      return sendJson(res, 201, result.token, CORS);
    }

    if (segments[0] === 'v1' && segments[1] === 'authentications' && segments.length === 3) {
      const chargeId = pathId(segments[2]!);
      if (method === 'GET') {
        const charge = processor.retrieve(chargeId);
        if (!charge) return sendHtml(res, 404, notFoundPage());
        if (charge.status !== 'requires_action') return sendHtml(res, 409, resultPage(charge, false));
        return sendHtml(res, 200, challengePage(charge));
      }
      if (method !== 'POST') throw new RequestError(405, 'method_not_allowed', 'Use GET or POST');
      const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const body = await readJson(req, limit);
      if (body.result !== 'succeed' && body.result !== 'fail')
        throw new RequestError(400, 'invalid_request', 'result must be "succeed" or "fail"', {
          field: 'result',
        });
      const outcome = processor.completeAuthentication(chargeId, body.result);
      if (outcome.kind === 'not_found') {
        if (form) return sendHtml(res, 404, notFoundPage());
        throw new RequestError(404, 'not_found', 'No such charge');
      }
      log.info({ chargeId, result: body.result, status: outcome.charge.status }, 'authentication answered');
      const status = outcome.kind === 'charge' ? 200 : 409;
      if (form) return sendHtml(res, status, resultPage(outcome.charge, outcome.kind === 'charge'));
      if (outcome.kind === 'not_pending')
        throw new RequestError(409, 'authentication_not_pending', 'The authentication is expired or final', {
          charge: outcome.charge,
        });
      return sendJson(res, 200, outcome.charge, CORS);
    }

    if (segments[0] !== 'v1') throw new RequestError(404, 'not_found', 'No such route');
    if (!authorized(req.headers.authorization, deps.secretKey))
      throw new RequestError(
        401,
        'unauthorized',
        'A valid Authorization: Bearer <PSP_SECRET_KEY> is required',
      );

    if (path === '/v1/charges' && method === 'POST') {
      const key = idempotencyKey(req);
      const body = await readJson(req, limit);
      const request = {
        idempotencyKey: key,
        token: text(body, 'token', 100),
        amount: money(body, true),
        paymentId: text(body, 'paymentId'),
        orderId: text(body, 'orderId'),
        description: description(body),
      };
      const outcome = await processor.charge(request);
      log.info(
        outcome.kind === 'charge'
          ? { chargeId: outcome.charge.id, paymentId: request.paymentId, status: outcome.charge.status }
          : { paymentId: request.paymentId, error: outcome.kind },
        'charge answered',
      );
      return chargeAnswer(res, outcome);
    }
    if (segments[1] === 'charges' && segments.length >= 3 && segments.length <= 4) {
      const chargeId = pathId(segments[2]!);
      if (segments.length === 3 && method === 'GET') {
        const charge = processor.retrieve(chargeId);
        if (!charge) throw new RequestError(404, 'not_found', 'No such charge');
        return sendJson(res, 200, charge);
      }
      if (segments[3] === 'cancel' && method === 'POST') {
        const charge = processor.cancel(chargeId);
        if (!charge) throw new RequestError(404, 'not_found', 'No such charge');
        log.info({ chargeId, status: charge.status }, 'charge cancel answered');
        return sendJson(res, 200, charge);
      }
    }
    if (path === '/v1/refunds' && method === 'POST') {
      const key = idempotencyKey(req);
      const body = await readJson(req, limit);
      const outcome = processor.refund({
        idempotencyKey: key,
        charge: text(body, 'charge', 100),
        amount: money(body, false),
        paymentId: text(body, 'paymentId'),
      });
      if (outcome.kind !== 'refund')
        throw new RequestError(outcome.kind === 'refund_refused' ? 400 : 503, outcome.kind, outcome.message);
      log.info({ refundId: outcome.refund.id, chargeId: outcome.refund.charge }, 'refund answered');
      const { id, charge, amount, paymentId, created } = outcome.refund;
      return sendJson(res, 200, { id, charge, amount, paymentId, created });
    }
    if (path === '/v1/ledger' && method === 'GET') return sendJson(res, 200, processor.ledger());
    if (path === '/v1/test/outage' && method === 'POST') {
      const body = await readJson(req, limit);
      for (const flag of ['charges', 'refunds'] as const)
        if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
          throw new RequestError(400, 'invalid_request', `${flag} must be a boolean`, { field: flag });
      processor.setOutage(body as { charges?: boolean; refunds?: boolean });
      log.warn({ charges: processor.chargesDown, refunds: processor.refundsDown }, 'outage flags set');
      return sendJson(res, 200, { charges: processor.chargesDown, refunds: processor.refundsDown });
    }
    throw new RequestError(404, 'not_found', 'No such route');
  };

  const server = createHttpServer(
    requestListener(log, async (req, res) => {
      try {
        await handle(req, res);
      } catch (error) {
        if (!(error instanceof RequestError)) throw error;
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const cors = path === '/v1/tokens' || path.startsWith('/v1/authentications/') ? CORS : {};
        sendError(res, error, cors);
      }
    }),
  );
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;

  return { server, ...listening(server) };
}
