// Replicas and WAL archiving (issue 18): who a backed-up replica's primary is, TPA's
// archive_command and restore_command rules, and what the play places on each host.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barmanPlay } from '../../../playbooks/barman/deploy.js';
import { detachPlay } from '../../../playbooks/barman/detach.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import type { BarmanModel, PostgresHostSpec } from '../../../playbooks/barman/model.js';
import { standbyRestartpointScript } from '../../../playbooks/barman/standby.js';
import { placeholderDiscovery } from '../../../src/commands/list.js';
import { loadCluster } from '../../../src/config/load.js';
import type { ClusterSpec } from '../../../src/config/types.js';
import type { Placed } from '../../../src/engine/resource.js';
import { LinesResource } from '../../../src/engine/resources/lines.js';
import { PgSettingResource } from '../../../src/engine/resources/postgres-setting.js';
import { ConfigError } from '../../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-replicas-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function load(yaml: string): Promise<{ cluster: ClusterSpec; model: BarmanModel }> {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.yml'), yaml);
  const cluster = await loadCluster(dir);
  return { cluster, model: resolveBarman(cluster) };
}

async function problems(yaml: string): Promise<string[]> {
  const err = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => i.message);
}

/** One instance entry; `extra` lines are indented under it. */
function inst(name: string, node: number, role: string, extra: string[] = []): string {
  return [`- Name: ${name}`, `  node: ${node}`, `  role: [${role}]`, `  ip_address: 10.0.0.${node}`, ...extra.map((l) => `  ${l}`)].join('\n');
}

function cluster(clusterVars: string[], ...instances: string[]): string {
  const version = clusterVars.some((v) => v.startsWith('postgres_version:')) ? [] : ['postgres_version: 15'];
  return ['cluster_name: speedy', 'cluster_vars:', ...[...version, ...clusterVars].map((l) => `  ${l}`), 'instances:', ...instances, ''].join('\n');
}

const pgHost = (m: BarmanModel, name: string): PostgresHostSpec => {
  const p = m.postgresHosts.find((x) => x.name === name);
  if (!p) throw new Error(`no ${name}`);
  return p;
};

describe('a backed-up replica', () => {
  it("gets primary_conninfo for the root of its upstream chain (that primary's port, the replica's DSN attributes)", async () => {
    const { model } = await load(
      cluster(
        [],
        inst('pg1', 1, 'primary', ['vars:', '  postgres_port: 5433']),
        inst('pg2', 2, 'replica', ['upstream: pg1']),
        inst('pg3', 3, 'replica', ['upstream: pg2', 'backup: barman1', 'vars:', '  barman_client_dsn_attributes: sslmode=require']),
        inst('barman1', 4, 'barman'),
      ),
    );
    const s = model.backups.find((b) => b.pgHost === 'pg3');
    expect(s?.conninfo).toBe('host=pg3 port=5432 dbname=postgres user=barman sslmode=require');
    expect(s?.standby).toEqual({
      primaryHost: 'pg1',
      primaryConninfo: 'host=pg1 port=5433 dbname=postgres user=barman sslmode=require',
      primarySshCommand: 'ssh -q postgres@pg1 -p 22',
    });
    expect(pgHost(model, 'pg3').upstream).toBe('pg2');
    expect(pgHost(model, 'pg1').upstream).toBeUndefined();
  });

  it('a primary backed up has no standby settings', async () => {
    const { model } = await load(cluster([], inst('pg1', 1, 'primary', ['backup: barman1']), inst('barman1', 2, 'barman')));
    expect(model.backups[0]?.standby).toBeUndefined();
  });

  it('refuses a backed-up replica without upstream, a loop, a chain topped by a replica, an upstream that is not PostgreSQL', async () => {
    expect(await problems(cluster([], inst('pg1', 1, 'primary'), inst('pg2', 2, 'replica', ['backup: barman1']), inst('barman1', 3, 'barman')))).toEqual([
      'replica pg2 has backup: set but no upstream:',
    ]);
    const loop = await problems(cluster([], inst('pg2', 2, 'replica', ['upstream: pg3']), inst('pg3', 3, 'replica', ['upstream: pg2', 'backup: barman1']), inst('barman1', 4, 'barman')));
    expect(loop).toEqual(['upstream: settings form a loop: pg2 → pg3 → pg2']);
    expect(await problems(cluster([], inst('pg2', 2, 'replica'), inst('pg3', 3, 'replica', ['upstream: pg2', 'backup: barman1']), inst('barman1', 4, 'barman')))).toEqual([
      'replica pg3 is backed up, but the top of its upstream: chain, pg2, is a replica too',
    ]);
    expect(await problems(cluster([], inst('pg2', 2, 'replica', ['upstream: barman1']), inst('barman1', 4, 'barman')))).toEqual([
      'replica pg2 has upstream: barman1, which is not a PostgreSQL instance (role: barman)',
    ]);
  });
});

