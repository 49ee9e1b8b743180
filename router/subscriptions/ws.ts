import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { maskError } from '@shop/errors';
import type { Logger } from '@shop/server';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import {
  GraphQLError,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
} from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionAuth } from './auth';
import type { Connection, SubscriptionHub } from './hub';
import type { SubscribeRequest } from './operation';
import type { LiveSubscription } from './subscription';

/** The WebSocket close code of a server going down (RFC 6455): graphql-ws clients reconnect after it. */
export const GOING_AWAY = 1001;

/** What the router keeps per WebSocket connection (graphql-ws's `extra`). */
interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  connection: Connection;
  requestId: string;
  clientAddress: string | undefined;
  auth: ConnectionAuth;
}

export interface WebSocketTransportOptions {
  hub: SubscriptionHub;
  log: Logger;
  /** Ping interval; a connection that has not answered the previous ping by the next is closed. */
  heartbeatMs: number;
  /** Largest message a client may send (MAX_BODY_BYTES); a larger one closes the connection (1009). */
  maxPayload: number;
  authenticate(authorization: string | undefined): Promise<ConnectionAuth>;
  subscribe(
    connection: Connection,
    auth: ConnectionAuth,
    request: SubscribeRequest,
    clientAddress: string | undefined,
  ): LiveSubscription | GraphQLError[];
  clientAddress(req: IncomingMessage): string | undefined;
  requestId(req: IncomingMessage): string;
}

/** An Authorization value from connectionParams (any letter case of the key), else the upgrade request's header. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage) {
  for (const [key, value] of Object.entries(params ?? {})) {
    if (key.toLowerCase() === 'authorization' && typeof value === 'string' && value) return value;
  }
  return request.headers.authorization;
}

/** Answers an upgrade request that is not taken with an HTTP status and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ errors: [{ message }] });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
      'content-type: application/json\r\nconnection: close\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * graphql-ws (subprotocol graphql-transport-ws) on the router's HTTP server, with `ws`: the
 * graphql-ws server core (makeServer) driven here rather than through graphql-ws's `useServer`, so
 * that keep-alive, logging and shutdown are the router's. The token is checked on connection_init
 * (connectionParams.authorization, else the upgrade's Authorization header); each subscribe is
 * refused (an `error` message) or becomes a LiveSubscription; stop() closes every socket with 1001
 * "Going away", which graphql-ws clients answer by reconnecting and subscribing again.
 */
export function webSocketTransport(options: WebSocketTransportOptions) {
  const { hub, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    handleProtocols,
    perMessageDeflate: false,
    clientTracking: true,
  });
  let stopping = false;

  const server = makeServer<Record<string, unknown>, Extra>({
    connectionInitWaitTimeout: 3_000,
    async onConnect(ctx: Context<Record<string, unknown>, Extra>) {
      const authorization = authorizationOf(ctx.connectionParams, ctx.extra.request);
      ctx.extra.auth = await options.authenticate(authorization);
      return true;
    },
    onSubscribe(ctx, _id, payload) {
      const outcome = options.subscribe(
        ctx.extra.connection,
        ctx.extra.auth,
        payload,
        ctx.extra.clientAddress,
      );
      if (Array.isArray(outcome)) return outcome;
      const { prepared } = outcome;
      const args: ExecutionArgs = {
        schema: undefined as never,
        document: prepared.document,
        variableValues: prepared.variables,
        contextValue: { live: outcome },
        ...(prepared.operationName ? { operationName: prepared.operationName } : {}),
      };
      return args;
    },
    // the LiveSubscription made by onSubscribe is the operation's stream; its payloads are
    // formatted (and masked) already, and onNext sends them as they are
    subscribe: (args) =>
      (args.contextValue as { live: LiveSubscription }).live as unknown as AsyncIterable<ExecutionResult>,
    onNext: (_ctx, _id, _payload, _args, result) => result as unknown as FormattedExecutionResult,
    onError: (ctx, _id, _payload, errors) =>
      errors.map((error) => maskError(error.toJSON(), ctx.extra.requestId)),
    onClose(ctx) {
      hub.close(ctx.extra.connection);
    },
  });

  const accept = (ws: WebSocket, request: IncomingMessage, connection: Connection) => {
    const requestId = options.requestId(request);
    let answered = true;
    const ping = setInterval(() => {
      if (!answered) {
        log.debug({ requestId }, 'subscription socket missed its pong; closing');
        ws.terminate();
        return;
      }
      answered = false;
      ws.ping();
    }, options.heartbeatMs);
    ws.on('pong', () => (answered = true));
    ws.on('error', (err) => log.debug({ err, requestId }, 'subscription socket error'));
    const closed = server.opened(
      {
        protocol: ws.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (ws.readyState !== ws.OPEN) return resolve();
            ws.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => ws.close(code, reason),
        onMessage: (cb) =>
          ws.on('message', (data: Buffer) => {
            cb(data.toString('utf8')).catch((err: unknown) => {
              log.error({ err, requestId }, 'subscription message failed');
              ws.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      {
        socket: ws,
        request,
        connection,
        requestId,
        clientAddress: options.clientAddress(request),
        auth: { kind: 'anonymous' },
      },
    );
    ws.once('close', (code, reason) => {
      clearInterval(ping);
      hub.close(connection);
      closed(code, reason.toString('utf8')).catch((err: unknown) =>
        log.error({ err, requestId }, 'subscription socket cleanup failed'),
      );
    });
  };

  return {
    /** Takes an upgrade request of a subscription path (503 at the connection limit; closed with 1001 while stopping). */
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      if (stopping) {
        // taken and closed with 1001 at once: graphql-ws clients retry after a close event, not
        // after a refused upgrade (an error event)
        wss.handleUpgrade(req, socket, head, (ws) => ws.close(GOING_AWAY, 'Going away'));
        return;
      }
      const connection = hub.open('websocket');
      if (connection instanceof GraphQLError) return refuseUpgrade(socket, 503, connection.message);
      let upgraded = false;
      // a request ws refuses (not a valid upgrade) never reaches the callback: forget its connection
      socket.once('close', () => {
        if (!upgraded) hub.close(connection);
      });
      wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        accept(ws, req, connection);
      });
    },
    /** Open WebSocket connections. */
    size: () => wss.clients.size,
    /**
     * Closes every socket with 1001 "Going away" (their subscriptions end), waits up to `timeoutMs`
     * for the closing handshakes, then drops what is left.
     */
    async stop(timeoutMs: number): Promise<void> {
      stopping = true;
      const sockets = [...wss.clients];
      const closed = sockets.map(
        (ws) =>
          new Promise<void>((resolve) =>
            ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()),
          ),
      );
      for (const ws of sockets) ws.close(GOING_AWAY, 'Going away');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type WebSocketTransport = ReturnType<typeof webSocketTransport>;
