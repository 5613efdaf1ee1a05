// Issue 5 acceptance on the real lab: 2 PostgreSQL hosts, 2 Barman hosts. pg1 is backed
// up to both Barman servers, pg2 to barman1 under a custom backup_name with non-default
// settings. One deploy gives all-OK `barman check`s and completed backups; a restore
// drill reads a marker row back; re-deploys are no-ops or repair exactly the drift.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barmanVersion, doneBackups } from '../support/barman.js';
import { deployJson } from '../support/deploy.js';
import { cli, defaultLabKind, labKindName, startLab, type Lab } from '../support/lab.js';
import { restoreAndQuery } from '../support/restore.js';

const defaultKindName = labKindName(defaultLabKind());

function config(lab: Lab): string {
  const ip = (n: string): string => lab.host(n).ip;
  return `---
cluster_name: ${lab.name}
ssh_key_file: id_lab
cluster_vars:
  postgres_version: ${lab.pg.version}
  barman_backup_interval: '15 3 * * sun'
instances:
- Name: pg1
  node: 1
  role: [primary]
  platform: bare
  ip_address: ${ip('pg1')}
  backup: [barman1, barman2]
- Name: pg2
  node: 2
  role: primary
  platform: bare
  ip_address: ${ip('pg2')}
  backup: barman1
  vars:
    backup_name: sales_db
    barman_retention_policy: RECOVERY WINDOW OF 2 WEEKS
    barman_minimum_redundancy: 1
    barman_backup_method: postgres
- Name: barman1
  node: 3
  role: [barman]
  platform: bare
  ip_address: ${ip('barman1')}
- Name: barman2
  node: 4
  role: [barman]
  platform: bare
  ip_address: ${ip('barman2')}
`;
}

const deploy = (lab: Lab, extra: string[] = []): ReturnType<typeof deployJson> => deployJson(lab.dir, extra);

function normalise(text: string, lab: Lab): string {
  return text.split(lab.name).join('CLUSTER');
}