describe('barman_archiver: archive_mode and archive_command', () => {
  it("ships each WAL to the Barman server by backup_name, as the Barman host's user, over cluster_ssh_port", async () => {
    const { model } = await load(
      cluster(
        ['cluster_ssh_port: 2222'],
        inst('pg1', 1, 'primary', ['backup: barman1', 'vars:', '  barman_archiver: true', '  backup_name: sales']),
        inst('barman1', 2, 'barman', ['vars:', '  barman_user: bkp']),
      ),
    );
    const command = '/usr/bin/barman-wal-archive -U bkp --port 2222 barman1 sales %p';
    expect(pgHost(model, 'pg1').wal.archive).toEqual({ mode: 'on', barmanHosts: ['barman1'], command, commands: [command] });
  });

  it('archives to every Barman host of a list, all of which must succeed; a replica archives with archive_mode = always', async () => {
    const { model } = await load(
      cluster(
        ['barman_archiver: true'],
        inst('pg1', 1, 'primary', ['backup: [barman1, barman2]']),
        inst('pg2', 2, 'replica', ['upstream: pg1', 'backup: barman1']),
        inst('barman1', 3, 'barman'),
        inst('barman2', 4, 'barman'),
      ),
    );
    expect(pgHost(model, 'pg1').wal.archive?.command).toBe('/usr/bin/barman-wal-archive -U barman --port 22 barman1 pg1 %p && /usr/bin/barman-wal-archive -U barman --port 22 barman2 pg1 %p');
    expect(pgHost(model, 'pg2').wal.archive).toMatchObject({ mode: 'always', command: '/usr/bin/barman-wal-archive -U barman --port 22 barman1 pg2 %p' });
  });

  it("keeps the user's archive_command (only archive_mode is ours); no barman_archiver, no archiving settings", async () => {
    const { model } = await load(
      cluster(
        [],
        inst('pg1', 1, 'primary', ['backup: barman1', 'vars:', '  barman_archiver: true', "  archive_command: 'pgbackrest archive-push %p'"]),
        inst('pg2', 2, 'primary', ['backup: barman1']),
        inst('barman1', 3, 'barman'),
      ),
    );
    expect(pgHost(model, 'pg1').wal.archive).toEqual({ mode: 'on', barmanHosts: ['barman1'] });
    expect(pgHost(model, 'pg2').wal.archive).toBeUndefined();
  });
});

