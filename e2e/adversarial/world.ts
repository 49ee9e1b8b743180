/**
 * The real side of the model-based attack suite: one createTestEnvironment() per run, the raw
 * GraphQL the commands send through its gateway, and the record of every response. `call` never
 * throws: a response that is INTERNAL_SERVER_ERROR, or has no data where data was due, is noted as a
 * violation (with the operation and its variables), and the command that sent it throws at its end
 * through `flush()`, so fast-check shrinks towards the request that caused it.
 */
import { createTestEnvironment, type TestEnvironment } from '../environment';
import { OPS, type Op } from './operations';
import { pspLedger, TEST_CARDS, testCard, tokenize, type Ledger } from '../psp';

export const MAX_INT = 2 ** 31 - 1;
/** The test cards of the test PSP (docs/payment-provider.md), tokenised before each payOrder. */
export const CARDS = { ok: TEST_CARDS.visa, declined: TEST_CARDS.declined, down: TEST_CARDS.processorDown };
export type CardKind = keyof typeof CARDS;

export { OPS, type Op } from './operations';

export type Auth = Record<string, string>;

/** No answer within this long is a violation of its own (and never hangs the run). */
const REQUEST_TIMEOUT_MS = 30_000;

interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  auth: Auth,
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
  } catch {
    return { status: res.status, errors: [{ message: text.slice(0, 200) }] };
  }
}
/** A mutation's result object: `__typename` plus the fields the operation selects. */
export type Result = { __typename?: string } & Record<string, unknown>;

export interface Recorded {
  op: Op;
  variables: Record<string, unknown>;
  status: number;
  typename?: string;
  errorCodes: string[];
}

export const isTypedError = (r: Result | null | undefined) => Boolean(r?.__typename?.endsWith('Error'));

/** Numbers and strings in a readable form for messages (ids shortened, long strings cut). */
export const show = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'string' && v.length > 60 ? `${v.slice(0, 40)}…(${v.length})` : v,
  );

export class World {
  readonly responses: Recorded[] = [];
  /** The steps run, by class name (for the figures). */
  readonly executed: string[] = [];
  /** Each step of this run as it resolved (user, order number, ids and keys sent). */
  readonly trace: string[] = [];
  private pending: string[] = [];
  readonly violations: string[] = [];
  adminAuth: Auth = {};

  private constructor(readonly env: TestEnvironment) {}

  static async boot(orderTtlSeconds: number): Promise<World> {
    const world = new World(await createTestEnvironment({ orderTtlSeconds, paymentLatencyMs: 25 }));
    const login = await world.call('login', { input: world.env.admin });
    const token = (login?.login as { token?: string } | undefined)?.token;
    if (!token) throw new Error(`admin login failed: ${show(login)}`);
    world.adminAuth = { authorization: `Bearer ${token}` };
    return world;
  }

  /**
   * Sends one operation and records the response. `expectData: false` is for requests GraphQL itself
   * must refuse (an Int beyond 32 bits): they must fail as a request error, never as an internal one.
   * `refusal` is for requests the service must refuse with that error code (UNAUTHENTICATED,
   * FORBIDDEN): an answer without it is a violation.
   */
  async call(
    op: Op,
    variables: Record<string, unknown>,
    auth: Auth = {},
    { expectData = true, refusal }: { expectData?: boolean; refusal?: string } = {},
  ): Promise<Record<string, unknown> | null> {
    let res;
    try {
      res = await post(this.env.url, OPS[op], variables, auth);
    } catch (error) {
      this.note(`${op} ${show(variables)}: no response (${String(error)})`);
      return null;
    }
    const errorCodes = (res.errors ?? []).map((e) => String(e.extensions?.code ?? e.message));
    const first = res.data ? Object.values(res.data)[0] : undefined;
    this.responses.push({
      op,
      variables,
      status: res.status,
      typename: res.data ? ((first as Result | null | undefined)?.__typename ?? 'data') : undefined,
      errorCodes,
    });
    const where = `${op} ${show(variables)}`;
    if (errorCodes.includes('INTERNAL_SERVER_ERROR'))
      this.note(`${where}: INTERNAL_SERVER_ERROR (data ${show(res.data)})`);
    else if (refusal !== undefined) {
      const field = first as Result | null | undefined;
      if (!errorCodes.includes(refusal) || (field !== null && field !== undefined))
        this.note(
          `${where}: not refused with ${refusal} (data ${show(res.data)}, errors ${show(errorCodes)})`,
        );
    } else if (expectData && (!res.data || errorCodes.length > 0))
      this.note(`${where}: data ${show(res.data)}, errors ${show(res.errors?.map((e) => e.message))}`);
    else if (!expectData && (res.data || errorCodes.length === 0))
      this.note(`${where}: a value GraphQL cannot represent was accepted (data ${show(res.data)})`);
    return res.data ?? null;
  }

  /** The first field of a mutation's answer (its result union), or null when there was none. */
  async mutate(op: Op, variables: Record<string, unknown>, auth: Auth = {}): Promise<Result | null> {
    const data = await this.call(op, variables, auth);
    return (data ? Object.values(data)[0] : null) as Result | null;
  }

  /**
   * A fresh token of this test card, as the shopper's browser gets it from the PSP (never through
   * the gateway). A PSP that does not answer is a violation of its own; the token is then one the PSP
   * never issued, and payOrder must answer PaymentMethodInvalidError for it.
   */
  async token(card: CardKind): Promise<string> {
    try {
      return await tokenize(this.env.pspUrl, testCard(CARDS[card], { holderName: 'A Shopper' }));
    } catch (error) {
      this.note(`tokenize ${card}: ${String(error)}`);
      return 'tok_not_issued';
    }
  }

  /** The processor's side of the books: the PSP's ledger of charges and refunds. */
  ledger(): Promise<Ledger> {
    return pspLedger(this.env.pspUrl, this.env.pspSecretKey);
  }

  /** Records a broken expectation of the model; thrown at the end of the command. */
  note(violation: string) {
    this.pending.push(violation);
    this.violations.push(violation);
  }

  expect(condition: boolean, violation: string) {
    if (!condition) this.note(violation);
  }

  /** Throws what the step broke, with the run so far (fast-check then shrinks towards it). */
  flush(step: string) {
    if (this.pending.length === 0) return;
    const found = this.pending.splice(0);
    throw new Error(`${step}:\n  ${found.join('\n  ')}\n${this.traced()}`);
  }

  /** The steps of this run as they resolved, numbered. */
  traced(): string {
    return `the run, step by step:\n${this.trace.map((t, i) => `  ${i + 1}. ${t}`).join('\n')}`;
  }

  async stop() {
    await this.env.stop();
  }
}
