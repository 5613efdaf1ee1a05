// Issue 18 acceptance on one real lab: a primary (barman_archiver: true) and a streaming
// replica that streams through a slot on it, both backed up to one Barman server. One
// deploy gives all-OK checks for both servers; a backup of the replica restores a row
// written on the primary; WAL reaches Barman through archive_command; a point-in-time
// restore after that WAL works; a no-op re-deploy stays at 1 connection and 1 command per
// host; and the replica, after its slot was dropped and the WAL it needs recycled, replays
// that WAL from Barman through restore_command.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startLab, type Lab } from '../support/lab.js';
import { deployJson } from '../support/deploy.js';
import { restoreAndQuery } from '../support/restore.js';

const PRIMARY = 'pg1';
const REPLICA = 'replica1';
/** The replica's physical slot on the primary (docker/lab makes it with the replica). */
const REPLICA_SLOT = 'lab_replica1';

function config(lab: Lab): string {
  const ip = (n: string): string => lab.host(n).ip;
  return `---
cluster_name: ${lab.name}
ssh_key_file: id_lab
cluster_vars:
  postgres_version: ${lab.pg.version}
  barman_minimum_redundancy: 1
instances:
- Name: ${PRIMARY}
  node: 1
  role: [primary]
  platform: bare
  ip_address: ${ip(PRIMARY)}
  backup: barman1
  vars:
    barman_archiver: true
- Name: ${REPLICA}
  node: 2
  role: [replica]
  upstream: ${PRIMARY}
  platform: bare
  ip_address: ${ip(REPLICA)}
  backup: barman1
- Name: barman1
  node: 3
  role: [barman]
  platform: bare
  ip_address: ${ip('barman1')}
`;
}

const deploy = (lab: Lab, extra: string[] = []): ReturnType<typeof deployJson> => deployJson(lab.dir, extra);

const sql = (lab: Lab, host: string, query: string): Promise<string> => lab.psql(host, query).then((out) => out.trim());

const asBarman = (lab: Lab, cmd: string): ReturnType<Lab['exec']> => lab.exec('barman1', `runuser -u barman -- ${cmd}`);

