// Issue 17, "ask the server": on a host laid out as TPA lays it out (data, postgresql.conf,
// conf.d and pg_hba.conf in /opt/postgres/data, the `postgres` service, no Debian cluster)
// the deploy edits the files the running server reads, reloads with pg_reload_conf(),
// restarts through the manager it found (the service, or pg_ctl as the last resort), and
// refuses, before any change, a config.yml that contradicts the server.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startLab, type Lab } from '../support/lab.js';
import { deployJson } from '../support/deploy.js';
import { digestScript, MANAGED_PATHS } from '../support/digest.js';

const D = '/opt/postgres/data';

describe('deploy onto PostgreSQL as TPA runs it (trixie, TPA layout)', () => {
  let lab: Lab;
  let baseConfig = '';
  const digest = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const h of ['pg1', 'barman1']) out[h] = (await lab.exec(h, digestScript([...MANAGED_PATHS, ...lab.pg.managedPaths]))).stdout;
    return out;
  };
  const postmasterPid = async (): Promise<string> => (await lab.exec('pg1', `head -1 ${D}/postmaster.pid`)).stdout.trim();

  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1, os: 'trixie', layout: 'tpa' });
    // config.yml says nothing of the version (the server's 17 is used) and archives WAL
    // through Barman; archive_mode starts off, so the deploy needs a restart.
    const base = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    baseConfig = base.replace(/^ {2}postgres_version: \d+\n/m, '  barman_archiver: true\n');
    await lab.writeConfig(baseConfig);
    const off = await lab.exec('pg1', `sed -i 's/^archive_mode = on/archive_mode = off/' ${D}/conf.d/0001-tpa_restart.conf && service postgres restart`);
    if (off.code !== 0) throw new Error(off.stderr);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('a postgres_version the server does not run is refused before any change, with both majors', async () => {
    const before = await digest();
    try {
      await lab.writeConfig(baseConfig.replace('cluster_vars:\n', 'cluster_vars:\n  postgres_version: 16\n'));
      const r = await cli(['deploy', lab.dir], { timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/postgres_version is 16 in config\.yml \(\S*config\.yml:\d+:\d+, cluster_vars\.postgres_version\), but pg1 runs PostgreSQL 17 \(server_version_num 17\d{4}\)/);
      expect(r.stderr).toContain('nothing was changed on any host');
      // So is a postgres_conf_dir that is not where the server reads its configuration.
      await lab.writeConfig(baseConfig.replace('cluster_vars:\n', 'cluster_vars:\n  postgres_conf_dir: /etc/postgresql/17/main\n'));
      const plan = await cli(['plan', lab.dir]);
      expect(plan.code, plan.stderr).toBe(3);
      expect(plan.stderr).toContain(`postgres_conf_dir is /etc/postgresql/17/main in config.yml`);
      expect(plan.stderr).toContain(`but PostgreSQL on pg1 reads ${D}/postgresql.conf`);
      expect(await digest()).toEqual(before);
    } finally {
      await lab.writeConfig(baseConfig);
    }
  });

  it('plan names the server\'s own files and the restart through the `postgres` service', async () => {
    const r = await cli(['plan', lab.dir, '-v']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`update ${D}/pg_hba.conf`);
    expect(r.stderr).toContain(`set archive_mode = 'on' (was 'off'; needs PostgreSQL restart) in ${D}/conf.d/tpa-barman-archive-mode.conf`);
    expect(r.stderr).toContain('restart through service postgres');
    expect(r.stderr).toContain('SELECT pg_reload_conf()');
    expect(r.stderr).not.toContain('/etc/postgresql');
  });

  it('deploy converges there: the server\'s files, one restart, client tools of its major, barman check green', async () => {
    const pidBefore = await postmasterPid();
    const first = await deployJson(lab.dir);
    expect(first.code, first.stderr).toBe(0);
    expect(await postmasterPid()).not.toBe(pidBefore);
    expect(first.stderr.match(/changed: \[pg1\] restart PostgreSQL/g)).toHaveLength(1);
    expect(await lab.psql('pg1', 'SHOW archive_mode')).toBe('on');
    expect(await lab.psql('pg1', 'SHOW archive_command')).toMatch(/^\/usr\/bin\/barman-wal-archive .*barman1 pg1 %p$/);
    expect((await lab.exec('pg1', `grep -c 'tpa-barman:${lab.name} barman=barman1' ${D}/pg_hba.conf; test ! -e /etc/postgresql`)).stdout.trim()).toBe('2');
    expect((await lab.exec('barman1', "dpkg-query -W -f='${Status}' postgresql-client-17")).stdout).toBe('install ok installed');
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check pg1');
    expect(check.code, check.stdout).toBe(0);
    // A WAL segment that reaches Barman through archive_command (postgres ssh's to barman1).
    await lab.psql('pg1', 'SELECT pg_switch_wal()');
    const arrived = await lab.exec('barman1', `for i in $(seq 1 60); do runuser -u barman -- barman cron >/dev/null 2>&1; if runuser -u barman -- barman check pg1 | grep -q 'archiver errors: OK' && [ -n "$(find /var/lib/barman/pg1/wals -type f -newer /etc/barman.d/pg1.conf 2>/dev/null)" ]; then echo ok; break; fi; sleep 1; done`);
    expect(arrived.stdout.trim()).toBe('ok');
    const again = await deployJson(lab.dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc.recap.map((h) => `${h.host} changed=${h.changed}`)).toEqual(again.doc.recap.map((h) => `${h.host} changed=0`));
    expect(again.doc.hosts.map((h) => `${h.host} ${h.connections} ${h.execs}`)).toEqual(again.doc.hosts.map((h) => `${h.host} 1 1`));
    const plan = await cli(['plan', lab.dir]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr + plan.stdout).toContain('No changes');
  });

  it('a setting made by ALTER SYSTEM, which would override ours, is a conflict before any change', async () => {
    await lab.psql('pg1', "ALTER SYSTEM SET archive_command = '/bin/false'");
    try {
      const r = await cli(['plan', lab.dir]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`archive_command is set by ALTER SYSTEM \\(${D}/postgresql.auto.conf line \\d+\\), which PostgreSQL reads after ${D}/conf.d/tpa-barman-archive-command.conf`));
      expect(r.stderr).toContain('ALTER SYSTEM RESET archive_command');
    } finally {
      await lab.psql('pg1', 'ALTER SYSTEM RESET archive_command');
    }
  });

  it('with no service to drive it, the restart is pg_ctl on the data directory', async () => {
    // Our archive_mode file is gone and archive_mode back off; the `postgres` init script too.
    const prep = await lab.exec(
      'pg1',
      `rm ${D}/conf.d/tpa-barman-archive-mode.conf && service postgres restart && mv /etc/init.d/postgres /root/postgres.init`,
    );
    expect(prep.code, prep.stderr).toBe(0);
    try {
      const plan = await cli(['plan', lab.dir, '-v']);
      expect(plan.code, plan.stderr).toBe(2);
      expect(plan.stderr).toContain(`restart through pg_ctl -D ${D}`);
      const pidBefore = await postmasterPid();
      const r = await deployJson(lab.dir);
      expect(r.code, r.stderr).toBe(0);
      expect(await postmasterPid()).not.toBe(pidBefore);
      expect(await lab.psql('pg1', 'SHOW archive_mode')).toBe('on');
    } finally {
      await lab.exec('pg1', 'mv /root/postgres.init /etc/init.d/postgres');
    }
  });
});