describe('restore_command on replicas (TPA: upstream_backedup)', () => {
  const topology = (clusterVars: string[] = [], replicaVars: string[] = []): string =>
    cluster(
      clusterVars,
      inst('pg1', 1, 'primary', ['backup: [barman2, barman1]']),
      inst('pg2', 2, 'replica', ['upstream: pg1', 'backup: barman1', ...(replicaVars.length ? ['vars:', ...replicaVars.map((v) => `  ${v}`)] : [])]),
      inst('pg3', 3, 'replica', ['upstream: pg2']),
      inst('barman1', 4, 'barman'),
      inst('barman2', 5, 'barman'),
    );

  it("fetches from the first backed-up instance of the cluster (config.yml order), from the first Barman host in its backup:", async () => {
    const { model } = await load(topology());
    for (const r of ['pg2', 'pg3']) {
      expect(pgHost(model, r).wal.restore).toEqual({
        command: '/usr/bin/barman-wal-restore -U barman -z -p 8 --port 22 barman2 pg1 %f %p',
        barmanHost: 'barman2',
        server: 'pg1',
        source: 'pg1',
      });
    }
    expect(pgHost(model, 'pg1').wal.restore).toBeUndefined();
  });

  it('prefers a backed-up instance in the same region', async () => {
    const { model } = await load(
      cluster(
        [],
        inst('pg1', 1, 'primary', ['backup: barman1', 'vars:', '  region: eu']),
        inst('pg2', 2, 'replica', ['upstream: pg1', 'backup: barman2', 'vars:', '  region: us', '  backup_name: pg2-us']),
        inst('pg3', 3, 'replica', ['upstream: pg1', 'vars:', '  region: us']),
        inst('barman1', 4, 'barman'),
        inst('barman2', 5, 'barman'),
      ),
    );
    expect(pgHost(model, 'pg3').wal.restore).toMatchObject({ barmanHost: 'barman2', server: 'pg2-us', source: 'pg2' });
  });

  it("leaves the user's restore_command alone, and says why PostgreSQL 11 gets none", async () => {
    const own = await load(topology([], ["restore_command: 'cp /mnt/wal/%f %p'"]));
    expect(pgHost(own.model, 'pg2').wal.restore).toBeUndefined();
    expect(pgHost(own.model, 'pg3').wal.restore).toBeDefined();
    const old = await load(topology(['postgres_version: 11']));
    expect(pgHost(old.model, 'pg2').wal.restore).toBeUndefined();
    expect(pgHost(old.model, 'pg2').wal.notes).toEqual(['restore_command is not set: PostgreSQL 11 keeps it in recovery.conf, which tpa-barman does not manage']);
  });

  it('none when nothing in the cluster is backed up', async () => {
    const { model } = await load(cluster([], inst('pg1', 1, 'primary'), inst('pg2', 2, 'replica', ['upstream: pg1']), inst('barman1', 3, 'barman')));
    expect(pgHost(model, 'pg2').wal).toEqual({ notes: [] });
  });
});

