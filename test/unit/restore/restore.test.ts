// Pure parts of restore-test and restore: targets, server selection, --to, the
// destination probe (run for real on this machine) and its refusals, the cron line, and
// how status reads a scheduled test's result.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destinationProbe, destinationRefusal, parseDestination, parseDestinationProbe, type DestinationFacts } from '../../../playbooks/barman/restore.js';
import { selectServers } from '../../../playbooks/barman/restore-test.js';
import { SelectionError } from '../../../src/errors.js';
import { TargetError, parseTarget } from '../../../playbooks/barman/restore/target.js';
import { runnerParams } from '../../../playbooks/barman/restore/params.js';
import { serverCronFile } from '../../../playbooks/barman/templates/cron.js';
import { assessStatus, type HostSections } from '../../../playbooks/barman/status.js';
import type { BarmanModel } from '../../../playbooks/barman/model.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import { loadCluster } from '../../../src/config/load.js';

const tmp = mkdtempSync(join(tmpdir(), 'tpab-restore-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function model(vars = ''): Promise<BarmanModel> {
  const dir = mkdtempSync(join(tmp, 'c-'));
  writeFileSync(
    join(dir, 'config.yml'),
    `cluster_name: speedy
cluster_vars:
  postgres_version: 15
instances:
- Name: pg1
  node: 1
  role: [primary]
  backup: [barman1, barman2]
  ip_address: 10.0.0.1
- Name: pg2
  node: 2
  role: [primary]
  backup: barman1
  ip_address: 10.0.0.2
  vars:
    barman_restore_host: pg1
${vars}- Name: barman1
  node: 3
  role: [barman]
  ip_address: 10.0.0.3
- Name: barman2
  node: 4
  role: [barman]
  ip_address: 10.0.0.4
`,
  );
  return resolveBarman(await loadCluster(dir));
}

describe('targets', () => {
  it('needs a UTC offset on times, and normalises it', () => {
    expect(parseTarget({ targetTime: '2026-12-03 13:10:00+00' })).toEqual({ kind: 'time', value: '2026-12-03 13:10:00+00:00', epoch: Date.parse('2026-12-03T13:10:00Z') / 1000 });
    expect(parseTarget({ targetTime: '2026-12-03T13:10:00.25Z' })?.value).toBe('2026-12-03 13:10:00.25+00:00');
    expect(parseTarget({ targetTime: '2026-12-03 15:10:00+0200' })).toMatchObject({ epoch: Date.parse('2026-12-03T13:10:00Z') / 1000 });
    expect(() => parseTarget({ targetTime: '2026-12-03 13:10:00' })).toThrow(TargetError);
    expect(() => parseTarget({ targetTime: 'yesterday' })).toThrow(/not a timestamp with a UTC offset/);
  });
  it('checks LSNs and restore point names, and takes one target at most', () => {
    expect(parseTarget({ targetLsn: '0/3000060' })).toEqual({ kind: 'lsn', value: '0/3000060' });
    expect(() => parseTarget({ targetLsn: '3000060' })).toThrow(/not an LSN/);
    expect(parseTarget({ targetName: 'before upgrade' })).toEqual({ kind: 'name', value: 'before upgrade' });
    expect(() => parseTarget({ targetName: 'x\ny' })).toThrow(TargetError);
    expect(() => parseTarget({ targetLsn: '0/1', targetName: 'a' })).toThrow(/at most one/);
    expect(parseTarget({})).toBeNull();
  });
});

describe('servers and restore hosts', () => {
  it('selects by backup name and Barman host, with the restore host resolved', async () => {
    const m = await model();
    expect(selectServers(m).map((s) => `${s.backupName}@${s.barmanHost}→${s.restoreHost}`)).toEqual(['pg1@barman1→pg1', 'pg1@barman2→pg1', 'pg2@barman1→pg1']);
    expect(selectServers(m, ['pg1'], 'barman2').map((s) => s.barmanHost)).toEqual(['barman2']);
    expect(() => selectServers(m, ['nope'])).toThrow(SelectionError);
    expect(() => selectServers(m, [], 'pg1')).toThrow(/no Barman instance/);
  });
  it('reaches the restore host as its postgres user with BatchMode, and never puts SQL in argv', async () => {
    const m = await model();
    const s = selectServers(m, ['pg2'])[0];
    if (!s) throw new Error('no pg2');
    const p = runnerParams(m, s, { mode: 'test', sql: Buffer.from('select 1') });
    expect(p.restore).toEqual({ host: 'pg1', user: 'postgres', ssh: ['ssh', '-q', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', 'postgres@pg1', '-p', '22'] });
    expect(p.bin_dirs[0]).toBe('/usr/lib/postgresql/15/bin');
    expect(p.sql_b64).toBe(Buffer.from('select 1').toString('base64'));
  });
  it('adds the scheduled restore test to the server cron file only when set', async () => {
    const m = await model("    barman_restore_test_interval: '30 2 * * *'\n");
    expect(m.backups.find((b) => b.backupName === 'pg2')?.restoreTestInterval).toBe('30 2 * * *');
    const plain = selectServers(m, ['pg1'], 'barman1')[0];
    if (!plain) throw new Error('no pg1');
    expect(serverCronFile(plain, 'barman', [], '/etc/tpa/restore-test/pg1.py')).not.toMatch(/restore-test/);
    const withTest = { ...plain, restoreTestInterval: '30 2 * * *' };
    expect(serverCronFile(withTest, 'barman', [], '/etc/tpa/restore-test/pg1.py')).toMatch(
      /^# Restore test of server pg1 .*\n30 2 \* \* \* barman \/etc\/tpa\/barman-home-ok && \/usr\/bin\/python3 \/etc\/tpa\/restore-test\/pg1.py$/m,
    );
  });
});

describe('restore --to', () => {
  it('takes an absolute directory of its own on a PostgreSQL instance', async () => {
    const m = await model();
    expect(parseDestination(m, 'pg2:/var/lib/postgresql/restored/')).toEqual({ host: 'pg2', dir: '/var/lib/postgresql/restored' });
    expect(() => parseDestination(m, 'barman1:/srv/x/y')).toThrow(/not a PostgreSQL instance/);
    expect(() => parseDestination(m, 'pg2:relative/dir')).toThrow(/absolute/);
    expect(() => parseDestination(m, 'pg2:/var/../etc/x')).toThrow(/without \.\./);
    expect(() => parseDestination(m, 'pg2:/srv')).toThrow(/top-level/);
    expect(() => parseDestination(m, '/srv/x')).toThrow(/HOST:DIR/);
  });

  const facts = (over: Partial<DestinationFacts>): DestinationFacts => ({ ancestor: '/srv', real: '/srv/new', state: 'missing', writable: true, pidfile: null, clusters: [], tablespaces: [], unknownClusters: [], ...over });
  it('refuses running clusters, their tablespaces, pid files, non-empty dirs; --force only for empty ones', () => {
    const running = { clusters: [{ pid: 7, dataDir: '/var/lib/postgresql/15/main' }] };
    expect(destinationRefusal('pg1', '/var/lib/postgresql/15/main', facts({ ...running, real: '/var/lib/postgresql/15/main', state: 'nonempty' }), true)).toMatch(/belongs to a running cluster \(postmaster pid 7/);
    expect(destinationRefusal('pg1', '/var/lib/postgresql', facts({ ...running, real: '/var/lib/postgresql', state: 'nonempty' }), true)).toMatch(/contains the data directory of a running cluster/);
    expect(destinationRefusal('pg1', '/srv/ts/x', facts({ real: '/srv/ts/x', tablespaces: [{ pid: 7, path: '/srv/ts' }] }), true)).toMatch(/overlaps a tablespace/);
    expect(destinationRefusal('pg1', '/srv/new', facts({ unknownClusters: [9] }), true)).toMatch(/cannot rule out/);
    expect(destinationRefusal('pg1', '/srv/new', facts({ pidfile: '123' }), true)).toMatch(/postmaster\.pid/);
    expect(destinationRefusal('pg1', '/srv/new', facts({ state: 'nonempty' }), true)).toMatch(/is not empty/);
    expect(destinationRefusal('pg1', '/srv/new', facts({ state: 'empty' }), false)).toMatch(/give --force/);
    expect(destinationRefusal('pg1', '/srv/new', facts({ state: 'empty' }), true)).toBeNull();
    expect(destinationRefusal('pg1', '/srv/new', facts({ writable: false }), false)).toMatch(/not writable/);
    expect(destinationRefusal('pg1', '/srv/new', facts({}), false)).toBeNull();
  });

  it('probes for real: state, symlinks resolved, writability', () => {
    const base = mkdtempSync(join(tmp, 'd-'));
    mkdirSync(join(base, 'empty'));
    mkdirSync(join(base, 'full'));
    writeFileSync(join(base, 'full', 'PG_VERSION'), '15\n');
    symlinkSync(join(base, 'full'), join(base, 'link'));
    const probe = (dir: string): DestinationFacts => {
      const r = spawnSync('sh', ['-s'], { input: destinationProbe(dir, 'root'), encoding: 'utf8' });
      return parseDestinationProbe(dir, r.stdout);
    };
    expect(probe(join(base, 'empty')).state).toBe('empty');
    expect(probe(join(base, 'full')).state).toBe('nonempty');
    const missing = probe(join(base, 'new', 'deeper'));
    expect(missing).toMatchObject({ state: 'missing', ancestor: base, real: join(base, 'new', 'deeper'), writable: true });
    expect(probe(join(base, 'link'))).toMatchObject({ state: 'nonempty', real: join(base, 'full') });
  });
});

describe('status and the scheduled restore test', () => {
  it('shows the last result and its age; a failure or a missed run is a problem', async () => {
    const m = await model();
    const s = m.backups.find((b) => b.backupName === 'pg1' && b.barmanHost === 'barman1');
    if (!s) throw new Error('no server');
    s.restoreTestInterval = '30 2 * * *';
    const now = Date.parse('2026-12-03T12:00:00Z') / 1000;
    const hosts = (result: unknown): Map<string, HostSections> => {
      const sections = new Map([
        ['clock', { code: 0, stdout: `${now} +0000\n`, stderr: '' }],
        ['restore-test:pg1', result === undefined ? { code: 1, stdout: '', stderr: 'No such file' } : { code: 0, stdout: JSON.stringify(result), stderr: '' }],
      ]);
      return new Map<string, HostSections>([
        ['barman1', { reachable: true, sections }],
        ['barman2', { reachable: true, sections: new Map() }],
        ['pg1', { reachable: true, sections: new Map() }],
        ['pg2', { reachable: true, sections: new Map() }],
      ]);
    };
    const of = (h: Map<string, HostSections>) => assessStatus(m, h).find((x) => x.server === 'pg1' && x.barmanHost === 'barman1');
    const passed = of(hosts({ ok: true, started_at: now - 9.5 * 3600, finished_at: now - 9.5 * 3600 + 60, backup: { id: 'B' }, restore_seconds: 42.5, wal_gap_bytes: 0, error: null }));
    expect(passed?.restoreTest).toEqual({
      schedule: '30 2 * * *',
      overdue: false,
      last: { ok: true, finishedAt: '2026-12-03T02:31:00+00:00', ageSeconds: 9.5 * 3600 - 60, backupId: 'B', restoreSeconds: 42.5, walGapBytes: 0, error: null },
    });
    expect(passed?.problems.filter((p) => /restore test/.test(p))).toEqual([]);
    const failed = of(hosts({ ok: false, started_at: now - 3600, finished_at: now - 3500, error: 'barman recover failed (exit 1)' }));
    expect(failed?.problems).toContain('the last scheduled restore test failed (2026-12-03T11:01:40+00:00): barman recover failed (exit 1)');
    const old = of(hosts({ ok: true, started_at: now - 3 * 86400, finished_at: now - 3 * 86400 + 60 }));
    expect(old?.restoreTest?.overdue).toBe(true);
    expect(old?.problems.some((p) => /overdue/.test(p))).toBe(true);
    const never = of(hosts(undefined));
    expect(never?.restoreTest).toEqual({ schedule: '30 2 * * *', last: null, overdue: false });
  });
});
