/**
 * Composes the subgraphs' schema.graphql files into the committed schema files:
 *
 *   supergraph.graphql         the supergraph the router serves at /graphql
 *   supergraph-api.graphql     its API schema (client codegen in e2e/), with the router-level
 *                              subscriptions of router/subscriptions.graphql merged in
 *   public.supergraph.graphql  the partner contract supergraph (/public/graphql)
 *   public.graphql             the contract's API schema (what partners see)
 *
 *   npx tsx schema/compose.ts           write the files (errors exit 1, hints are printed)
 *   npx tsx schema/compose.ts --check   exit 1 when a committed file differs from a fresh composition
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeAll, CompositionError, readSubgraphs } from './composition';

const schemaDir = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const { subgraphs, missing } = readSubgraphs(join(schemaDir, '..'));
if (missing.length > 0)
  process.stdout.write(`compose: no schema.graphql yet for ${missing.join(', ')}; composing the others.\n`);

try {
  const { files, hints } = composeAll(subgraphs);
  for (const hint of hints) process.stdout.write(`hint: ${hint}\n`);
  const stale: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = join(schemaDir, name);
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (committed === content) continue;
    if (check) stale.push(name);
    else writeFileSync(file, content);
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `compose: stale: ${stale.map((n) => `schema/${n}`).join(', ')}; run npm run compose.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(
    `compose: ${subgraphs.map((s) => s.name).join(', ')} -> ${check ? 'up to date' : 'written'}: ${Object.keys(files).join(', ')}\n`,
  );
} catch (error) {
  if (error instanceof CompositionError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
