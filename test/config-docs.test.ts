import { readFileSync } from 'node:fs';
import { renderConfigDocs } from '../scripts/config-docs';

it('docs/configuration.md matches the config schemas (run npx tsx scripts/config-docs.ts)', () => {
  expect(readFileSync('docs/configuration.md', 'utf8')).toBe(renderConfigDocs());
});
