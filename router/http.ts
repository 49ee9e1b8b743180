import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { sendJson } from '@shop/observability';
import type { RouterContext } from './datasource';

export class BodyTooLargeError extends Error {}

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
  });
}

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

/** Hands one HTTP request to an Apollo Server (what `startStandaloneServer` does, without its server). */
export async function serveApollo(
  apollo: ApolloServer<RouterContext>,
  req: IncomingMessage,
  res: ServerResponse,
  context: RouterContext,
  maxBodyBytes: number,
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
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
      try {
        body = raw.length ? JSON.parse(raw) : undefined;
      } catch {
        sendGraphQLError(res, 400, 'Request body is not valid JSON', {
          code: 'BAD_REQUEST',
          requestId: context.requestId,
        });
        return;
      }
    } else {
      body = raw;
    }
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: async () => context,
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    // encoded once: res.end(string) would measure the string for content-length, then encode it
    const bytes = Buffer.from(response.body.string, 'utf8');
    res.setHeader('content-length', bytes.length);
    res.end(bytes);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
