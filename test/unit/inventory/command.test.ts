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

  it('prints config errors on stderr, returns 5, and with --json prints the error document on stdout', async () => {
    for (const json of [false, true]) {
      const { code, out, err } = await run(join(FIXTURES, 'bad/missing-backup-target'), json);
      expect(code).toBe(5);
      expect(err).toContain("An instance with Name=nosuch and 'barman' in role must exist");
      expect(err).toContain('  hint: ');
      expect(err).toContain('> 17 |   backup: nosuch');
      if (!json) {
        expect(out).toBe('');
        continue;
      }
      const doc = JSON.parse(out) as { document: string; exit_code: number; error: { kind: string; issues: Array<{ file: string; line: number; col: number; message: string }> } };
      expect(doc).toMatchObject({ document: 'error', command: 'inventory', ok: false, exit_code: 5, error: { kind: 'config' } });
      expect(doc.error.issues[0]).toMatchObject({ line: 17, message: expect.stringContaining('Name=nosuch') });
      expect(doc.error.issues[0]?.file).toMatch(/config\.yml$/);
      // Code frames are for people: the document carries positions, never file content.
      expect(out).not.toContain('> 17 |');
    }
  });
});
