import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Schema, type Connection, type Model } from 'mongoose';
import { isOrderId, isProductId } from '@shop/messaging';
import { isDuplicateKey } from './documents';

/**
 * Named locks shared by every products process through MongoDB (FerretDB locally).
 *
 * Why locks: FerretDB 1.x executes `findOneAndUpdate`/`updateOne` as read-modify-write without
 * isolation, so concurrent conditional decrements lose updates (measured: 200 concurrent
 * `{stock: {$gte: 1}}` decrements against stock 50 all "succeeded"). Every write to a product
 * therefore runs under a lock whose only primitive is an insert into a unique index (`locks._id`),
 * which is atomic on FerretDB and MongoDB alike; so is the insert that creates a reservation record,
 * which makes its creator its only writer until it is RESERVED (see the reservation service).
 */

interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

const lockSchema = new Schema<LockDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, autoIndex: false },
);

export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`could not acquire lock ${key}`);
  }
}

export interface LockOptions {
  /** How long a holder may keep a lock before others may take it over (crash safety). */
  ttlMs?: number;
  /** How long to wait for a lock before giving up. */
  waitMs?: number;
}

/**
 * The lock every write to one product runs under (catalogue changes and holds alike). Only the
 * canonical id (`isProductId`) names a product: two spellings of one id would be two locks over one
 * document, so a variant reaching here is a bug and is refused rather than locked.
 */
export function productLock(id: string): string {
  if (!isProductId(id)) throw new Error(`not a canonical product id: ${JSON.stringify(id)}`);
  return `product:${id}`;
}
/** The lock releases and the recovery of one order's reservation run under (canonical ids only). */
export function orderLock(orderId: string): string {
  if (!isOrderId(orderId)) throw new Error(`not a canonical order id: ${JSON.stringify(orderId)}`);
  return `order:${orderId}`;
}

type Task = {
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/** Tasks a drainer runs under one taking of a lock before it lets the lock go. */
const BATCH = 50;

export class Locks {
  private readonly model: Model<LockDoc>;
  private readonly ttlMs: number;
  private readonly waitMs: number;
  /**
   * In-process queues per lock key: one drainer per key takes the shared lock once and runs the
   * queued tasks of this process (up to a batch) before letting it go, so a hot product costs two
   * lock writes per batch rather than per task. Tasks must not take the same key again (deadlock).
   */
  private readonly queues = new Map<string, Task[]>();

  constructor({ connection, ttlMs = 30_000, waitMs = 15_000 }: { connection: Connection } & LockOptions) {
    this.model = connection.model<LockDoc>('Lock', lockSchema, 'locks');
    this.ttlMs = ttlMs;
    this.waitMs = waitMs;
  }

  /** Runs fn while holding the named lock (shared through the unique index of `locks._id`). */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task: Task = { fn, resolve: resolve as (value: unknown) => void, reject };
      const queue = this.queues.get(key);
      if (queue) {
        queue.push(task);
        return;
      }
      const fresh = [task];
      this.queues.set(key, fresh);
      void this.drain(key, fresh);
    });
  }

  private async acquire(key: string): Promise<string> {
    const owner = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.model.create({ _id: key, owner, expiresAt: new Date(Date.now() + this.ttlMs) });
        return owner;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // A holder that crashed leaves an expired lock behind: take it over.
      await this.model.deleteOne({ _id: key, expiresAt: { $lt: new Date() } });
      if (Date.now() > deadline) throw new LockTimeoutError(key);
      await sleep(Math.min(2 ** attempt, 50) + Math.random() * 5);
    }
  }

  private async drain(key: string, queue: Task[]): Promise<void> {
    try {
      while (queue.length > 0) {
        let owner: string;
        try {
          owner = await this.acquire(key);
        } catch (error) {
          for (const task of queue.splice(0)) task.reject(error);
          break;
        }
        try {
          for (let n = 0; n < BATCH && queue.length > 0; n += 1) {
            const task = queue.shift()!;
            try {
              task.resolve(await task.fn());
            } catch (error) {
              task.reject(error);
            }
          }
        } finally {
          await this.model.deleteOne({ _id: key, owner }).catch(() => undefined);
        }
      }
    } finally {
      this.queues.delete(key);
    }
  }
}
