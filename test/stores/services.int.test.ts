/**
 * The services script as the start script and CI use it: every endpoint answers (starting FerretDB or
 * Mailpit if they are down), and the status table lists all seven.
 */
import { ensureServices, formatTable } from '../../scripts/services';

test('ensureServices reports all seven endpoints up', async () => {
  const rows = await ensureServices({ quiet: true });

  expect(rows.map((row) => row.service)).toEqual([
    'PostgreSQL',
    'MariaDB',
    'Redis',
    'NATS JetStream',
    'FerretDB (MongoDB protocol)',
    'Mailpit SMTP',
    'Mailpit API',
  ]);
  expect(rows.filter((row) => row.status === 'down')).toEqual([]);
  expect(formatTable(rows).split('\n')).toHaveLength(8);
});
