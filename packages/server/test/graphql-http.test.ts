import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { memoryLog, waitFor } from '@shop/testing';
import { createLogger } from '../src/logger';
import { ClientGoneError, createGraphQLHttpServer, requestListener } from '../src/http';

const logs = memoryLog();
const log = createLogger({ name: 'http-test', level: 'debug' }, logs.stream);

/** One keep-alive socket for every request: a second request shows whether the first left it usable. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  reusedSocket: boolean;
}

function post(port: number, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-1', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), reusedSocket: req.reusedSocket }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('createGraphQLHttpServer', () => {
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'hi' } },
  });
  let http: ReturnType<typeof createGraphQLHttpServer>;
  let port: number;

  beforeAll(async () => {
    await apollo.start();
    http = createGraphQLHttpServer({
      apollo,
      context: async () => ({}),
      routerSecret: 'the-router-secret-value',
      maxBodyBytes: 1000,
      log,
    });
    ({ port } = await http.listen(0));
  });

  afterAll(async () => {
    agent.destroy();
    await http.close();
    await apollo.stop();
  });

  const secret = { 'x-router-secret': 'the-router-secret-value' };

  it('answers a query', async () => {
    const res = await post(port, '{"query":"{ hello }"}', secret);
    expect(res).toMatchObject({ status: 200, body: { data: { hello: 'hi' } } });
  });

  it('refuses a request without the router secret: 403 FORBIDDEN', async () => {
    const res = await post(port, '{"query":"{ hello }"}');
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([
      {
        message: 'Forbidden: requests must come through the router',
        extensions: { code: 'FORBIDDEN', requestId: 'req-1' },
      },
    ]);
  });

  it('answers 413 to a body over the limit, drained: the connection serves the next request', async () => {
    const big = await post(port, JSON.stringify({ query: '{ hello }', padding: 'x'.repeat(50_000) }), secret);
    expect(big.status).toBe(413);
    expect(big.body.errors).toEqual([
      { message: 'Request body too large', extensions: { code: 'BAD_REQUEST', requestId: 'req-1' } },
    ]);
    const next = await post(port, '{"query":"{ hello }"}', secret);
    expect(next).toMatchObject({ status: 200, reusedSocket: true });
  });

  it('answers 400 BAD_REQUEST to a body that is not JSON', async () => {
    const res = await post(port, '{"query":', secret);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toEqual({
      message: 'Request body is not valid JSON',
      extensions: { code: 'BAD_REQUEST', requestId: 'req-1' },
    });
  });
});

describe('requestListener', () => {
  let server: Server;
  let port: number;
  let failure: Error;

  beforeAll(async () => {
    server = createServer(
      requestListener(log, async () => {
        throw failure;
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  it('answers a handler that fails with 500 INTERNAL_SERVER_ERROR and the request id, logged', async () => {
    failure = new Error('a bug');
    logs.lines.length = 0;
    const res = await post(port, '{}');
    expect(res.status).toBe(500);
    expect(res.body.errors).toEqual([
      { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' } },
    ]);
    expect(logs.lines.map((l) => JSON.parse(l).msg)).toEqual(['request failed']);
  });

  it('logs a client gone before its request was read at debug level only', async () => {
    failure = new ClientGoneError();
    logs.lines.length = 0;
    // nothing is answered: the request is abandoned once the failure is logged
    const req = request({ port, host: '127.0.0.1', path: '/graphql', method: 'POST' });
    req.on('error', () => {});
    req.end('{}');
    const lines = await waitFor(() => (logs.lines.length ? logs.lines : undefined));
    req.destroy();
    expect(lines.map((l) => (JSON.parse(l) as { level: number; msg: string }).level)).toEqual([20]);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'client gone before its request was read',
    ]);
  });
});
