/**
 * Accounts: register (fresh addresses, taken ones in other forms, address syntax, look-alikes) and
 * login (right and wrong passwords, and parallel bursts of wrong ones, against shoppers and the admin).
 */
import { freshKey, type Model } from '../model';
import type { World } from '../world';
import { Step, userOf } from './base';

/** users' LOGIN_MAX_FAILURES default: password comparisons per account and address before waits. */
export const LOGIN_MAX_FAILURES = 5;
export const PASSWORD = 'correct-horse-battery';

export const REGISTER_KINDS = [
  'fresh',
  'takenUpper',
  'takenSpaces',
  'displayName',
  'list',
  'group',
  'lookalike',
] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

/** Cyrillic letters that look like Latin ones. */
const LOOKALIKE: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e', s: '\u0455', c: '\u0441' };

function emailFor(kind: RegisterKind, taken: string, fresh: string): string {
  switch (kind) {
    case 'fresh':
      return fresh;
    case 'takenUpper':
      return taken.toUpperCase();
    case 'takenSpaces':
      return `  ${taken} `;
    case 'displayName':
      return `Mallory <${taken}>`;
    case 'list':
      return `m@example.org,${taken}`;
    case 'group':
      return `g:${taken};`;
    case 'lookalike':
      return taken.replace(/[aeosc]/, (c) => LOOKALIKE[c]!);
  }
}

export class Register extends Step {
  constructor(
    readonly kind: RegisterKind,
    readonly of: number,
  ) {
    super();
  }

  override check(m: Readonly<Model>) {
    return this.kind !== 'fresh' || m.users.length < 5;
  }

  label() {
    return `register(${this.kind}${this.kind === 'fresh' ? '' : ` of #${this.of}`})`;
  }

  async act(m: Model, w: World) {
    // Someone else's address: a shopper's or the admin's.
    const taken =
      this.of % (m.users.length + 1) === m.users.length ? m.admin.email : userOf(m, this.of).user.email;
    const email = emailFor(this.kind, taken, `shopper${freshKey(m, 'u')}@example.com`);
    this.resolved = JSON.stringify(email);
    const res = await w.mutate('register', { input: { email, password: PASSWORD, name: 'Shopper' } });
    if (!res) return;
    if (this.kind === 'fresh') {
      w.expect(res.__typename === 'AuthPayload', `a fresh address was refused: ${res.__typename}`);
      const payload = res as { token?: string; user?: { id: string } };
      if (payload.token && payload.user) {
        const auth = { authorization: `Bearer ${payload.token}` };
        m.users.push({ email, password: PASSWORD, auth, auth2: auth, id: payload.user.id, addresses: [] });
      }
    } else {
      w.expect(res.__typename !== 'AuthPayload', `registered a second account for ${JSON.stringify(taken)}`);
    }
  }
}

export class Login extends Step {
  constructor(
    readonly of: number,
    readonly right: boolean,
    readonly admin: boolean,
  ) {
    super();
  }

  label() {
    return `login(${this.admin ? 'admin' : `#${this.of}`}, ${this.right ? 'right' : 'wrong'} password)`;
  }

  async act(m: Model, w: World) {
    const account = this.admin ? m.admin : userOf(m, this.of).user;
    this.resolved = this.admin ? 'admin' : userOf(m, this.of).name;
    const password = this.right ? account.password : `${account.password}-guess`;
    const res = await w.mutate('login', { input: { email: account.email, password } });
    if (!res) return;
    const allowed = this.right
      ? ['AuthPayload', 'TooManyAttemptsError']
      : ['InvalidCredentialsError', 'TooManyAttemptsError'];
    w.expect(allowed.includes(res.__typename ?? ''), `login answered ${res.__typename}`);
    // Until someone guessed wrong, nothing may stand between an owner and their account.
    if (this.right && m.failedLogins === 0)
      w.expect(res.__typename === 'AuthPayload', `the right password was refused: ${res.__typename}`);
    if (res.__typename === 'InvalidCredentialsError') m.failedLogins++;
  }
}

/** Parallel wrong passwords for one account: at most LOGIN_MAX_FAILURES of them may be compared. */
export class LoginBurst extends Step {
  constructor(
    readonly of: number,
    readonly n: number,
    readonly admin: boolean,
  ) {
    super();
  }

  label() {
    return `loginBurst(${this.admin ? 'admin' : `#${this.of}`}, ${this.n} wrong passwords at once)`;
  }

  async act(m: Model, w: World) {
    const account = this.admin ? m.admin : userOf(m, this.of).user;
    this.resolved = this.admin ? 'admin' : userOf(m, this.of).name;
    const results = await Promise.all(
      Array.from({ length: this.n }, (_, i) =>
        w.mutate('login', { input: { email: account.email, password: `guess-number-${i}-${m.next}` } }),
      ),
    );
    const compared = results.filter((r) => r?.__typename === 'InvalidCredentialsError').length;
    for (const r of results) {
      if (r) w.expect(r.__typename !== 'AuthPayload', 'a wrong password signed in');
    }
    w.expect(
      compared <= LOGIN_MAX_FAILURES,
      `${compared} of ${this.n} parallel guesses were compared (at most ${LOGIN_MAX_FAILURES})`,
    );
    m.failedLogins += compared;
  }
}