describe.each(['bookworm', 'trixie'] as const)('replicas and WAL archiving on a real lab (%s)', (os) => {
  let lab: Lab;
  // Debian's layout: the server log is where pg_ctlcluster writes it.
  const log = (): string => `/var/log/postgresql/postgresql-${lab.pg.version}-main.log`;
  beforeAll(async () => {
    lab = await startLab({ postgres: 1, replicas: 1, barman: 1, os, layout: 'debian' });
    await lab.writeConfig(config(lab));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('the plan names the restarts (one per host), archive_command and restore_command', async () => {
    const r = await cli(['plan', lab.dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`set archive_mode = 'on' (was 'off'; needs PostgreSQL restart)`);
    expect(r.stderr).toContain(`set archive_command = '/usr/bin/barman-wal-archive -U barman --port 22 barman1 ${PRIMARY} %p'`);
    expect(r.stderr).toContain(`set restore_command = '/usr/bin/barman-wal-restore -U barman -z -p 8 --port 22 barman1 ${PRIMARY} %f %p'`);
    // One restart per host: pg1 for archive_mode, the replica for listen_addresses.
    expect(r.stderr.match(/> restart PostgreSQL/g)).toHaveLength(2);
    expect(r.stderr).toMatch(/; 2 PostgreSQL restarts/);
  });

  it('deploy --no-restart leaves the restarts and the Barman steps that need them pending; then a deploy makes them and both servers pass barman check', async () => {
    const deferred = await deploy(lab, ['--no-restart']);
    expect(deferred.code, deferred.stderr).toBe(0);
    const pending = deferred.doc.changes.filter((c) => c.status === 'deferred');
    expect(pending.filter((c) => c.resource === 'handler:postgres-restart').map((c) => c.host).sort()).toEqual([PRIMARY, REPLICA]);
    expect(pending.filter((c) => c.host === 'barman1').map((c) => c.resource)).toEqual(expect.arrayContaining([`first-backup:${PRIMARY}`, `first-backup:${REPLICA}`]));
    expect(deferred.doc.changes.filter((c) => c.status === 'failed')).toEqual([]);
    const r = await deploy(lab);
    expect(r.code, r.stderr).toBe(0);
    for (const s of [PRIMARY, REPLICA]) {
      const check = await asBarman(lab, `barman check ${s}`);
      expect(check.code, `${s}\n${check.stdout}`).toBe(0);
      expect(check.stdout).not.toMatch(/FAILED/);
    }
    const primary = (await asBarman(lab, `barman check ${PRIMARY}`)).stdout;
    for (const c of ['archive_mode', 'archive_command', 'continuous archiving', 'archiver errors']) expect(primary).toMatch(new RegExp(`\\t${c}: OK`));
    const replica = (await asBarman(lab, `barman check ${REPLICA}`)).stdout;
    for (const c of ['PostgreSQL server is standby', 'Primary server is not a standby', 'Primary and standby have same system ID']) expect(replica).toMatch(new RegExp(`\\t${c}: OK`));
    const golden = join(import.meta.dirname, '..', 'golden', 'lab-replicas', `barman1-${REPLICA}.conf`);
    const got = (await lab.exec('barman1', `cat /etc/barman.d/${REPLICA}.conf`)).stdout.split(lab.name).join('CLUSTER');
    if (process.env.UPDATE_GOLDEN === '1') {
      await mkdir(join(golden, '..'), { recursive: true });
      await writeFile(golden, got);
    }
    expect(got).toBe(await readFile(golden, 'utf8'));
    // Streaming stays on with the archiver.
    expect(got).toContain('streaming_archiver = on');
  });

  it("a backup of the replica restores a row inserted on the primary before it", async () => {
    const marker = `replica-${Date.now()}`;
    await sql(lab, PRIMARY, `create table if not exists drill(note text); insert into drill values ('${marker}')`);
    // Wait until the replica has it, so the backup of the replica must contain it.
    let seen = '';
    for (let i = 0; i < 60 && seen !== marker; i++) {
      seen = await sql(lab, REPLICA, `select coalesce((select note from drill where note = '${marker}'), '')`).catch(() => '');
      if (seen !== marker) await new Promise((res) => setTimeout(res, 500));
    }
    expect(seen).toBe(marker);
    const backup = await asBarman(lab, `barman backup --wait ${REPLICA}`);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    expect((await asBarman(lab, `barman list-backups ${REPLICA}`)).stdout).not.toMatch(/FAILED/);
    const got = await restoreAndQuery(lab, { barmanHost: 'barman1', server: REPLICA, pgHost: PRIMARY, backupId: 'latest', sql: `select note from drill where note = '${marker}'` });
    expect(got).toBe(marker);
  });

  it("WAL reaches Barman's incoming directory through archive_command, and a point-in-time restore after it works", async () => {
    // Barman moves incoming WAL away within a minute (cron): holding its archive-wal lock
    // meanwhile keeps the file in incoming/ long enough to be seen.
    const lock = `/var/lib/barman/.${PRIMARY}-archive-wal.lock`;
    await lab.exec('barman1', 'rm -f /tmp/lock-taken /tmp/lock-release');
    const holder = lab.exec(
      'barman1',
      `runuser -u barman -- flock ${lock} sh -c 'touch /tmp/lock-taken; i=0; until [ -e /tmp/lock-release ]; do i=$((i+1)); [ $i -ge 600 ] && exit 1; sleep 0.1; done'`,
    );
    try {
      const taken = await lab.exec('barman1', 'i=0; until [ -e /tmp/lock-taken ]; do i=$((i+1)); [ $i -ge 300 ] && exit 1; sleep 0.1; done');
      expect(taken.code).toBe(0);
      await sql(lab, PRIMARY, "insert into drill values ('before-target')");
      const target = await sql(lab, PRIMARY, 'select now()');
      await new Promise((res) => setTimeout(res, 1100));
      await sql(lab, PRIMARY, "insert into drill values ('after-target')");
      const wal = await sql(lab, PRIMARY, 'select pg_walfile_name(pg_switch_wal())');
      expect(wal).toMatch(/^[0-9A-F]{24}$/);
      const arrived = await lab.exec('barman1', `i=0; until [ -e /var/lib/barman/${PRIMARY}/incoming/${wal} ]; do i=$((i+1)); [ $i -ge 300 ] && exit 1; sleep 0.1; done`);
      expect(arrived.code, `${wal} not in incoming/`).toBe(0);
      let archived = '';
      for (let i = 0; i < 100 && archived !== wal; i++) {
        archived = await sql(lab, PRIMARY, 'select last_archived_wal from pg_stat_archiver');
        if (archived !== wal) await new Promise((res) => setTimeout(res, 100));
      }
      expect(archived).toBe(wal);
      await lab.exec('barman1', 'touch /tmp/lock-release');
      expect((await holder).code).toBe(0);
      // Barman takes it in, then a restore to between the two rows.
      const sw = await asBarman(lab, `barman switch-wal --archive --archive-timeout 120 ${PRIMARY}`);
      expect(sw.code, sw.stdout + sw.stderr).toBe(0);
      expect((await lab.exec('barman1', `ls /var/lib/barman/${PRIMARY}/wals/${wal.slice(0, 16)}/`)).stdout).toContain(wal);
      const rows = await restoreAndQuery(lab, {
        barmanHost: 'barman1',
        server: PRIMARY,
        pgHost: PRIMARY,
        backupId: 'latest',
        targetTime: target,
        sql: "select string_agg(note, ',' order by note) from drill where note like '%-target'",
      });
      expect(rows).toBe('before-target');
    } finally {
      await lab.exec('barman1', 'touch /tmp/lock-release');
      await holder;
    }
  });

  it('a second deploy changes nothing, with 1 connection and 1 command per host', async () => {
    const r = await deploy(lab);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.recap.map((x) => `${x.host} ${x.changed}`)).toEqual(r.doc.recap.map((x) => `${x.host} 0`));
    expect(r.doc.changes.filter((c) => c.status !== 'skipped')).toEqual([]);
    expect(r.doc.hosts.map((h) => `${h.host} ${h.connections} ${h.execs}`)).toEqual(r.doc.hosts.map((h) => `${h.host} 1 1`));
  });

  it("the replica replays WAL from Barman after its slot was dropped and the WAL recycled", async () => {
    const stopped = await lab.exec(REPLICA, `pg_ctlcluster ${lab.pg.version} main stop -m fast`);
    expect(stopped.code, stopped.stderr).toBe(0);
    const needed = await lab.exec(REPLICA, `${lab.pg.binDir}/pg_controldata ${lab.pg.dataDir} | sed -n "s/^Latest checkpoint's REDO WAL file: *//p"`);
    const first = needed.stdout.trim();
    expect(first).toMatch(/^[0-9A-F]{24}$/);
    await sql(lab, PRIMARY, `select pg_drop_replication_slot('${REPLICA_SLOT}')`);
    const marker = `while-down-${Date.now()}`;
    await sql(lab, PRIMARY, `insert into drill values ('${marker}')`);
    // Move on several segments, with checkpoints, so the primary recycles what the replica needs.
    for (let i = 0; i < 4; i++) {
      await sql(lab, PRIMARY, 'select pg_switch_wal()');
      await sql(lab, PRIMARY, `insert into drill values ('filler-${i}')`);
      await sql(lab, PRIMARY, 'checkpoint');
    }
    const archived = await asBarman(lab, `barman switch-wal --archive --archive-timeout 120 ${PRIMARY}`);
    expect(archived.code, archived.stdout + archived.stderr).toBe(0);
    const onPrimary = (await lab.exec(PRIMARY, `ls ${lab.pg.dataDir}/pg_wal/`)).stdout.split('\n');
    expect(onPrimary).not.toContain(first);
    const logStart = Number((await lab.exec(REPLICA, `wc -c < ${log()}`)).stdout.trim());
    const started = await lab.exec(REPLICA, `pg_ctlcluster ${lab.pg.version} main start`);
    expect(started.code, started.stderr).toBe(0);
    let got = '';
    for (let i = 0; i < 120 && got !== marker; i++) {
      got = await sql(lab, REPLICA, `select coalesce((select note from drill where note = '${marker}'), '')`).catch(() => '');
      if (got !== marker) await new Promise((res) => setTimeout(res, 500));
    }
    expect(got).toBe(marker);
    const replayed = (await lab.exec(REPLICA, `tail -c +${logStart + 1} ${log()}`)).stdout;
    expect(replayed).toContain(`restored log file "${first}" from archive`);
  });

  it('detach takes the WAL settings back: no archive_command to a gone Barman server, archive_mode as it was, no restore_command', async () => {
    const r = await cli(['detach', lab.dir], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const settings = "select string_agg(name || '=' || coalesce(nullif(reset_val, ''), '-'), ' ' order by name) from pg_settings where name in ('archive_mode', 'archive_command', 'restore_command')";
    expect(await sql(lab, PRIMARY, settings)).toBe('archive_command=- archive_mode=off restore_command=-');
    expect(await sql(lab, REPLICA, settings)).toBe('archive_command=- archive_mode=off restore_command=-');
  });
});
