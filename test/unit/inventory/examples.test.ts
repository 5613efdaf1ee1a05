// Every cluster directory under examples/ passes `tpa-barman inventory` and resolves to
// the topology its README describes.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import { runInventoryCaptured } from '../../support/inventory.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

function clusterDirs(dir: string): string[] {
  const here = readdirSync(dir).includes('config.yml') ? [dir] : [];
  const below = readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory())
    .flatMap(clusterDirs);
  return [...here, ...below];
}

describe('examples/', () => {
  const dirs = clusterDirs(EXAMPLES).map((d) => relative(EXAMPLES, d));

  it('has the four documented cluster directories, each with a README', () => {
    expect(dirs.sort()).toEqual(['shared-barman/cluster-a', 'shared-barman/cluster-b', 'single-primary', 'two-barman']);
    for (const d of dirs) expect(readdirSync(join(EXAMPLES, d))).toContain('README.md');
    expect(readdirSync(join(EXAMPLES, 'shared-barman'))).toContain('README.md');
  });

  for (const d of ['single-primary', 'two-barman', 'shared-barman/cluster-a', 'shared-barman/cluster-b']) {
    it(`inventory ${d} exits 0 with nothing on stderr`, async () => {
      const r = await runInventoryCaptured(join(EXAMPLES, d));
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain('Barman host');
    });
  }

  it('single-primary: one primary to one Barman server, nightly, one first backup', async () => {
    const m = resolveBarman(await loadCluster(join(EXAMPLES, 'single-primary')));
    expect(m.backups.map((s) => `${s.pgHost}->${s.barmanHost}`)).toEqual(['db1->backup1']);
    expect(m.backups[0]?.settings).toMatchObject({ backupInterval: '30 1 * * *', minimumRedundancy: 1, retentionPolicy: 'RECOVERY WINDOW OF 2 WEEKS' });
  });

  it('two-barman: one primary to two Barman servers, one slot each', async () => {
    const m = resolveBarman(await loadCluster(join(EXAMPLES, 'two-barman')));
    expect(m.backups.map((s) => `${s.pgHost}->${s.barmanHost}:${s.slotName}`)).toEqual(['db1->backup-dc1:backup_backup_dc1', 'db1->backup-dc2:backup_backup_dc2']);
    expect(m.backups.every((s) => s.settings.backupMethod === 'postgres')).toBe(true);
    expect(m.barmanHosts.find((b) => b.name === 'backup-dc2')?.global.logFile).toBe('/var/log/barman/barman-dc2.log');
  });

  it('shared-barman: the same Barman machine, owned by cluster-a and shared by cluster-b', async () => {
    const a = await loadCluster(join(EXAMPLES, 'shared-barman/cluster-a'));
    const b = await loadCluster(join(EXAMPLES, 'shared-barman/cluster-b'));
    const ma = resolveBarman(a);
    const mb = resolveBarman(b);
    expect(ma.barmanHosts.map((h) => [h.name, h.shared])).toEqual([['backup-shared', false]]);
    expect(mb.barmanHosts.map((h) => [h.name, h.shared])).toEqual([['backup-shared', true]]);
    const ip = (c: typeof a): string | undefined => c.hosts.find((h) => h.name === 'backup-shared')?.ipAddress;
    expect(ip(b)).toBe(ip(a));
    expect(b.hosts.find((h) => h.name === 'backup-shared')?.platform).toBe('bare');
    // Server names (and so cron files) do not collide on the shared host.
    const names = [...ma.backups, ...mb.backups].map((s) => s.backupName);
    expect(new Set(names).size).toBe(names.length);
  });
});
