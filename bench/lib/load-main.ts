/**
 * The load generator as its own process (so it can be pinned with taskset): reads LoadOptions as
 * JSON from the file named by argv[2], runs it, writes the LoadResult as one JSON line to stdout.
 */
import { readFileSync } from 'node:fs';
import { runLoad, type LoadOptions } from './load';

const options = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoadOptions;
const result = await runLoad(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
