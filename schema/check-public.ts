/**
 * Fails when schema/public.graphql breaks the partner contract as it is on main, unless every
 * breaking change is recorded in schema/accepted-public-changes.json.
 *
 *   npx tsx schema/check-public.ts [--base <git ref>]     (default base: main)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPublicSchema, parseAccepted } from './breaking';

const schemaDir = dirname(fileURLToPath(import.meta.url));
const baseIndex = process.argv.indexOf('--base');
const base = baseIndex > 0 ? (process.argv[baseIndex + 1] ?? 'main') : 'main';

function previousPublicSchema(): string | undefined {
  try {
    return execFileSync('git', ['show', `${base}:schema/public.graphql`], {
      cwd: join(schemaDir, '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

const current = readFileSync(join(schemaDir, 'public.graphql'), 'utf8');
const accepted = parseAccepted(readFileSync(join(schemaDir, 'accepted-public-changes.json'), 'utf8'));
const previous = previousPublicSchema();
if (previous === undefined) {
  process.stdout.write(`check-public: no schema/public.graphql on ${base}; nothing to compare.\n`);
  process.exit(0);
}
const { breaking, unaccepted } = checkPublicSchema(current, previous, accepted);
for (const change of breaking) {
  const mark = unaccepted.includes(change) ? 'BREAKING' : 'accepted';
  process.stdout.write(`${mark}: ${change.type}: ${change.description}\n`);
}
if (unaccepted.length > 0) {
  process.stderr.write(
    `check-public: ${unaccepted.length} breaking change(s) to the partner contract. Restore the elements, or record each ` +
      `change with a reason in schema/accepted-public-changes.json.\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `check-public: public contract compatible with ${base} (${breaking.length} accepted breaking change(s)).\n`,
);
