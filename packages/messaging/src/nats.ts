import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { z } from 'zod';
import type { NatsNames } from './names';

export type { NatsConnection, JetStreamClient, JsMsg };

/** Minimal logger shape (pino's) so this package does not depend on the logger implementation. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  const u = new URL(url);
  return connect({
    servers: `${u.hostname}:${u.port || 4222}`,
    name,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    pass: u.password ? decodeURIComponent(u.password) : undefined,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
}

/** JetStream's duplicate window: a re-send with the same Nats-Msg-Id inside it is dropped. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Creates (or updates) every stream of the system. Idempotent; every service calls it at start. */
export async function ensureStreams(nc: NatsConnection, names: NatsNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const streams = [
    {
      name: names.streams.payments,
      subjects: [names.events.paymentsSucceeded, names.events.paymentsFailed, names.events.paymentsRefunded],
    },
    {
      name: names.streams.orders,
      subjects: [
        names.events.ordersPaid,
        names.events.ordersCancelled,
        names.events.ordersRefundRequested,
        names.events.ordersRefunded,
        names.events.ordersFulfilled,
        names.events.ordersDelivered,
        names.events.ordersPlaced,
      ],
    },
    {
      name: names.streams.notifications,
      subjects: [names.events.notificationsSent],
    },
    {
      name: names.streams.deadLetters,
      subjects: [
        names.events.notificationsDeadLetter,
        names.events.ordersDeadLetter,
        names.events.productsDeadLetter,
        names.events.paymentsDeadLetter,
      ],
    },
  ];
  for (const stream of streams) {
    const config = {
      name: stream.name,
      subjects: stream.subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(7 * 24 * 3600_000),
    };
    try {
      await jsm.streams.info(stream.name);
      await jsm.streams.update(stream.name, config);
    } catch {
      await jsm.streams.add(config);
    }
  }
}

/** Publishes an event with Nats-Msg-Id so that the stream drops a duplicate inside its window. */
export async function publishEvent(
  js: JetStreamClient,
  subject: string,
  msgId: string,
  payload: unknown,
): Promise<{ seq: number; duplicate: boolean }> {
  const ack = await js.publish(subject, JSON.stringify(payload), { msgID: msgId });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

/** A command that could not reach its service (timeout, no responders, connection down). */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(`service ${subject} did not answer`, { cause });
    this.name = 'ServiceUnavailableError';
  }
}

/** Sends a command and validates the reply against its contract. */
export async function request<Req, Res extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  body: Req,
  replySchema: Res,
  timeoutMs = 3000,
): Promise<z.infer<Res>> {
  let reply;
  try {
    reply = await nc.request(subject, JSON.stringify(body), { timeout: timeoutMs });
  } catch (error) {
    throw new ServiceUnavailableError(subject, error);
  }
  const errorHeader = reply.headers?.get('Nats-Service-Error');
  if (errorHeader) throw new ServiceUnavailableError(subject, new Error(errorHeader));
  return replySchema.parse(reply.json());
}

export interface EndpointDefinition<S extends z.ZodType> {
  name: string;
  subject: string;
  schema: S;
  handler: (request: z.infer<S>) => Promise<unknown>;
}

/** Shorthand that keeps the request type tied to its schema. */
export function endpoint<S extends z.ZodType>(definition: EndpointDefinition<S>): EndpointDefinition<S> {
  return definition;
}

/**
 * Serves request-reply endpoints as queue subscriptions (every instance of a service joins the
 * same queue group, so several instances share the load). We use plain subscriptions rather than
 * `@nats-io/services`: its only release for the v3 line is a pre-release pinned to an older
 * `@nats-io/nats-core`, which would put two NATS client cores in one process.
 * An invalid request gets `{ ok: false, code: 'INVALID_REQUEST' }`; a handler that throws answers
 * with a `Nats-Service-Error` header (the requester sees ServiceUnavailableError).
 */
export function serveEndpoints(
  nc: NatsConnection,
  service: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  endpoints: EndpointDefinition<any>[],
  log: Log,
): { stop(): Promise<void> } {
  const subscriptions = endpoints.map((ep) =>
    nc.subscribe(ep.subject, {
      queue: service,
      callback: (err, msg) => {
        if (err) {
          log.error({ err, subject: ep.subject }, 'service endpoint error');
          return;
        }
        void (async () => {
          let input: unknown;
          try {
            input = msg.json();
          } catch {
            msg.respond(JSON.stringify({ ok: false, code: 'INVALID_REQUEST', message: 'body is not JSON' }));
            return;
          }
          const parsed = ep.schema.safeParse(input);
          if (!parsed.success) {
            const message = parsed.error.issues
              .map((i: z.core.$ZodIssue) => `${i.path.join('.')}: ${i.message}`)
              .join('; ');
            msg.respond(JSON.stringify({ ok: false, code: 'INVALID_REQUEST', message }));
            return;
          }
          try {
            msg.respond(JSON.stringify(await ep.handler(parsed.data)));
          } catch (error) {
            log.error({ err: error, subject: ep.subject }, 'service handler failed');
            const h = headers();
            h.set('Nats-Service-Error', 'internal error');
            h.set('Nats-Service-Error-Code', '500');
            msg.respond('', { headers: h });
          }
        })();
      },
    }),
  );
  return {
    stop: async () => {
      for (const sub of subscriptions) sub.unsubscribe();
    },
  };
}

