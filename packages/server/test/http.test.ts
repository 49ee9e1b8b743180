import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, ClientGoneError, readBody } from '../src/http';

/** A server whose handler hands each request to the test (by a promise of readBody's outcome). */
let server: Server;
let port: number;
let next: ((read: { outcome: Promise<string> }) => void) | undefined;
/** How long the handler waits before reading (a request queued behind others). */
let readAfterMs = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    setTimeout(() => {
      const outcome = readBody(req, 1000);
      next?.({ outcome }); // wrapped: resolving with a promise would wait for it
      outcome.then(
        () => res.end('ok'),
        () => res.end(),
      );
    }, readAfterMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

/** Sends raw bytes, then optionally hangs up; resolves with readBody's outcome on the server. */
function send(raw: string, hangUp: boolean): Promise<{ outcome: Promise<string> }> {
  return new Promise((resolve) => {
    next = resolve;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(raw);
      if (hangUp) setTimeout(() => socket.destroy(), 50);
    });
    socket.on('error', () => {});
    socket.on('data', () => socket.end());
  });
}

const head = (length: number) =>
  `POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;

describe('readBody', () => {
  it('reads a whole body', async () => {
    const { outcome } = await send(`${head(11)}{"query":1}`, false);
    await expect(outcome).resolves.toBe('{"query":1}');
  });

  it('refuses a body over the limit', async () => {
    const { outcome } = await send(`${head(2000)}${'x'.repeat(2000)}`, false);
    await expect(outcome).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('fails when the client hangs up mid-body', async () => {
    const { outcome } = await send(`${head(100)}{"query":`, true);
    await expect(outcome).rejects.toThrow();
  });

  it('gives up on a request whose client left before it was read, instead of waiting forever', async () => {
    readAfterMs = 200; // the client hangs up after 50 ms
    try {
      const { outcome } = await send(`${head(11)}{"query":1}`, true);
      await expect(outcome).rejects.toBeInstanceOf(ClientGoneError);
    } finally {
      readAfterMs = 0;
    }
  });
});
