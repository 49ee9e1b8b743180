import { randomUUID } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { isProductId } from '@shop/messaging';
import type { Logger } from '@shop/server';
import { productModel, type ProductDoc } from './documents';
import type { Locks } from './locks';
import { PostingsCache } from './search.cache';
import { decodePostings, keyOfEntry, type Posting } from './search.postings';
import {
  IndexWriter,
  parseVocabulary,
  type MarkerDoc,
  type MetaDoc,
  type RecordDoc,
  type TermDoc,
  type VocabDoc,
} from './search.writes';

/**
 * The maintained keyword index of the catalogue (FerretDB 1.x has no text index, and any filter but
 * `_id` scans). Collections:
 *
 * - `search_terms` `{_id: key, p, n}`: the postings of one key (search.postings.ts), n of them.
 * - `search_docs` `{_id: productId, keys, facts}`: what a product is indexed under (`<bits><key>`)
 *   and with which facts, so a re-index knows which keys to take it out of.
 * - `search_pending` `{_id: <productId>:<uuid>, productId, at}`: a product write that may not be
 *   indexed yet (written before the product write, removed after its index write).
 * - `search_meta` `{_id: 'version', v}` (raised by every index write; searches read it to validate
 *   their cache), `{_id: 'built', format}` (the index holds every product, in this format).
 * - `search_vocab` `{_id: 'terms', t}`: every word term with its posting count (prefix search).
 *
 * Every index write (search.writes.ts) runs under one lock (`search:index`), in batches (concurrent writes of this
 * process share one). A re-index of a product reads it and its record, writes the record with the
 * keys it had and will have (so a crash half-way leaves a record naming every key that may hold a
 * stale posting), rewrites the postings of the keys that change, then writes the record as it now
 * is and raises the version. Idempotent: a product whose keys and facts equal its record's is left
 * alone. Crash-safe: the pending marker outlives a crash anywhere between the product write and the
 * end of its index write, and `repair()` (at start-up and every REPAIR_EVERY_MS) re-indexes what it
 * names; a re-index is correct at any time, since it reads the product as it is.
 */

/** Raise to re-index every product once at the next start (the stored format or the terms changed). */
export const INDEX_FORMAT = 1;
export const INDEX_LOCK = 'search:index';
/** A marker this old is left over by a dead writer (a live one finishes well within it). */
export const STALE_MARKER_MS = 30_000;

type Deferred = { resolve: () => void; reject: (error: unknown) => void };

export interface SearchRepositoryOptions {
  connection: Connection;
  locks: Locks;
  log?: Logger;
  /** Postings kept decoded in this process (default 400,000: about 80 MB at most). */
  cachePostings?: number;
}

export class SearchRepository {
  private readonly connection: Connection;
  private readonly locks: Locks;
  private readonly products: Model<ProductDoc>;
  private readonly cache: PostingsCache;
  log?: Logger;
  private readonly queued = new Map<string, Deferred[]>();
  private draining = false;
  /** Inside deferred(): product writes leave their markers, the index is rebuilt at the end. */
  private deferring = 0;
  private deferredWrites = 0;

  constructor({ connection, locks, log, cachePostings = 400_000 }: SearchRepositoryOptions) {
    this.connection = connection;
    this.locks = locks;
    this.log = log;
    this.products = productModel(connection);
    this.cache = new PostingsCache(cachePostings);
  }

  private get terms() {
    return this.connection.collection<TermDoc>('search_terms');
  }
  private get records() {
    return this.connection.collection<RecordDoc>('search_docs');
  }
  private get markers() {
    return this.connection.collection<MarkerDoc>('search_pending');
  }
  private get meta() {
    return this.connection.collection<MetaDoc>('search_meta');
  }
  private get vocab() {
    return this.connection.collection<VocabDoc>('search_vocab');
  }
  private writer(): IndexWriter {
    const { terms, records, meta, vocab } = this;
    return new IndexWriter({ terms, records, meta, vocab }, this.products);
  }

  // ---- reads (searches) ---------------------------------------------------------------------------

  /** The index version now; the cache is dropped when it changed. */
  async version(): Promise<number> {
    const doc = await this.meta.findOne({ _id: 'version' });
    const v = doc?.v ?? 0;
    this.cache.at(v);
    return v;
  }