export interface DurableConsumerOptions<S extends z.ZodType> {
  stream: string;
  durable: string;
  filterSubjects: string[];
  schema: S;
  /** Total deliveries before the message goes to the dead-letter subject. */
  maxDeliver?: number;
  /** How many events are handled at once (default 16). */
  concurrency?: number;
  /** Redelivery delays in ms; the last one repeats. */
  backoffMs?: number[];
  /** Where a message goes after its last failed delivery. */
  deadLetterSubject: string;
  handler: (event: z.infer<S>, msg: JsMsg) => Promise<void>;
  /**
   * Called once before a message is published to the dead-letter subject, e.g. to mark the record
   * FAILED. `event` is undefined when the message did not match the schema. A hook that throws is
   * logged and does not stop the dead-lettering.
   */
  onDeadLetter?: (event: z.infer<S> | undefined, reason: string, msg: JsMsg) => Promise<void>;
  log: Log;
}

/**
 * A durable pull consumer with explicit acks. The handler runs once per delivery; on success the
 * message is acked (and the ack confirmed), on failure it is nak'ed with backoff, and after the last
 * delivery it is published to the dead-letter subject (with the reason) and terminated. A message
 * that does not match the schema goes to the dead-letter subject at once.
 */
export async function consumeDurable<S extends z.ZodType>(
  nc: NatsConnection,
  opts: DurableConsumerOptions<S>,
): Promise<{ stop(): Promise<void> }> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const maxDeliver = opts.maxDeliver ?? 8;
  const backoff = opts.backoffMs ?? [500, 1000, 2000, 5000, 10_000];
  // nats-server 2.9 knows only the single filter_subject; filter_subjects needs 2.10. Several
  // subjects that together cover the whole stream need no filter at all (so 2.9 serves them too).
  let filter: { filter_subject?: string; filter_subjects?: string[] } = {
    filter_subjects: opts.filterSubjects,
  };
  if (opts.filterSubjects.length === 1) {
    filter = { filter_subject: opts.filterSubjects[0] };
  } else {
    const streamSubjects = (await jsm.streams.info(opts.stream)).config.subjects ?? [];
    if (streamSubjects.every((subject) => opts.filterSubjects.includes(subject))) filter = {};
  }
  const config = {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ...filter,
    max_deliver: maxDeliver,
    ack_wait: nanos(30_000),
  };
  try {
    await jsm.consumers.info(opts.stream, opts.durable);
    await jsm.consumers.update(opts.stream, opts.durable, config);
  } catch {
    await jsm.consumers.add(opts.stream, config);
  }
  const consumer = await js.consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: 64 });

  const deadLetter = async (msg: JsMsg, reason: string, event?: z.infer<S>) => {
    if (opts.onDeadLetter) {
      await opts.onDeadLetter(event, reason, msg).catch((error: unknown) => {
        opts.log.error({ err: error, subject: msg.subject, seq: msg.seq }, 'dead-letter hook failed');
      });
    }
    const letter = {
      stream: opts.stream,
      subject: msg.subject,
      consumer: opts.durable,
      deliveries: msg.info.deliveryCount,
      reason,
      data: msg.string(),
      failedAt: new Date().toISOString(),
    };
    await js.publish(opts.deadLetterSubject, JSON.stringify(letter), {
      msgID: `${opts.durable}:${msg.info.streamSequence}`,
    });
    // Plain +TERM: nats-server 2.9 does not understand "+TERM <reason>" and would leave the
    // message pending; the reason travels in the dead letter instead.
    msg.term();
    opts.log.error({ subject: msg.subject, seq: msg.seq, reason }, 'event dead-lettered');
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    let event: z.infer<S>;
    try {
      event = opts.schema.parse(msg.json());
    } catch (error) {
      await deadLetter(msg, `malformed event: ${(error as Error).message}`).catch(() => msg.nak(1000));
      return;
    }
    try {
      await opts.handler(event, msg);
      await msg.ackAck().catch(() => false);
    } catch (error) {
      const deliveries = msg.info.deliveryCount;
      const reason = (error as Error).message ?? String(error);
      if (deliveries >= maxDeliver) {
        await deadLetter(msg, reason, event).catch(() => msg.nak(backoff.at(-1)));
      } else {
        const delay = backoff[Math.min(deliveries - 1, backoff.length - 1)] ?? 1000;
        opts.log.warn(
          { subject: msg.subject, seq: msg.seq, deliveries, delay, reason },
          'event handling failed; will retry',
        );
        msg.nak(delay);
      }
    }
  };

  // Up to `concurrency` events are handled at once: handlers are idempotent per event and do their
  // own locking, so one slow event (an SMTP round trip, a busy database) does not queue the rest.
  const concurrency = opts.concurrency ?? 16;
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    for await (const msg of messages) {
      const running: Promise<void> = handle(msg).finally(() => inFlight.delete(running));
      inFlight.add(running);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  return {
    stop: async () => {
      await messages.close();
      await done;
    },
  };
}

export { headers, jetstream, jetstreamManager };
