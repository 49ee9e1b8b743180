import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Per-request context, available anywhere below the HTTP handler (logs, error masking). */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export const currentRequestId = (): string | undefined => requestContext.getStore()?.requestId;

/** Accept a caller's request id only when it is short and harmless; otherwise make one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(header) ? header : randomUUID();
}

/**
 * Paths that must never reach a log line. Card numbers and CVCs are also never put in log
 * objects in the first place; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'resetToken',
  '*.resetToken',
  'resetUrl',
  '*.resetUrl',
  'card.number',
  '*.card.number',
  'cvc',
  '*.cvc',
  '*.*.cvc',
  'req.headers.authorization',
  'req.headers["x-router-secret"]',
  'headers.authorization',
  'headers["x-router-secret"]',
  'variables',
  '*.variables',
];

export function createLogger(
  options: { name: string; level?: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      base: { service: options.name },
    },
    destination,
  );
}
