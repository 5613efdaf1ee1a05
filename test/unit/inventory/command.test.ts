// runInventory(): the human view and error handling.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInventoryCaptured } from '../../support/inventory.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/config');

const run = runInventoryCaptured;

describe('inventory command', () => {
  it('shows who backs up where and each value with its origin', async () => {
    const { code, out } = await run(join(FIXTURES, 'good/three-primaries'));
    expect(code).toBe(0);
    expect(out).toContain('Barman host backup1: 3 server(s)');
    expect(out).toContain('[beta.example] backs up beta');
    expect(out).toContain('cron                /etc/cron.d/beta: 0 4 * * wed,sat');
    expect(out).toMatch(/backup_name +alpha-db +instance_vars \(instances\[0\]\.vars\.backup_name\)/);
    expect(out).toMatch(/barman_retention_policy +RECOVERY WINDOW OF 2 WEEKS +cluster_vars \(cluster_vars\.barman_retention_policy\)/);
    expect(out).toMatch(/default_barman_retention_policy +REDUNDANCY 4 +cluster_vars/);
    expect(out).toMatch(/barman_compression +pigz +default/);
  });

  it('prints config errors on stderr only and returns 5, also with --json', async () => {
    for (const json of [false, true]) {
      const { code, out, err } = await run(join(FIXTURES, 'bad/missing-backup-target'), json);
      expect(code).toBe(5);
      expect(out).toBe('');
      expect(err).toContain("An instance with Name=nosuch and 'barman' in role must exist");
      expect(err).toContain('  hint: ');
      expect(err).toContain('> 17 |   backup: nosuch');
    }
  });
});