  /** The postings of each key (empty for a key nothing is indexed under). Call version() first. */
  async postings(keys: readonly string[]): Promise<Map<string, Map<string, Posting>>> {
    const unique = [...new Set(keys)];
    const read = await Promise.all(
      unique.map((key) =>
        this.cache.read(key, async () => {
          const doc = await this.terms.findOne({ _id: key });
          return decodePostings(doc?.p ?? '');
        }),
      ),
    );
    return new Map(unique.map((key, i) => [key, read[i]!]));
  }

  /** Every word term with its number of postings, sorted (for prefixes). Call version() first. */
  async vocabulary(): Promise<{ terms: string[]; counts: Map<string, number> }> {
    const v = this.cache.stats().version ?? 0;
    if (this.cache.vocabulary?.version === v) return this.cache.vocabulary;
    const doc = await this.vocab.findOne({ _id: 'terms' });
    const counts = parseVocabulary(doc?.t ?? '');
    const vocabulary = { version: v, terms: [...counts.keys()].sort(), counts };
    if ((this.cache.stats().version ?? 0) === v) this.cache.vocabulary = vocabulary;
    return vocabulary;
  }

  cacheStats() {
    return this.cache.stats();
  }

  // ---- writes (the catalogue's hooks) -------------------------------------------------------------

  /**
   * Runs a write of the product (or products) and indexes them after it: a pending marker first, so
   * that a crash anywhere before the index write completes is repaired (`repair`). A failed index
   * write does not fail the product write: it is logged and left to the repair. Ids that are not
   * canonical are not marked (the write refuses them itself).
   */
  async indexing<T>(productIds: string | readonly string[], write: () => Promise<T>): Promise<T> {
    const ids = [...new Set(typeof productIds === 'string' ? [productIds] : productIds)].filter(isProductId);
    if (ids.length === 0) return write();
    const marks = await this.mark(ids);
    if (this.deferring > 0) {
      this.deferredWrites += 1;
      return write(); // the rebuild at the end of deferred() covers them
    }
    try {
      return await write();
    } finally {
      try {
        await this.reindex(ids);
        await this.unmark(marks);
      } catch (error) {
        this.log?.warn({ err: error, products: ids.length }, 'search index write failed; left to the repair');
      }
    }
  }

  /**
   * Runs many product writes (the seed) with their index writes deferred: each write only leaves its
   * pending marker, and at the end the whole index is rebuilt from the products in one pass (one scan,
   * then only inserts), which on FerretDB is far cheaper than rewriting the large postings of common
   * terms once per batch. Searches meanwhile see the index as it was (and, during the rebuild, for a
   * few seconds, less of it). A crash before the end leaves the markers: the repair indexes them.
   */
  async deferred<T>(fn: () => Promise<T>): Promise<T> {
    this.deferring += 1;
    let result: T;
    try {
      result = await fn();
    } finally {
      this.deferring -= 1;
    }
    if (this.deferring === 0 && this.deferredWrites > 0) {
      this.deferredWrites = 0;
      await this.locks.withLock(INDEX_LOCK, () => this.build(true));
    }
    return result;
  }

