import { ApolloServer } from '@apollo/server';
import { memoryLog } from '@shop/testing';
import { createLogger } from '../src/logger';
import { BodyTooLargeError, createGraphQLHttpServer, readRawBody, sendJson } from '../src/http';

const logs = memoryLog();
const log = createLogger({ name: 'http-routes-test', level: 'debug' }, logs.stream);

/** Extra routes by method ('POST /path'), and readRawBody's bytes as they came. */
describe('createGraphQLHttpServer routes', () => {
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'hi' } },
  });
  let http: ReturnType<typeof createGraphQLHttpServer>;
  let base: string;

  beforeAll(async () => {
    await apollo.start();
    http = createGraphQLHttpServer({
      apollo,
      context: async () => ({}),
      log,
      routes: {
        '/info': ({ res }) => sendJson(res, 200, { route: 'GET /info' }),
        'POST /hook': async ({ req, res }) => {
          try {
            const raw = await readRawBody(req, 16);
            sendJson(res, 200, { hex: raw.toString('hex') });
          } catch (error) {
            if (!(error instanceof BodyTooLargeError)) throw error;
            sendJson(res, 413, { error: 'too large' });
          }
        },
      },
    });
    const { port } = await http.listen(0);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await http.close();
    await apollo.stop();
  });

  it('a bare path is a GET route only; a method-qualified path is that method only', async () => {
    expect((await fetch(`${base}/info`)).status).toBe(200);
    expect((await fetch(`${base}/info`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/hook`)).status).toBe(404);
    expect((await fetch(`${base}/hook`, { method: 'PUT', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/hook?x=1`, { method: 'POST', body: 'ab' })).status).toBe(200);
  });

  it('readRawBody hands over the bytes untouched (invalid UTF-8 included) and refuses more than the limit', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0xc3]);
    const res = await fetch(`${base}/hook`, { method: 'POST', body: bytes });
    expect(await res.json()).toEqual({ hex: 'fffe0041c3' });
    expect((await fetch(`${base}/hook`, { method: 'POST', body: 'x'.repeat(17) })).status).toBe(413);
  });
});
