import { ErrorCode } from '@shop/errors';
import { GraphQLError } from 'graphql';
import type { LiveEvent } from './events';
import type { LiveSubscription } from './subscription';

export interface HubLimits {
  perConnection: number;
  perUser: number;
  connections: number;
}

/** One client connection: a WebSocket, or one multipart request (which holds one subscription). */
export interface Connection {
  readonly kind: 'websocket' | 'multipart';
  readonly subscriptions: Set<LiveSubscription>;
}

export interface HubStats {
  /** WebSocket connections and multipart requests open. */
  connections: number;
  /** Subscriptions running, per field. */
  subscriptions: number;
  orderUpdated: number;
  myOrderEvents: number;
  /** Users holding at least one subscription. */
  users: number;
  /** Events fanned out to at least one subscription, and deliveries (pushes) made. */
  events: number;
  fannedOut: number;
}

const limitError = (message: string, limit: string, max: number) =>
  new GraphQLError(message, { extensions: { code: ErrorCode.RATE_LIMITED, limit, max } });

/**
 * The in-memory fan-out: every subscription of this router process by order id (orderUpdated) and
 * by user id (myOrderEvents), so one stream message reaches exactly the subscriptions it concerns
 * (two map lookups, whatever the number of subscribers), plus the counts the limits need.
 */
export class SubscriptionHub {
  private readonly byOrder = new Map<string, Set<LiveSubscription>>();
  private readonly byUser = new Map<string, Set<LiveSubscription>>();
  private readonly perUser = new Map<string, number>();
  private readonly connections = new Set<Connection>();
  private total = 0;
  private counts = { orderUpdated: 0, myOrderEvents: 0 };
  private events = 0;
  private fannedOut = 0;

  constructor(readonly limits: HubLimits) {}

  /** A new connection, or the error refusing it (SUBSCRIPTION_CONNECTIONS_MAX). */
  open(kind: Connection['kind']): Connection | GraphQLError {
    if (this.connections.size >= this.limits.connections) {
      return limitError(
        `The router holds the most subscription connections it allows (${this.limits.connections}); try again later`,
        'SUBSCRIPTION_CONNECTIONS_MAX',
        this.limits.connections,
      );
    }
    const connection: Connection = { kind, subscriptions: new Set() };
    this.connections.add(connection);
    return connection;
  }

  /** Ends every subscription of the connection and forgets it. */
  close(connection: Connection): void {
    for (const subscription of [...connection.subscriptions]) subscription.end();
    this.connections.delete(connection);
  }

  /** The error refusing one more subscription of this user on this connection, if any. */
  refusal(connection: Connection, userId: string): GraphQLError | undefined {
    if (connection.subscriptions.size >= this.limits.perConnection) {
      return limitError(
        `At most ${this.limits.perConnection} subscriptions per connection; complete one first`,
        'SUBSCRIPTIONS_PER_CONNECTION',
        this.limits.perConnection,
      );
    }
    if ((this.perUser.get(userId) ?? 0) >= this.limits.perUser) {
      return limitError(
        `At most ${this.limits.perUser} subscriptions per user; complete one first`,
        'SUBSCRIPTIONS_PER_USER',
        this.limits.perUser,
      );
    }
    return undefined;
  }

  /** Registers a subscription (after refusal() said none); remove() is its onEnd. */
  add(connection: Connection, subscription: LiveSubscription): void {
    connection.subscriptions.add(subscription);
    const key = subscription.field === 'orderUpdated' ? subscription.orderId : subscription.userId;
    const index = subscription.field === 'orderUpdated' ? this.byOrder : this.byUser;
    if (key !== undefined) {
      let set = index.get(key);
      if (!set) index.set(key, (set = new Set()));
      set.add(subscription);
    }
    this.perUser.set(subscription.userId, (this.perUser.get(subscription.userId) ?? 0) + 1);
    this.total += 1;
    this.counts[subscription.field] += 1;
  }

  remove(connection: Connection, subscription: LiveSubscription): void {
    if (!connection.subscriptions.delete(subscription)) return;
    const key = subscription.field === 'orderUpdated' ? subscription.orderId : subscription.userId;
    const index = subscription.field === 'orderUpdated' ? this.byOrder : this.byUser;
    const set = key === undefined ? undefined : index.get(key);
    set?.delete(subscription);
    if (set?.size === 0) index.delete(key!);
    const left = (this.perUser.get(subscription.userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(subscription.userId, left);
    else this.perUser.delete(subscription.userId);
    this.total -= 1;
    this.counts[subscription.field] -= 1;
  }

  /** One event to the subscriptions of its order and of its owner. */
  dispatch(event: LiveEvent): void {
    const targets = [...(this.byOrder.get(event.orderId) ?? []), ...(this.byUser.get(event.userId) ?? [])];
    if (targets.length === 0) return;
    this.events += 1;
    for (const subscription of targets) subscription.push(event);
    this.fannedOut += targets.length;
  }

  /** Every connection of a kind (for shutdown). */
  all(kind: Connection['kind']): Connection[] {
    return [...this.connections].filter((c) => c.kind === kind);
  }

  stats(): HubStats {
    return {
      connections: this.connections.size,
      subscriptions: this.total,
      ...this.counts,
      users: this.perUser.size,
      events: this.events,
      fannedOut: this.fannedOut,
    };
  }
}