  /** Re-indexes products from their stored documents (any time; batches with concurrent calls). */
  reindex(productIds: readonly string[]): Promise<void> {
    const ids = [...new Set(productIds)].filter(isProductId);
    if (ids.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Deferred = { resolve, reject };
      // Each waiter waits for all its ids: resolve once the last of them is done.
      let left = ids.length;
      let failed = false;
      const one: Deferred = {
        resolve: () => {
          left -= 1;
          if (left === 0 && !failed) waiter.resolve();
        },
        reject: (error) => {
          if (failed) return;
          failed = true;
          waiter.reject(error);
        },
      };
      for (const id of ids) {
        const list = this.queued.get(id);
        if (list) list.push(one);
        else this.queued.set(id, [one]);
      }
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queued.size > 0) {
        const batch = [...this.queued].slice(0, 500);
        for (const [id] of batch) this.queued.delete(id);
        try {
          await this.locks.withLock(INDEX_LOCK, () => this.writer().indexNow(batch.map(([id]) => id)));
          for (const [, waiters] of batch) for (const w of waiters) w.resolve();
        } catch (error) {
          for (const [, waiters] of batch) for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async mark(ids: string[]): Promise<string[]> {
    const at = new Date();
    const docs = ids.map((productId) => ({ _id: `${productId}:${randomUUID()}`, productId, at }));
    await this.markers.insertMany(docs);
    return docs.map((d) => d._id);
  }

  private async unmark(markIds: string[]): Promise<void> {
    await this.markers.deleteMany({ _id: { $in: markIds } });
  }

  /**
   * Re-indexes the products named by markers older than STALE_MARKER_MS (their writer is dead) and
   * removes those markers. Younger ones belong to a writer still at work. Returns how many products.
   */
  async repair(now = Date.now()): Promise<number> {
    const markers = await this.markers.find({}).toArray();
    const stale = markers.filter((m) => now - new Date(m.at).getTime() > STALE_MARKER_MS);
    if (stale.length === 0) return 0;
    const ids = [...new Set(stale.map((m) => m.productId))];
    await this.reindex(ids);
    await this.unmark(stale.map((m) => m._id));
    this.log?.warn({ products: ids.length }, 'search index repaired products left unindexed by a crash');
    return ids.length;
  }

  /**
   * At start-up: builds the whole index once when it was never built in this format (one scan of
   * the products), then repairs what crashed writers left. Idempotent; safe with several instances.
   */
  async init(log?: Logger): Promise<{ built: number | null; repaired: number }> {
    if (log) this.log = log;
    const built = await this.meta.findOne({ _id: 'built' });
    let count: number | null = null;
    if (built?.format !== INDEX_FORMAT) count = await this.locks.withLock(INDEX_LOCK, () => this.build());
    return { built: count, repaired: await this.repair() };
  }

  /** Drops the index and indexes every product (under the index lock); unless `force`, only when not built. */
  private async build(force = false): Promise<number | null> {
    const built = await this.meta.findOne({ _id: 'built' });
    if (!force && built?.format === INDEX_FORMAT) return null;
    const startedAt = Date.now();
    await this.meta.deleteOne({ _id: 'built' });
    for (const name of ['search_terms', 'search_docs', 'search_vocab'])
      await this.connection.dropCollection(name).catch((error: unknown) => {
        if (!/ns not found|does not exist/i.test(String((error as Error).message))) throw error;
      });
    const docs = await this.products.find({}).lean<ProductDoc[]>().exec();
    await this.writer().write(docs.map((doc) => ({ id: doc._id.toHexString(), doc, record: null })));
    await this.meta.findOneAndUpdate(
      { _id: 'built' },
      { $set: { format: INDEX_FORMAT, at: new Date() } },
      { upsert: true },
    );
    // Markers written before the build are covered by it.
    const markers = await this.markers.find({}).toArray();
    const covered = markers.filter((m) => new Date(m.at).getTime() < startedAt).map((m) => m._id);
    if (covered.length) await this.unmark(covered);
    this.log?.info({ products: docs.length, ms: Date.now() - startedAt }, 'search index built');
    return docs.length;
  }

  // ---- what tests and the seed ask ------------------------------------------------------------------

  /** The keys a product is indexed under (its record), null when it has none. */
  async recordOf(productId: string): Promise<{ keys: string[]; facts: string | null } | null> {
    const record = await this.records.findOne({ _id: productId });
    return record ? { keys: record.keys.map(keyOfEntry), facts: record.facts } : null;
  }

  /** Markers of product writes not indexed yet. */
  async pendingMarkers(): Promise<{ productId: string; at: Date }[]> {
    return (await this.markers.find({}).toArray()).map((m) => ({ productId: m.productId, at: m.at }));
  }

  /** Size of the index: keys, postings and stored bytes of the postings, the largest key. */
  async stats(): Promise<{
    keys: number;
    postings: number;
    bytes: number;
    largest: { key: string; n: number };
  }> {
    const docs = await this.terms.find({}).toArray();
    let largest = { key: '', n: 0 };
    let postings = 0;
    let bytes = 0;
    for (const d of docs) {
      postings += d.n;
      bytes += Buffer.byteLength(d.p);
      if (d.n > largest.n) largest = { key: d._id, n: d.n };
    }
    return { keys: docs.length, postings, bytes, largest };
  }
}

const shared = new WeakMap<Connection, SearchRepository>();

/**
 * The one search index of a connection, shared by the repositories that write products (so their
 * index writes batch together and one cache serves the searches).
 */
export function searchIndexFor(connection: Connection, locks: Locks): SearchRepository {
  let index = shared.get(connection);
  if (!index) shared.set(connection, (index = new SearchRepository({ connection, locks })));
  return index;
}
