/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked by reading: every
 * variable set for one of our services is one its config schema accepts, every required one is
 * set, the values pass the schema, and the services wait for healthy dependencies.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { loadConfig } from '@shop/config';
import { configSchema as users } from '@shop/users';
import { configSchema as products } from '@shop/products';
import { configSchema as orders } from '@shop/orders';
import { configSchema as payments } from '@shop/payments';
import { configSchema as notifications } from '@shop/notifications';
import { configSchema as psp } from '@shop/psp';
import { configSchema as router } from '@shop/router';

interface Service {
  build?: { dockerfile: string };
  environment?: Record<string, string | number | boolean>;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const schemas: Record<string, z.ZodObject> = {
  users,
  products,
  orders,
  payments,
  notifications,
  router,
  psp,
};

/** Compose's ${NAME:-default} interpolation, with the environment of this test unset. */
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe.each(Object.keys(schemas))('docker-compose service %s', (name) => {
  const service = compose.services[name]!;
  const schema = schemas[name]!;
  const env = Object.fromEntries(
    Object.entries(service?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
  );

  it('is built from its own multi-stage, non-root Dockerfile with a health check', () => {
    expect(service.build?.dockerfile).toMatch(new RegExp(`(subgraphs/${name}|${name})/Dockerfile$`));
    const dockerfile = readFileSync(service.build!.dockerfile, 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('sets only variables its config accepts', () => {
    const accepted = Object.keys(schema.shape);
    expect(Object.keys(env).filter((key) => !accepted.includes(key))).toEqual([]);
  });

  it('sets every required variable, with values its config accepts', () => {
    const required = Object.entries(schema.shape)
      .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
      .map(([key]) => key);
    expect(required.filter((key) => !(key in env))).toEqual([]);
    // Dockerfiles set PORT; the config must accept the rest as written.
    expect(() => loadConfig(schema, env)).not.toThrow();
  });

  it('waits for healthy dependencies that exist and have health checks', () => {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      expect(condition).toBe('service_healthy');
      const target = compose.services[dependency];
      expect(target).toBeDefined();
      expect(target!.healthcheck ?? target!.build).toBeDefined();
    }
  });
});

it('every datastore has a health check', () => {
  for (const store of ['postgres', 'mongo', 'mysql', 'redis', 'nats', 'mailpit']) {
    expect(compose.services[store]?.healthcheck).toBeDefined();
  }
});
