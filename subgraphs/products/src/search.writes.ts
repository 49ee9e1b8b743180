import mongoose, { type Collection, type Model } from 'mongoose';
import type { ProductDoc } from './documents';
import {
  encodeFacts,
  encodePosting,
  factsOf,
  joinLines,
  keyOfEntry,
  keysOf,
  recordKeys,
  splitLines,
} from './search.postings';

/**
 * The write side of the keyword index (search.repository.ts says what is stored and why): a batch
 * of products re-indexed from their documents, always under the index lock (the caller's).
 */

/** Beyond this many products a batch reads products and records in one query each (a scan on FerretDB). */
export const BULK = 50;
/** Keys rewritten at the same time. */
const PARALLEL_WRITES = 8;
/** The most postings one key holds (≈ 75 bytes each, within MongoDB's 16 MiB documents). */
export const MAX_POSTINGS_PER_KEY = 100_000;

export interface TermDoc {
  _id: string;
  p: string;
  n: number;
}
export interface RecordDoc {
  _id: string;
  keys: string[];
  facts: string | null;
}
export interface MarkerDoc {
  _id: string;
  productId: string;
  at: Date;
}
export interface MetaDoc {
  _id: string;
  v?: number;
  format?: number;
  at?: Date;
}
export interface VocabDoc {
  _id: string;
  t: string;
}

export interface IndexCollections {
  terms: Collection<TermDoc>;
  records: Collection<RecordDoc>;
  meta: Collection<MetaDoc>;
  vocab: Collection<VocabDoc>;
}

export class IndexWriter {
  private readonly terms: Collection<TermDoc>;
  private readonly records: Collection<RecordDoc>;
  private readonly meta: Collection<MetaDoc>;
  private readonly vocab: Collection<VocabDoc>;

  constructor(
    collections: IndexCollections,
    private readonly products: Model<ProductDoc>,
  ) {
    this.terms = collections.terms;
    this.records = collections.records;
    this.meta = collections.meta;
    this.vocab = collections.vocab;
  }

  /** One batch, under the index lock: reads the products and their records, then writes. */
  async indexNow(ids: string[]): Promise<void> {
    const objectIds = ids.map((id) => new mongoose.Types.ObjectId(id));
    const [docs, records] =
      ids.length > BULK
        ? await Promise.all([
            this.products
              .find({ _id: { $in: objectIds } })
              .lean<ProductDoc[]>()
              .exec(),
            this.records.find({ _id: { $in: ids } }).toArray(),
          ])
        : await Promise.all([
            Promise.all(ids.map((id) => this.products.findById(id).lean<ProductDoc>().exec())),
            Promise.all(ids.map((id) => this.records.findOne({ _id: id }))),
          ]);
    const docById = new Map(docs.filter((d): d is ProductDoc => !!d).map((d) => [d._id.toHexString(), d]));
    const recordById = new Map(records.filter((r): r is RecordDoc => !!r).map((r) => [r._id, r]));
    await this.write(
      ids.map((id) => ({ id, doc: docById.get(id) ?? null, record: recordById.get(id) ?? null })),
    );
  }

  /**
   * Writes the index entries of products (doc null: the product is gone, its postings are removed)
   * given their current records (null: never indexed).
   */
  async write(items: { id: string; doc: ProductDoc | null; record: RecordDoc | null }[]): Promise<void> {
    /** key → product id → new line (null: remove the product from the key). */
    const changes = new Map<string, Map<string, string | null>>();
    const change = (key: string, id: string, line: string | null) => {
      let byId = changes.get(key);
      if (!byId) changes.set(key, (byId = new Map()));
      byId.set(id, line);
    };
    const intents: RecordDoc[] = [];
    const finals: RecordDoc[] = [];
    for (const { id, doc, record } of items) {
      const keys = doc ? keysOf(doc) : new Map<string, number>();
      const facts = doc ? encodeFacts(factsOf(doc)) : null;
      const entries = recordKeys(keys);
      const old = record?.keys ?? [];
      if (record && record.facts === facts && sameList(old, entries)) continue;
      const had = new Set(old);
      const touched = new Set<string>();
      for (const entry of old)
        if (facts !== record?.facts || !entries.includes(entry)) touched.add(keyOfEntry(entry));
      for (const entry of entries)
        if (facts !== record?.facts || !had.has(entry)) touched.add(keyOfEntry(entry));
      for (const key of touched) {
        const bits = keys.get(key);
        change(key, id, bits === undefined || facts === null ? null : encodePosting(id, bits, facts));
      }
      // First the record names every key that may hold its posting, and no facts (so it is not taken
      // for up to date until the end); after the keys are written, the record as it now is.
      const union = [...new Set([...old, ...entries])].sort();
      if (record) intents.push({ _id: id, keys: union, facts: null });
      finals.push({ _id: id, keys: entries, facts });
    }
    if (changes.size === 0) return;
    await this.putRecords(intents);
    const counts = await this.applyChanges(changes);
    await this.putRecords(finals);
    await this.updateVocabulary(counts);
    await this.meta.findOneAndUpdate({ _id: 'version' }, { $inc: { v: 1 } }, { upsert: true });
  }

