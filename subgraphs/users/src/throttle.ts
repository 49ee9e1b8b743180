import { isIP } from 'node:net';
import type { AttemptDecision, LockedBuckets } from './users.repository';

/**
 * Sign-in throttling, after OWASP's Authentication Cheat Sheet: no account is ever locked for
 * everyone. Failures are counted in two buckets, and an attempt is admitted only when both admit it:
 *
 * - per account and client address: `maxFailures` failures, then each further attempt from that
 *   address for that account waits `delaySeconds`, doubling per failure up to `maxDelaySeconds`;
 * - per client address (every account together): the same with `addressMaxFailures`, against
 *   spraying many accounts from one address.
 *
 * An attempt is counted as a failure *before* its password is compared (UsersRepository
 * .countLoginAttempt, one transaction holding both buckets' rows), so a parallel burst cannot get
 * more comparisons than the buckets admit; a correct password then takes its attempt back
 * (the account's bucket is cleared, the address's count goes down by one). A bucket is forgotten
 * `windowSeconds` after its last failure.
 */
export interface ThrottlePolicy {
  /** Failures per (account, client address) before attempts wait. */
  maxFailures: number;
  /** Failures per client address, over all accounts, before attempts wait. */
  addressMaxFailures: number;
  /** A bucket is forgotten this long after its last failure. */
  windowSeconds: number;
  /** The first wait; it doubles with every further failure. */
  delaySeconds: number;
  /** The longest wait. */
  maxDelaySeconds: number;
}

/** A bucket's stored state. */
export interface ThrottleBucket {
  failures: number;
  lastFailureAt: Date | null;
}

/** What one bucket says about an attempt at `now`. */
export type Admission = { admitted: true; failures: number } | { admitted: false; waitSeconds: number };

/**
 * Admits the attempt (with the bucket's failure count once it is counted) or says how long to wait.
 * `limit` is maxFailures or addressMaxFailures.
 */
export function admit(bucket: ThrottleBucket, limit: number, policy: ThrottlePolicy, now: Date): Admission {
  const ageSeconds = bucket.lastFailureAt
    ? Math.max(0, (now.getTime() - bucket.lastFailureAt.getTime()) / 1000)
    : Infinity;
  const failures = ageSeconds >= policy.windowSeconds ? 0 : bucket.failures;
  if (failures >= limit) {
    const delay = Math.min(policy.delaySeconds * 2 ** (failures - limit), policy.maxDelaySeconds);
    if (ageSeconds < delay) return { admitted: false, waitSeconds: delay - ageSeconds };
  }
  return { admitted: true, failures: failures + 1 };
}

/**
 * The rule for one locked attempt (login, changePassword): admitted when both the account's bucket
 * at this address and the address's own bucket admit it; otherwise the longer of their waits.
 */
export function decideAttempt(
  policy: ThrottlePolicy,
  { address, account, now }: LockedBuckets,
): AttemptDecision {
  const byAddress = admit(address, policy.addressMaxFailures, policy, now);
  const byAccount = admit(account, policy.maxFailures, policy, now);
  if (byAddress.admitted && byAccount.admitted)
    return { admitted: true, address: byAddress.failures, account: byAccount.failures };
  const waits = [byAddress, byAccount].map((a) => (a.admitted ? 0 : a.waitSeconds));
  return { admitted: false, waitSeconds: Math.max(...waits) };
}

/** The bucket of requests that carry no (usable) client address. */
export const UNKNOWN_ADDRESS = 'unknown';

/** The eight 16-bit groups of an IPv6 address (no zone, possibly with a trailing IPv4 part). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The throttling bucket of a client address, from the router's CLIENT_ADDRESS_HEADER (trusted
 * because only requests with the router secret get this far): an IPv4 address as it is (also when
 * written IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address as its /64 network (one subscriber usually
 * holds a whole /64, so single addresses would give one client unlimited buckets), and anything
 * missing or unreadable as the one UNKNOWN_ADDRESS bucket.
 */
export function clientBucket(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  if (value.length === 0 || value.length > 64) return UNKNOWN_ADDRESS;
  const address = value.replace(/%[^%]*$/, ''); // a zone (fe80::1%eth0) is not part of the address
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return UNKNOWN_ADDRESS;
  const groups = ipv6Groups(address.toLowerCase());
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
