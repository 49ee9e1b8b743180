import { adminToken, customer, email, startUsers, type TestEnv } from './helpers';

/** Query.customers: administrators list and search the customer accounts. */

let env: TestEnv;
let admin: string;
/** A word only this run's accounts carry, so that searches see nothing else. */
const tag = `q${crypto.randomUUID().slice(0, 6)}`;

const CUSTOMERS = `query($search: String, $first: Int, $after: String) {
  customers(search: $search, first: $first, after: $after) {
    edges { cursor node { id email name role createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

interface Page {
  edges: {
    cursor: string;
    node: { id: string; email: string; name: string; role: string; createdAt: string };
  }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const search = async (variables: Record<string, unknown>, token = admin) => {
  const res = await env.call<{ customers: Page }>(CUSTOMERS, variables, token);
  expect(res.errors).toBeUndefined();
  return res.data!.customers;
};
const names = (page: Page) => page.edges.map((e) => e.node.name).sort();
const account = (name: string, address = email(tag)) =>
  env.app.repository.create({
    email: address,
    name,
    phone: null,
    role: 'CUSTOMER',
    passwordHash: 'not-a-hash',
  });

beforeAll(async () => {
  env = await startUsers('customers');
  admin = await adminToken(env);
  for (const name of [
    `${tag} 100% Cotton`,
    `${tag} 100X Cotton`,
    `${tag} snake_case`,
    `${tag} snakeXcase`,
    `${tag} back\\slash`,
    `${tag} backXslash`,
    `${tag} Ada Lovelace`,
  ])
    await account(name);
  await account('Grace Hopper', `grace.${tag}@navy.example`);
});
afterAll(async () => {
  await env?.close();
});

describe('who may list customers', () => {
  it('answers FORBIDDEN to a customer and UNAUTHENTICATED to an anonymous request', async () => {
    const someone = await customer(env, 'nosy');
    const asCustomer = await env.call(CUSTOMERS, {}, someone.token);
    expect(asCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(asCustomer.data).toBeNull();
    const anonymous = await env.call(CUSTOMERS, { search: tag });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(anonymous)).not.toContain(tag);
  });

  it('lists CUSTOMER accounts only, never the administrator', async () => {
    const all = await search({ search: 'admin.example' });
    expect(all.edges).toEqual([]);
    const page = await search({ first: 100 });
    expect(page.edges.every((e) => e.node.role === 'CUSTOMER')).toBe(true);
    expect(page.edges.length).toBeGreaterThanOrEqual(8);
  });
});

describe('search', () => {
  it('matches a case-insensitive substring of the name or the email', async () => {
    expect(names(await search({ search: `${tag} ada LOVE` }))).toEqual([`${tag} Ada Lovelace`]);
    expect(names(await search({ search: `GRACE.${tag.toUpperCase()}@NAVY` }))).toEqual(['Grace Hopper']);
    expect(names(await search({ search: '  grace hopper ' }))).toEqual(['Grace Hopper']);
    expect((await search({ search: `${tag}` })).edges).toHaveLength(8);
    expect((await search({ search: `${tag}-nobody` })).edges).toEqual([]);
  });

  it('takes %, _ and \\ literally, not as wildcards', async () => {
    expect(names(await search({ search: `${tag} 100%` }))).toEqual([`${tag} 100% Cotton`]);
    expect(names(await search({ search: '100% C' }))).toEqual([`${tag} 100% Cotton`]);
    expect(names(await search({ search: 'snake_case' }))).toEqual([`${tag} snake_case`]);
    expect(names(await search({ search: 'back\\slash' }))).toEqual([`${tag} back\\slash`]);
    expect((await search({ search: '%' })).edges.map((e) => e.node.name)).toEqual([`${tag} 100% Cotton`]);
    expect((await search({ search: '_' })).edges.map((e) => e.node.name)).toEqual([`${tag} snake_case`]);
    expect((await search({ search: '\\' })).edges.map((e) => e.node.name)).toEqual([`${tag} back\\slash`]);
    expect((await search({ search: '%%' })).edges).toEqual([]);
  });

  it('refuses an empty, blank, too long or control-character search with BAD_USER_INPUT', async () => {
    expect((await search({ search: 'x'.repeat(100) })).edges).toEqual([]);
    for (const bad of [
      '',
      '   ',
      'x'.repeat(101),
      'x'.repeat(100_000),
      'a\u0000b',
      'a\nb',
      'a\u202eb',
      'a\ud800',
    ]) {
      const res = await env.call(CUSTOMERS, { search: bad }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('pagination', () => {
  it('pages newest first without gaps or repeats, also across accounts created at the same instant', async () => {
    const group = `${tag}page`;
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push((await account(`${group} ${String(i).padStart(2, '0')}`))!.id);
    // Ten of them share one created_at: the id decides their order.
    await env.app.pool.query(
      `UPDATE users SET created_at = '2030-01-01T00:00:00.123456Z' WHERE id = ANY($1::uuid[])`,
      [ids.slice(5, 15)],
    );
    const seen: string[] = [];
    const sizes: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await search({ search: group, first: 4, after });
      sizes.push(page.edges.length);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(sizes).toEqual([4, 4, 4, 4, 4, 3]);
    expect(new Set(seen).size).toBe(23);
    const { rows } = await env.app.pool.query<{ id: string }>(
      `SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC, id DESC`,
      [ids],
    );
    expect(seen).toEqual(rows.map((r) => r.id));
    // The shared instant sorts first (it is in the future), its microseconds intact.
    expect(seen.slice(0, 10).sort()).toEqual(ids.slice(5, 15).sort());
  });

  it('bounds first and refuses cursors it did not make', async () => {
    expect((await search({ search: tag, first: 0 })).edges).toEqual([]);
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const [first, after] of [
      [101, undefined],
      [-1, undefined],
      [5, 'garbage'],
      [5, forged(['1', 'not-a-uuid'])],
      [5, forged(['1', crypto.randomUUID().toUpperCase()])],
      [5, forged(['-1', crypto.randomUUID()])],
      [5, forged(['1e30', crypto.randomUUID()])],
      [5, forged([1, crypto.randomUUID()])],
      [5, forged(["1' OR '1'='1", crypto.randomUUID()])],
    ] as const) {
      const res = await env.call(CUSTOMERS, { search: tag, first, after }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
});
