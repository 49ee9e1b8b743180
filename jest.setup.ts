/**
 * A test file that writes to the console fails: output belongs in assertions or in a captured
 * logger, never sprinkled over the test report. The console is replaced for the whole file, so
 * output from beforeAll/afterAll hooks is caught too (reported by the next afterEach or afterAll).
 */
const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const written: string[] = [];

for (const method of methods) {
  console[method] = (...args: unknown[]) => {
    written.push(`console.${method}: ${args.map(String).join(' ')}`);
  };
}

function failOnOutput() {
  if (written.length > 0) {
    const lines = written.splice(0);
    throw new Error(`The test wrote to the console:\n${lines.join('\n')}`);
  }
}

afterEach(failOnOutput);
afterAll(failOnOutput);
