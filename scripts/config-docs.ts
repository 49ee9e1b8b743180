/**
 * Writes docs/configuration.md from the services' config schemas (the one source of truth for
 * every variable), so the reference can never drift: test/config-docs.test.ts fails when it does.
 *   npx tsx scripts/config-docs.ts          write the file
 */
import { writeFileSync } from 'node:fs';
import type { z } from 'zod';
import { PSP, ROUTER, SUBGRAPHS, type ProcessName } from '@shop/config';
import { configSchema as users } from '@shop/users';
import { configSchema as products } from '@shop/products';
import { configSchema as orders } from '@shop/orders';
import { configSchema as payments } from '@shop/payments';
import { configSchema as notifications } from '@shop/notifications';
import { configSchema as router } from '@shop/router';
import { configSchema as psp } from '@shop/psp';
import { servicesConfigSchema } from './services';

/** Each process's config schema, by the table's names. */
const schemas: Record<ProcessName, z.ZodObject> = {
  users,
  products,
  orders,
  payments,
  notifications,
  router,
  psp,
};
const configFile = (entry: string) => entry.replace(/main\.ts$/, 'config.ts');

const sections: [string, string, z.ZodObject][] = [
  [ROUTER.name, `The gateway (${configFile(ROUTER.entry)}).`, router],
  ...SUBGRAPHS.map((s): [string, string, z.ZodObject] => [s.name, configFile(s.entry), schemas[s.name]]),
  [PSP.name, `The test payment service provider (${configFile(PSP.entry)}; docs/payment-provider.md).`, psp],
  [
    'datastores (npm run services)',
    'scripts/services.ts: which endpoints to check and start.',
    servicesConfigSchema,
  ],
];

const SECRET = /SECRET|PASSWORD$|PRIVATE|KEYS?$/;

function defaultOf(key: string, field: z.ZodType): string {
  const parsed = field.safeParse(undefined);
  if (!parsed.success) return '**required**';
  if (parsed.data === undefined) return '(unset)';
  if (SECRET.test(key) && key !== 'JWT_KEYS_FILE') return '(development value; set your own)';
  const value = typeof parsed.data === 'string' ? parsed.data : JSON.stringify(parsed.data);
  return value === '' ? '(empty)' : `\`${value}\``;
}

export function renderConfigDocs(): string {
  const lines = [
    '# Configuration reference',
    '',
    'Generated from the config schemas by `npx tsx scripts/config-docs.ts`; do not edit by hand.',
    'Every variable is read once at start-up; all invalid variables are reported together and the',
    'process exits non-zero. Empty values count as unset.',
  ];
  for (const [name, where, schema] of sections) {
    lines.push('', `## ${name}`, '', where, '', '| variable | default |', '| --- | --- |');
    for (const [key, field] of Object.entries(schema.shape)) {
      lines.push(`| \`${key}\` | ${defaultOf(key, field as z.ZodType)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1]?.endsWith('config-docs.ts')) {
  writeFileSync('docs/configuration.md', renderConfigDocs());
  console.log('wrote docs/configuration.md');
}
