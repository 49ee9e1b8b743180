import type { Posting } from './search.postings';

/**
 * Decoded postings of the keys recently searched, in this process, valid for one version of the
 * index: every index write raises the version (search_meta `version`), and every search reads it
 * first (one small read by `_id`), so a search never uses postings older than the last completed
 * index write it could see. Bounded by the number of postings held (least recently used out first).
 */
export class PostingsCache {
  private version: number | null = null;
  private readonly entries = new Map<string, Map<string, Posting>>();
  private held = 0;
  /** Keys being read now: concurrent searches for one key share one read. */
  private readonly inFlight = new Map<string, Promise<Map<string, Posting>>>();
  vocabulary: { version: number; terms: string[]; counts: Map<string, number> } | null = null;

  constructor(private readonly maxPostings: number) {}

  /** Forgets everything when the index has changed since the entries were read. */
  at(version: number): void {
    if (version === this.version) return;
    this.version = version;
    this.entries.clear();
    this.inFlight.clear();
    this.held = 0;
    if (this.vocabulary?.version !== version) this.vocabulary = null;
  }

  get(key: string): Map<string, Posting> | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Reads a key once for all concurrent callers of this version; caches what it read. */
  read(key: string, load: () => Promise<Map<string, Posting>>): Promise<Map<string, Posting>> {
    const hit = this.get(key);
    if (hit) return Promise.resolve(hit);
    const running = this.inFlight.get(key);
    if (running) return running;
    const version = this.version;
    const promise = load().then(
      (postings) => {
        if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
        if (this.version === version) this.put(key, postings);
        return postings;
      },
      (error: unknown) => {
        if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, promise);
    return promise;
  }

  private put(key: string, postings: Map<string, Posting>): void {
    if (postings.size > this.maxPostings) return;
    const had = this.entries.get(key);
    if (had) {
      this.held -= had.size;
      this.entries.delete(key);
    }
    this.entries.set(key, postings);
    this.held += postings.size;
    for (const [oldest, value] of this.entries) {
      if (this.held <= this.maxPostings) break;
      this.entries.delete(oldest);
      this.held -= value.size;
    }
  }

  /** How many keys and postings are held (tests, logs). */
  stats(): { version: number | null; keys: number; postings: number } {
    return { version: this.version, keys: this.entries.size, postings: this.held };
  }
}