describe('the play for a primary, a backed-up replica and a replica that is not', () => {
  const yaml = cluster(
    [],
    inst('pg1', 1, 'primary'),
    inst('pg2', 2, 'replica', ['upstream: pg1', 'backup: barman1', 'vars:', '  barman_archiver: true']),
    inst('pg3', 3, 'replica', ['upstream: pg1']),
    inst('barman1', 4, 'barman'),
  );
  const build = async (): Promise<Placed[]> => {
    const { cluster: c, model } = await load(yaml);
    const play = barmanPlay(c, model, {}, {});
    return play.build(placeholderDiscovery(play));
  };
  const ids = (placed: Placed[], host: string): string[] => placed.filter((p) => p.host === host).map((p) => p.resource.id);

  it('roles only on the primary; pg_hba and listen_addresses on the primary and the backed-up replica', async () => {
    const placed = await build();
    expect(ids(placed, 'pg1')).toEqual(expect.arrayContaining(['pg_role:barman', 'lines:/etc/postgresql/15/main/pg_hba.conf', 'pg_setting:listen_addresses']));
    for (const r of ['pg2', 'pg3']) expect(ids(placed, r).filter((id) => id.startsWith('pg_role') || id.startsWith('pg_grant') || id.startsWith('pg_member'))).toEqual([]);
    expect(ids(placed, 'pg2')).toEqual(expect.arrayContaining(['lines:/etc/postgresql/15/main/pg_hba.conf', 'pg_setting:listen_addresses']));
    expect(ids(placed, 'pg3')).not.toContain('lines:/etc/postgresql/15/main/pg_hba.conf');
    expect(ids(placed, 'pg3')).not.toContain('pg_setting:listen_addresses');
  });

  it('settings: archive_mode = always and archive_command on the archiving replica, restore_command on both replicas', async () => {
    const placed = await build();
    const want = (host: string, name: string, current: string): string | null => {
      const r = placed.find((p) => p.host === host && p.resource.id === `pg_setting:${name}`)?.resource;
      if (!(r instanceof PgSettingResource)) throw new Error(`no ${name} on ${host}`);
      return r.spec.want(current);
    };
    expect(want('pg2', 'archive_mode', 'off')).toBe('always');
    expect(want('pg2', 'archive_mode', 'on')).toBe('always');
    expect(want('pg2', 'archive_mode', 'always')).toBeNull();
    expect(want('pg2', 'archive_command', '(disabled)')).toBe('/usr/bin/barman-wal-archive -U barman --port 22 barman1 pg2 %p');
    const restore = '/usr/bin/barman-wal-restore -U barman -z -p 8 --port 22 barman1 pg2 %f %p';
    expect(want('pg3', 'restore_command', '')).toBe(restore);
    expect(want('pg3', 'restore_command', restore)).toBeNull();
    expect(ids(placed, 'pg1').filter((id) => /archive|restore_command/.test(id))).toEqual([]);
    // pg3 needs the postgres key's known_hosts entry for barman1 (barman-wal-restore ssh's there).
    const kh = placed.find((p) => p.host === 'pg3' && p.resource.id.endsWith('/.ssh/known_hosts'))?.resource;
    expect(kh instanceof LinesResource && kh.spec.entries.some((e) => e.match.startsWith('barman1,10.0.0.4 '))).toBe(true);
  });

  it("the Barman host can log in to the standby's primary (pgpass, known_hosts) and makes a restartpoint before the first backup", async () => {
    const placed = await build();
    const lines = (id: string): string[] => {
      const r = placed.find((p) => p.host === 'barman1' && p.resource.id === id)?.resource;
      return r instanceof LinesResource ? r.spec.entries.map((e) => e.match) : [];
    };
    expect(lines('lines:/var/lib/barman/.pgpass')).toEqual(['pg2:*:*:barman:', 'pg2:*:*:streaming_barman:', 'pg1:*:*:barman:']);
    expect(lines('lines:/var/lib/barman/.ssh/known_hosts').map((m) => m.split(' ')[0])).toEqual(['pg1,10.0.0.1', 'pg2,10.0.0.2']);
    const first = placed.find((p) => p.host === 'barman1' && p.resource.id === 'first-backup:pg2')?.resource;
    // The fact of its probe: Barman not installed yet (no completed backup).
    const fact = first?.probe().parse({ stdout: Buffer.from('list not-installed\n'), sql: undefined });
    const change = first?.plan(fact, { notified: new Set(), planOnly: true });
    expect(change?.summary).toBe('take the first 3 backups of pg2 (from pg2, a standby of pg1)');
    expect(change?.sh).toContain("ssh -q postgres@pg1 -p 22 -o BatchMode=yes '/usr/lib/postgresql/15/bin/psql");
    expect(change?.sh).toContain('pg_last_wal_replay_lsn()');
    // deploy --no-restart: a standby's bring-up waits for restarts on it and on its primary.
    expect(first?.waitsFor).toEqual([
      { host: 'pg2', id: 'handler:postgres-restart' },
      { host: 'pg1', id: 'handler:postgres-restart' },
    ]);
  });
});

describe('Patroni', () => {
  it("notes (in the plan) that Patroni must ignore our slots, as TPA's ignore_slots does; tpa-barman does not edit Patroni's configuration", async () => {
    const { cluster: c, model } = await load(cluster(['failover_manager: patroni'], inst('pg1', 1, 'primary', ['backup: [barman1, barman2]']), inst('barman1', 2, 'barman'), inst('barman2', 3, 'barman')));
    const play = barmanPlay(c, model, {}, {});
    const notes = play
      .build(placeholderDiscovery(play))
      .filter((p) => p.host === 'pg1')
      // pg1's resources with notes are its roles (no role yet: null) and the Patroni note.
      .flatMap((p) => p.resource.notes?.(null) ?? []);
    expect(notes).toEqual([
      "Patroni manages replication slots here: keep backup_barman1, backup_barman2 in ignore_slots (type: physical) of Patroni's DCS configuration, or Patroni drops them",
    ]);
  });
});

