import type { World } from '../world';

/**
 * What the model expects of one answer with a result union: the refusals that surely apply (then
 * the answer must be one of them, never the success), and those that may (concurrency, expiry, a
 * peer's answer in flight). With neither, the success is due (or a peer that did not answer in
 * time, which changes nothing).
 */
export class Verdict {
  readonly sure = new Set<string>();
  readonly maybe = new Set<string>();

  constructor(private readonly unavailable: readonly string[] = ['ProductsUnavailableError']) {}

  refuse(typename: string, certain = true): this {
    (certain ? this.sure : this.maybe).add(typename);
    return this;
  }

  /** A refusal that surely applies when `condition` holds (and does not otherwise). */
  refuseIf(condition: boolean, typename: string): this {
    if (condition) this.sure.add(typename);
    return this;
  }

  refuseAll(refusals: { sure: readonly string[]; maybe: readonly string[] }): this {
    for (const t of refusals.sure) this.sure.add(t);
    for (const t of refusals.maybe) this.maybe.add(t);
    return this;
  }

  /** True when nothing may stand in the way: the success is due. */
  get clear(): boolean {
    return this.sure.size === 0 && this.maybe.size === 0;
  }

  /** An answer this verdict allows. */
  allows(t: string | undefined, success: string): boolean {
    if (t === undefined) return true;
    if (this.sure.has(t) || this.maybe.has(t) || this.unavailable.includes(t)) return true;
    return this.sure.size === 0 && t === success;
  }

  judge(w: World, t: string | undefined, success: string, what: string) {
    if (t === undefined) return;
    const sure = [...this.sure].join('|');
    const maybe = this.maybe.size > 0 ? ` (or maybe ${[...this.maybe].join('|')})` : '';
    w.expect(this.allows(t, success), `${what} answered ${t}, expected ${sure || success}${maybe}`);
  }
}
