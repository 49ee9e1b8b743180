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