  /** Rewrites every changed key; returns the new posting count of each word term changed. */
  private async applyChanges(changes: Map<string, Map<string, string | null>>): Promise<Map<string, number>> {
    const keys = [...changes.keys()];
    const existing = new Map<string, TermDoc>();
    if (keys.length > BULK) {
      for (let i = 0; i < keys.length; i += 1000)
        for (const doc of await this.terms.find({ _id: { $in: keys.slice(i, i + 1000) } }).toArray())
          existing.set(doc._id, doc);
    } else {
      const docs = await Promise.all(keys.map((key) => this.terms.findOne({ _id: key })));
      for (const doc of docs) if (doc) existing.set(doc._id, doc);
    }
    const counts = new Map<string, number>();
    const inserts: TermDoc[] = [];
    const updates: TermDoc[] = [];
    for (const [key, byId] of changes) {
      const had = existing.get(key);
      const lines = splitLines(had?.p ?? '');
      for (const [id, line] of byId) {
        if (line === null) lines.delete(id);
        else if (lines.has(id) || lines.size < MAX_POSTINGS_PER_KEY) lines.set(id, line);
      }
      const doc = { _id: key, p: joinLines(lines), n: lines.size };
      (had ? updates : inserts).push(doc);
      if (isWordTerm(key)) counts.set(key, doc.n);
    }
    for (let i = 0; i < inserts.length; i += 500) await this.terms.insertMany(inserts.slice(i, i + 500));
    await inParallel(updates, PARALLEL_WRITES, (doc) =>
      this.terms.findOneAndUpdate({ _id: doc._id }, { $set: { p: doc.p, n: doc.n } }),
    );
    return counts;
  }

  /** Upserts records: the new ones in one insert, the others one write each. */
  private async putRecords(records: RecordDoc[]): Promise<void> {
    if (records.length === 0) return;
    const ids = records.map((r) => r._id);
    const known = new Set(
      records.length > BULK
        ? (await this.records.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map(
            (r) => r._id,
          )
        : (await Promise.all(ids.map((id) => this.records.findOne({ _id: id }, { projection: { _id: 1 } }))))
            .filter((r): r is RecordDoc => !!r)
            .map((r) => r._id),
    );
    const fresh = records.filter((r) => !known.has(r._id));
    for (let i = 0; i < fresh.length; i += 1000) await this.records.insertMany(fresh.slice(i, i + 1000));
    await inParallel(
      records.filter((r) => known.has(r._id)),
      PARALLEL_WRITES,
      (r) => this.records.findOneAndUpdate({ _id: r._id }, { $set: { keys: r.keys, facts: r.facts } }),
    );
  }

  private async updateVocabulary(counts: Map<string, number>): Promise<void> {
    if (counts.size === 0) return;
    const doc = await this.vocab.findOne({ _id: 'terms' });
    const all = parseVocabulary(doc?.t ?? '');
    for (const [term, n] of counts) {
      if (n > 0) all.set(term, n);
      else all.delete(term);
    }
    const t = [...all].map(([term, n]) => `${term} ${n}`).join('\n');
    if (doc) await this.vocab.findOneAndUpdate({ _id: 'terms' }, { $set: { t } });
    else await this.vocab.insertOne({ _id: 'terms', t });
  }
}

const isWordTerm = (key: string) => !key.startsWith('=') && !key.startsWith('#');

export function parseVocabulary(t: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!t) return counts;
  for (const line of t.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) counts.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return counts;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
