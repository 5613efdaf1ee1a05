import { describe, expect, it } from 'vitest';
import { parseCheckOutput } from '../../../src/util/check-report.js';

describe('parseCheckOutput', () => {
  it('reads servers and their OK / FAILED checks with details', () => {
    const text = [
      'Server pg1:',
      '\tPostgreSQL: OK',
      '\tPostgreSQL streaming: FAILED (connection refused)',
      '\tbackup maximum age: OK (interval provided: 7 days, latest backup age: 26 seconds)',
      'Server sales_db:',
      '\tssh: OK (PostgreSQL server)',
      '',
    ].join('\n');
    expect(parseCheckOutput(text)).toEqual([
      {
        server: 'pg1',
        checks: [
          { name: 'PostgreSQL', ok: true, detail: '' },
          { name: 'PostgreSQL streaming', ok: false, detail: 'connection refused' },
          { name: 'backup maximum age', ok: true, detail: 'interval provided: 7 days, latest backup age: 26 seconds' },
        ],
      },
      { server: 'sales_db', checks: [{ name: 'ssh', ok: true, detail: 'PostgreSQL server' }] },
    ]);
  });
  it('returns nothing for unrelated text', () => {
    expect(parseCheckOutput('ERROR: Unknown server\n')).toEqual([]);
  });
});
