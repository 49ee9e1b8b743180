/**
 * A test that writes to the console fails: output belongs in assertions or in a captured logger,
 * never sprinkled over the test report.
 */
const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const originals = new Map(methods.map((m) => [m, console[m]]));
const written: string[] = [];

beforeEach(() => {
  written.length = 0;
  for (const method of methods) {
    console[method] = (...args: unknown[]) => {
      written.push(`console.${method}: ${args.map(String).join(' ')}`);
    };
  }
});

afterEach(() => {
  for (const method of methods) console[method] = originals.get(method)!;
  if (written.length > 0) {
    const lines = written.splice(0);
    throw new Error(`The test wrote to the console:\n${lines.join('\n')}`);
  }
});