describe('detach and the WAL settings', () => {
  const yaml = cluster(
    ['barman_archiver: true'],
    inst('pg1', 1, 'primary', ['backup: [barman1, barman2]']),
    inst('pg2', 2, 'replica', ['upstream: pg1']),
    inst('barman1', 3, 'barman'),
    inst('barman2', 4, 'barman'),
  );
  const detachAt = async (only?: string): Promise<Placed[]> => {
    const { cluster: c, model } = await load(yaml);
    const play = detachPlay(c, model, undefined, only);
    return play.build(placeholderDiscovery(play));
  };
  // The removal's fact is the file (FileState): present with this content, or absent.
  const planOf = (placed: Placed[], host: string, id: string, content: string | null) =>
    placed
      .find((p) => p.host === host && p.resource.id === id)
      ?.resource.plan(content === null ? { exists: false, sha256: '-', content: Buffer.alloc(0) } : { exists: true, sha256: 'x', content: Buffer.from(content) }, { notified: new Set(), planOnly: true });
  const ours = (name: string, value: string): string => `# Managed by tpa-barman\n${name} = '${value}'\n`;

  it('detaching one of two Barman hosts keeps archiving to the other; the replica that fetched WAL from it stops', async () => {
    const placed = await detachAt('barman1');
    const a = placed.find((p) => p.host === 'pg1' && p.resource.id === 'pg_setting:archive_command')?.resource;
    expect(a instanceof PgSettingResource && a.spec.want('x')).toBe('/usr/bin/barman-wal-archive -U barman --port 22 barman2 pg1 %p');
    expect(placed.filter((p) => p.host === 'pg1').map((p) => p.resource.id)).not.toContain('pg_setting_removal:archive_mode');
    // pg2 is not backed up, but its restore_command pointed at barman1 (pg1's first Barman host).
    const r = planOf(placed, 'pg2', 'pg_setting_removal:restore_command', ours('restore_command', '/usr/bin/barman-wal-restore -U barman -z -p 8 --port 22 barman1 pg1 %f %p'));
    expect(r).toMatchObject({ action: 'remove', notify: ['handler:postgres-reload'] });
    expect(r?.summary).toBe('remove restore_command (/etc/postgresql/15/main/conf.d/tpa-barman-restore-command.conf): it fetched WAL from barman1');
  });

  it('detaching every Barman host removes archive_command and our archive_mode (a restart); a file that is not ours stays', async () => {
    const placed = await detachAt();
    expect(planOf(placed, 'pg1', 'pg_setting_removal:archive_mode', ours('archive_mode', 'on'))).toMatchObject({ action: 'remove', notify: ['handler:postgres-restart'] });
    expect(planOf(placed, 'pg1', 'pg_setting_removal:archive_command', ours('archive_command', 'x'))).toMatchObject({ action: 'remove', notify: ['handler:postgres-reload'] });
    expect(planOf(placed, 'pg1', 'pg_setting_removal:archive_mode', 'archive_mode = on\n')).toBeNull();
    expect(planOf(placed, 'pg1', 'pg_setting_removal:archive_mode', null)).toBeNull();
  });
});

describe('standbyRestartpointScript', () => {
  it('checkpoints the primary, waits (bounded) for replay, then checkpoints the standby; SQL on stdin', () => {
    const s = standbyRestartpointScript('barman', { host: 'pg1', ssh: 'ssh -q postgres@pg1 -p 22', binDir: '/usr/lib/postgresql/17/bin', port: 5432 }, { host: 'r1', ssh: 'ssh -q postgres@r1 -p 22', binDir: '/usr/lib/postgresql/17/bin', port: 5444 });
    const lines = s.split('\n');
    expect(lines[0]).toBe(
      "lsn=$(printf 'CHECKPOINT;\\nSELECT pg_current_wal_lsn();\\n' | runuser -u barman -- ssh -q postgres@pg1 -p 22 -o BatchMode=yes '/usr/lib/postgresql/17/bin/psql -XAtq -v ON_ERROR_STOP=1 -p 5432 -d postgres') || { echo \"could not make a checkpoint on pg1\" >&2; exit 1; }",
    );
    expect(s).toContain('if [ $i -ge 60 ]');
    expect(lines.at(-1)).toBe(
      "printf 'CHECKPOINT;\\n' | runuser -u barman -- ssh -q postgres@r1 -p 22 -o BatchMode=yes '/usr/lib/postgresql/17/bin/psql -XAtq -v ON_ERROR_STOP=1 -p 5444 -d postgres' || { echo \"could not make a restartpoint on r1\" >&2; exit 1; }",
    );
  });
});