describe(`Barman deploy on a real lab (${defaultKindName})`, () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 2 });
    await lab.writeConfig(config(lab));
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('first deploy sets up working backups everywhere, and barman is never a superuser', async () => {
    // Watch the catalog during the whole deploy.
    const watch = lab.exec(
      'pg1',
      `for i in $(seq 1 600); do runuser -u postgres -- psql -XAtc "select coalesce((select rolsuper::text from pg_roles where rolname='barman'),'none')" >> /tmp/super.log 2>/dev/null; [ -e /tmp/stop-watch ] && break; sleep 0.2; done`,
    );
    const r = await deploy(lab);
    await lab.exec('pg1', 'touch /tmp/stop-watch');
    await watch;
    expect(r.code, r.stderr).toBe(0);
    const seen = (await lab.exec('pg1', 'sort -u /tmp/super.log')).stdout.trim().split('\n');
    expect(seen).not.toContain('true');
    expect(seen).toContain('false');

    for (const [host, servers] of [
      ['barman1', ['pg1', 'sales_db']],
      ['barman2', ['pg1']],
    ] as const) {
      for (const s of servers) {
        const check = await lab.exec(host, `runuser -u barman -- barman check ${s}`);
        expect(check.code, `${host} ${s}\n${check.stdout}`).toBe(0);
        expect(check.stdout).not.toMatch(/FAILED/);
        const list = await lab.exec(host, `runuser -u barman -- barman list-backups ${s}`);
        expect(list.stdout).toMatch(new RegExp(`^${s} \\d{8}T\\d{6} .*Size`, 'm'));
        // minimum_redundancy backups, as Barman counts them: pg1 3 (the default), sales_db 1.
        expect(await doneBackups(lab, host, s), `${host} ${s}`).toBe(s === 'sales_db' ? 1 : 3);
      }
    }
    // Roles as designed.
    const roles = await lab.exec(
      'pg2',
      `runuser -u postgres -- psql -XAtc "select rolname, rolsuper, rolinherit, rolcanlogin, rolreplication from pg_roles where rolname in ('barman','barman_role','streaming_barman') order by 1"`,
    );
    expect(roles.stdout.trim()).toBe('barman|f|t|t|f\nbarman_role|f|t|f|f\nstreaming_barman|f|t|t|t');
  });

  it('writes server configs and cron files that match the golden files', async () => {
    const golden = join(import.meta.dirname, '..', 'golden', 'lab-deploy');
    for (const [host, file, name] of [
      ['barman1', '/etc/barman.d/pg1.conf', 'barman1-pg1.conf'],
      ['barman1', '/etc/barman.d/sales_db.conf', 'barman1-sales_db.conf'],
      ['barman2', '/etc/barman.d/pg1.conf', 'barman2-pg1.conf'],
      ['barman1', '/etc/cron.d/pg1', 'barman1-cron-pg1'],
      ['barman1', '/etc/cron.d/sales_db', 'barman1-cron-sales_db'],
      ['barman1', '/etc/cron.d/barman', 'barman1-cron-barman'],
    ] as const) {
      const got = (await lab.exec(host, `cat ${file}`)).stdout;
      if (process.env.UPDATE_GOLDEN === '1') {
        await mkdir(golden, { recursive: true });
        await writeFile(join(golden, name), normalise(got, lab));
      }
      const want = await readFile(join(golden, name), 'utf8');
      expect(normalise(got, lab), `${host}:${file}`).toBe(want);
    }
  });

  it('restore drill: a marker row inserted before a backup is read back from a recovered copy', async () => {
    const marker = `drill-${Date.now()}`;
    await lab.exec('pg1', `runuser -u postgres -- psql -Xqc "create table if not exists drill(note text); insert into drill values ('${marker}')"`);
    const backup = await lab.exec('barman1', 'runuser -u barman -- barman backup --wait pg1');
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const got = await restoreAndQuery(lab, { barmanHost: 'barman1', server: 'pg1', pgHost: 'pg1', backupId: 'latest', sql: `select note from drill where note = '${marker}'` });
    expect(got).toBe(marker);
  });

  it('a second deploy changes nothing and takes no backup', async () => {
    const servers = [['barman1', 'pg1'], ['barman1', 'sales_db'], ['barman2', 'pg1']] as const;
    const before = await Promise.all(servers.map(([h, s]) => doneBackups(lab, h, s)));
    const r = await deploy(lab);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.recap.map((x) => x.changed)).toEqual(r.doc.recap.map(() => 0));
    expect(r.doc.changes.filter((c) => c.status !== 'skipped')).toEqual([]);
    // Discovery is cached from the first deploy: one connection and one command per host.
    expect(r.doc.hosts.map((h) => `${h.host} ${h.connections} ${h.execs}`)).toEqual(r.doc.hosts.map((h) => `${h.host} 1 1`));
    expect(await Promise.all(servers.map(([h, s]) => doneBackups(lab, h, s)))).toEqual(before);
  });

  it('a third deploy repairs exactly a deleted file and a role altered by hand', async () => {
    await lab.exec('barman1', 'rm -f /etc/cron.d/sales_db');
    await lab.exec('pg1', `runuser -u postgres -- psql -Xqc "alter role streaming_barman noreplication"`);
    const r = await deploy(lab);
    expect(r.code, r.stderr).toBe(0);
    const changed = r.doc.changes.filter((c) => c.status === 'changed').map((c) => `${c.host} ${c.resource}`).sort();
    expect(changed).toEqual(['barman1 file:/etc/cron.d/sales_db', 'pg1 pg_role:streaming_barman']);
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check pg1');
    expect(check.code, check.stdout).toBe(0);
  });

  it(".barman.auto.conf: a setting there that contradicts config.yml is drift in plan, and deploy sets it back through barman config-update", async () => {
    const auto = '/var/lib/barman/.barman.auto.conf';
    const [major, minor] = await barmanVersion(lab, 'barman1');
    if (major < 3 || (major === 3 && minor < 10)) {
      // Barman 3.4 has no config-update and never reads the file: one written by hand changes nothing.
      const cu = await lab.exec('barman1', `runuser -u barman -- barman config-update '[]'`);
      expect(cu.stderr).toMatch(/invalid choice: 'config-update'/);
      await lab.exec('barman1', `printf '[sales_db]\\narchiver = on\\n' > ${auto} && chown barman: ${auto}`);
      const plan = await cli(['plan', lab.dir]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout + plan.stderr).toContain(`${auto} exists on barman1, but Barman ${major}.${minor}.`);
      await lab.exec('barman1', `rm -f ${auto}`);
      return;
    }
    // What an operator (or a tool on Barman's API) would do. config-update writes a key into
    // the file Barman reads it from: for archiver, which config.yml leaves at Barman's
    // default (off) and so no file of ours sets, that is the auto file.
    const set = (json: string): Promise<{ code: number; stdout: string; stderr: string }> => lab.exec('barman1', `runuser -u barman -- barman config-update '${json}'`);
    const cu = await set('[{"scope":"server","server_name":"sales_db","archiver":"on","archiver_batch_size":"7"}]');
    expect(cu.code, cu.stdout + cu.stderr).toBe(0);
    expect((await lab.exec('barman1', `cat ${auto}`)).stdout).toMatch(/^\[sales_db\]\narchiver = on\narchiver_batch_size = 7\n?$/);
    const plan = await cli(['plan', lab.dir]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const text = plan.stdout + plan.stderr;
    expect(text).toContain(`Barman server sales_db: ${auto} overrides archiver = "on" there, "off" ours — set back with barman config-update`);
    expect(text).toContain(`${auto} sets archiver_batch_size, which config.yml does not set: left alone`);
    const r = await deploy(lab);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.changes.filter((c) => c.status === 'changed').map((c) => `${c.host} ${c.resource}`)).toContain('barman1 barman-auto-conf:sales_db');
    // Barman's own file, written by Barman: our value, the setting we do not manage kept.
    expect((await lab.exec('barman1', `cat ${auto}`)).stdout).toMatch(/^\[sales_db\]\narchiver = off\narchiver_batch_size = 7\n?$/);
    const shown = JSON.parse((await lab.exec('barman1', 'runuser -u barman -- barman -f json show-servers sales_db')).stdout) as Record<string, { archiver: boolean; archiver_batch_size: number }>;
    expect(shown['sales_db']).toMatchObject({ archiver: false, archiver_batch_size: 7 });
    const again = await cli(['plan', lab.dir]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('No changes');
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check sales_db');
    expect(check.code, check.stdout).toBe(0);
  });

  it('a Barman that cannot list the backups is an error of its host, never "no backups"', async () => {
    // Another server whose backup directory is pg1's: Barman disables both and says why.
    await lab.exec('barman1', `printf '[zz_clash]\\nconninfo = host=pg1\\nssh_command = ssh x\\nbasebackups_directory = /var/lib/barman/pg1/base\\n' > /etc/barman.d/zz_clash.conf`);
    try {
      const r = await deploy(lab);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/probe 'Barman on barman1 [^']*' failed: its output does not parse: barman list-backups does not report server pg1: Conflicting path/);
      expect(r.doc.changes.filter((c) => c.host === 'barman1' && c.status === 'changed')).toEqual([]);
    } finally {
      await lab.exec('barman1', 'rm -f /etc/barman.d/zz_clash.conf');
    }
    const plan = await cli(['plan', lab.dir]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});

describe(`tpa-barman test (${defaultKindName})`, () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1 });
    const r = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('passes on a healthy cluster and keeps the raw outputs', async () => {
    const r = await cli(['test', lab.dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; output_dir: string; servers: Array<{ server: string; host: string; ok: boolean }> };
    expect(doc.ok).toBe(true);
    expect(doc.servers).toMatchObject([{ server: 'pg1', host: 'barman1', ok: true, failing: [] }]);
    const saved = await readFile(join(doc.output_dir, 'barman1', 'barman-check.txt'), 'utf8');
    expect(saved).toMatch(/Server pg1:/);
  });

  it("detects a broken server (streaming_barman's pg_hba line removed by hand) and names the failing check", async () => {
    await lab.exec('pg1', `sed -i '/streaming_barman/d' ${lab.pg.hbaFile} && ${lab.pg.reload}`);
    const r = await cli(['test', lab.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pg1\s+barman1\s+FAILED\s+.*PostgreSQL streaming/);
    const fix = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
    expect(fix.code, fix.stderr).toBe(0);
    expect((await cli(['test', lab.dir])).code).toBe(0);
  });
});
