import { loadConfig } from '@shop/config';
import { generateSigningKey, ROUTER_SECRET_HEADER, type SigningKey } from '@shop/auth';
import { createLogger } from '@shop/server';
import { createPgDatabase, gql, memoryLog, natsPrefix } from '@shop/testing';
import { configSchema, createApp, type AppOverrides, type UsersApp } from '../src/index';

export const ROUTER_SECRET = 'users-test-router-secret-0123456789';
export const ADMIN = { email: 'root@admin.example', password: 'admin-password-123' };

export interface TestEnv {
  app: UsersApp;
  url: string;
  port: number;
  keys: SigningKey[];
  log: ReturnType<typeof memoryLog>;
  db: Awaited<ReturnType<typeof createPgDatabase>>;
  prefix: string;
  /** POSTs a GraphQL operation through the router-secret check, optionally with a bearer token. */
  call: <T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ) => ReturnType<typeof gql<T>>;
  close(): Promise<void>;
}

/** Boots the users subgraph on its own throwaway database and NATS prefix, logging to memory. */
export async function startUsers(
  label: string,
  env: Record<string, string> = {},
  overrides: Omit<AppOverrides, 'log'> = {},
): Promise<TestEnv> {
  const db = await createPgDatabase(label);
  const prefix = natsPrefix(label);
  const keys = [await generateSigningKey('current-key'), await generateSigningKey('previous-key')];
  const log = memoryLog();
  const config = loadConfig(configSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'trace',
    PORT: '0',
    POSTGRES_URL: db.url,
    NATS_PREFIX: prefix,
    ROUTER_SECRET,
    JWT_PRIVATE_KEYS: JSON.stringify(keys.map((k) => k.privateJwk)),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...env,
  });
  const app = await createApp(config, {
    ...overrides,
    log: createLogger({ name: 'users', level: 'trace' }, log.stream),
  });
  const { url, port } = await app.start();
  return {
    app,
    url,
    port,
    keys,
    log,
    db,
    prefix,
    call: (query, variables, token) =>
      gql(url, query, variables, {
        [ROUTER_SECRET_HEADER]: ROUTER_SECRET,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      }),
    async close() {
      await app.stop();
      await db.drop();
    },
  };
}

export const AUTH_FIELDS = `
  __typename
  ... on AuthPayload { token expiresAt user { id email name phone role createdAt } }
  ... on Error { message }
  ... on InvalidInputError { field }
`;

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} ... on EmailTakenError { email } } }`;
export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} ... on TooManyAttemptsError { retryAfterSeconds } } }`;
export const ME = `query Me { me { id email name phone role createdAt } }`;

export interface AuthResult {
  __typename: string;
  token?: string;
  expiresAt?: string;
  message?: string;
  field?: string;
  email?: string;
  retryAfterSeconds?: number;
  user?: {
    id: string;
    email: string | null;
    name: string;
    phone: string | null;
    role: string;
    createdAt: string;
  };
}

/** A unique email for this run. */
export const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;

// ---- the address book -----------------------------------------------------------------------

export const ADDRESS_FIELDS =
  'id name company line1 line2 postalCode city region country phone isDefaultShipping createdAt';
const ERROR_FIELDS = '__typename ... on Error { message }';
export const CREATE_ADDRESS = `mutation Create($input: AddressInput!, $makeDefault: Boolean) {
  createAddress(input: $input, makeDefault: $makeDefault) { ${ERROR_FIELDS}
    ... on Address { ${ADDRESS_FIELDS} } ... on InvalidInputError { field } ... on AddressLimitError { limit } } }`;
export const UPDATE_ADDRESS = `mutation Update($id: ID!, $input: AddressInput!) {
  updateAddress(id: $id, input: $input) { ${ERROR_FIELDS}
    ... on Address { ${ADDRESS_FIELDS} } ... on InvalidInputError { field } ... on AddressNotFoundError { addressId } } }`;
export const DELETE_ADDRESS = `mutation Delete($id: ID!) {
  deleteAddress(id: $id) { ${ERROR_FIELDS}
    ... on DeleteAddressSuccess { deletedId } ... on AddressNotFoundError { addressId } } }`;
export const SET_DEFAULT = `mutation SetDefault($id: ID!) {
  setDefaultShippingAddress(id: $id) { ${ERROR_FIELDS}
    ... on Address { ${ADDRESS_FIELDS} } ... on AddressNotFoundError { addressId } } }`;
export const MY_ADDRESSES = `query Mine($first: Int, $after: String) { me { id
  addresses(first: $first, after: $after) { edges { cursor node { __typename ${ADDRESS_FIELDS} } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
  defaultShippingAddress { id } } }`;

export interface AddressResult {
  __typename: string;
  message?: string;
  field?: string;
  limit?: number;
  addressId?: string;
  deletedId?: string;
  id?: string;
  name?: string;
  company?: string | null;
  line1?: string;
  line2?: string | null;
  postalCode?: string;
  city?: string;
  region?: string | null;
  country?: string;
  phone?: string | null;
  isDefaultShipping?: boolean;
  createdAt?: string;
}

export interface AddressPage {
  edges: { cursor: string; node: AddressResult }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/** A valid German address; override fields per test. */
export const berlin = (overrides: Record<string, unknown> = {}) => ({
  name: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
  ...overrides,
});

/** Registers a customer straight through the app; returns its id and token. */
export async function customer(env: TestEnv, label: string): Promise<{ id: string; token: string }> {
  const { user, token } = await env.app.registerUser({
    email: email(label),
    password: `${label}-password-long`,
    name: label,
  });
  return { id: user.id, token };
}

/** The administrator's token (the account startUsers ensures). */
export async function adminToken(env: TestEnv): Promise<string> {
  const result = await env.app.service.login(ADMIN);
  if (result.__typename !== 'AuthPayload') throw new Error(`admin login refused: ${result.__typename}`);
  return result.token;
}
