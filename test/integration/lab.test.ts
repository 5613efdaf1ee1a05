// The Docker lab itself: real sshd + PostgreSQL hosts and a plain Barman host, a
// ready cluster dir whose key and known_hosts work with the OpenSSH client, and a
// teardown that leaves nothing behind; then the other shapes a lab takes: TPA's
// layout, streaming replicas, a Barman host that runs PostgreSQL too.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLabKind, labKindName, opensshArgs, run, startLab, type Lab } from '../support/lab.js';

const defaultKindName = labKindName(defaultLabKind());

describe(`docker lab (2 postgres + 1 barman, ${defaultKindName})`, () => {
  let lab: Lab;
  const pgHosts = (): string[] => lab.hosts.filter((h) => h.kind === 'postgres').map((h) => h.name);

  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('writes a ready TPA cluster dir', async () => {
    expect(lab.hosts.map((h) => `${h.name}:${h.kind}`)).toEqual(['pg1:postgres', 'pg2:postgres', 'barman1:barman']);
    expect(lab.subnet).toMatch(/^10\.213\.\d{1,3}\.0\/24$/);
    const cfg = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^cluster_name: ${lab.name}$`, 'm'));
    expect(cfg).toMatch(/^ssh_key_file: id_lab$/m);
    expect(cfg).toMatch(new RegExp(`^ {2}postgres_version: ${lab.pg.version}$`, 'm'));
    for (const h of lab.hosts) expect(cfg).toContain(`ip_address: ${h.ip}`);
    expect(cfg.match(/^ {2}backup: barman1$/gm)).toHaveLength(2);
    const key = await run('stat', ['-c', '%a', join(lab.dir, 'id_lab')]);
    expect(key.stdout.trim()).toBe('600');
  });

  it('runs sshd with a per-container ed25519 host key that tpa_known_hosts records', async () => {
    const known = (await readFile(join(lab.dir, 'tpa_known_hosts'), 'utf8')).trim().split('\n');
    expect(known).toHaveLength(lab.hosts.length);
    const keys = new Set<string>();
    for (const h of lab.hosts) {
      const r = await lab.exec(h.name, 'pgrep -x sshd >/dev/null && ls /etc/ssh/ssh_host_* && cat /etc/ssh/ssh_host_ed25519_key.pub');
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const pub = lines.pop() ?? '';
      expect(lines).toEqual(['/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_ed25519_key.pub']);
      const [type, blob] = pub.split(' ');
      expect(known).toContain(`${h.ip} ${type} ${blob}`);
      keys.add(blob ?? '');
    }
    expect(keys.size).toBe(lab.hosts.length);
  });

  it('lets the OpenSSH client in as root and admin with id_lab + tpa_known_hosts (strict)', async () => {
    for (const h of lab.hosts) {
      for (const user of ['root', 'admin']) {
        const r = await run('ssh', [...opensshArgs(lab, h.name, user), 'echo "$(id -un)@$(hostname)"; sudo -n true && echo sudo-ok'], {
          timeoutMs: 30_000,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe(`${user}@${h.name}\nsudo-ok\n`);
      }
    }
  });

  it('is not vacuous: an unknown host key or another client key is refused', async () => {
    const empty = join(lab.dir, 'empty_known_hosts');
    await writeFile(empty, '');
    const args = opensshArgs(lab, 'pg1').map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${empty}` : a));
    const unknown = await run('ssh', [...args, 'true'], { timeoutMs: 30_000 });
    expect(unknown.code).toBe(255);
    expect(unknown.stderr).toMatch(/host key verification failed/i);
    const otherKey = join(lab.dir, 'other_key');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey])).code).toBe(0);
    const wrongKeyArgs = opensshArgs(lab, 'pg1').map((a) => (a.endsWith('/id_lab') ? otherKey : a));
    const noKey = await run('ssh', [...wrongKeyArgs, 'true'], { timeoutMs: 30_000, env: { SSH_AUTH_SOCK: '' } });
    expect(noKey.code).toBe(255);
    expect(noKey.stderr).toMatch(/permission denied/i);
  });

  it('gives admin passwordless sudo', async () => {
    for (const h of lab.hosts) {
      const r = await lab.exec(h.name, 'sudo -n true && id -un', { user: 'admin' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('admin');
    }
  });

  it("runs the OS's PostgreSQL on the postgres hosts, in the layout's place, distinct system identifiers", async () => {
    const ids = new Set<string>();
    for (const name of pgHosts()) {
      const out = await lab.psql(name, "select version(); show listen_addresses; select system_identifier from pg_control_system(); show data_directory; show hba_file");
      const [version, listen, sysid, dataDir, hba] = out.split('\n');
      expect(version).toMatch(new RegExp(`^PostgreSQL ${lab.pg.version}\\.`));
      // Debian's default; TPA's conf.d/0001-tpa_restart.conf listens everywhere
      expect(listen).toBe(lab.kind.layout === 'tpa' ? '*' : 'localhost');
      expect([dataDir, hba]).toEqual([lab.pg.dataDir, lab.pg.hbaFile]);
      ids.add(sysid ?? '');
    }
    expect(ids.size).toBe(2);
  });

  it('pre-downloads but does not install barman-cli and rsync on postgres hosts', async () => {
    for (const name of pgHosts()) {
      const r = await lab.exec(
        name,
        `ls /var/cache/apt/archives/barman-cli_*.deb /var/cache/apt/archives/rsync_*.deb >/dev/null &&
         ! dpkg-query -W -f='\${db:Status-Status}' barman-cli rsync 2>/dev/null | grep -q installed`,
      );
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('has no barman on the barman host, only its .debs; cron installed but not running', async () => {
    const r = await lab.exec(
      'barman1',
      `set -e
       test "$(dpkg-query -W -f='\${db:Status-Status}' barman 2>/dev/null || true)" != installed
       ! command -v barman
       ls /var/cache/apt/archives/barman_*.deb /var/cache/apt/archives/python3-barman_*.deb /var/cache/apt/archives/pigz_*.deb
       test -x /usr/sbin/cron
       ! pgrep -x cron
       ! test -e ${lab.pg.binDir}/postgres`,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('tears down its containers and network', async () => {
    const containers = lab.hosts.map((h) => h.container);
    await lab.down();
    const ps = await run('docker', ['ps', '-a', '--filter', `label=tpa-barman.lab=${lab.name}`, '-q']);
    expect(ps.code).toBe(0);
    expect(ps.stdout.trim()).toBe('');
    for (const c of containers) {
      expect((await run('docker', ['inspect', c])).code).not.toBe(0);
    }
    const net = await run('docker', ['network', 'inspect', `tpa-barman-${lab.name}`]);
    expect(net.code).not.toBe(0);
  });
});

// The shapes other work builds on: a streaming replica of pg1 and a Barman host that
// runs PostgreSQL too (TPA's M1 barman + witness host), in both layouts.
describe.each([
  { os: 'trixie', layout: 'tpa' },
  { os: 'bookworm', layout: 'debian' },
] as const)('docker lab with a replica and a Barman host running PostgreSQL ($os, $layout layout)', ({ os, layout }) => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1, replicas: 1, barmanPostgres: true, os, layout });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('writes the replica and the barman + witness host into config.yml as TPA does', async () => {
    expect(lab.hosts.map((h) => `${h.name}:${h.kind}:${h.postgres}:${h.upstream ?? '-'}`)).toEqual([
      'pg1:postgres:true:-',
      'barman1:barman:true:-',
      'replica1:replica:true:pg1',
    ]);
    const cfg = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    expect(cfg).toMatch(new RegExp(`^ {2}postgres_version: ${lab.pg.version}$`, 'm'));
    expect(cfg).toContain(`- Name: replica1\n  node: 3\n  role: [replica]\n  upstream: pg1\n  platform: bare\n  ip_address: ${lab.host('replica1').ip}\n`);
    expect(cfg).toContain(`- Name: barman1\n  node: 2\n  role: [barman, witness]\n  upstream: pg1\n`);
    expect(cfg.match(/^ {2}backup: barman1$/gm)).toHaveLength(1);
  });

  it('streams the replica from pg1, in the layout asked for', async () => {
    expect(await lab.psql('pg1', 'select client_addr, state from pg_stat_replication')).toBe(`${lab.host('replica1').ip}|streaming`);
    expect(await lab.psql('replica1', 'select pg_is_in_recovery(); show data_directory; show hba_file')).toBe(`t\n${lab.pg.dataDir}\n${lab.pg.hbaFile}`);
    await lab.psql('pg1', 'create table if not exists lab_probe(v text); insert into lab_probe values (\'from-pg1\')');
    let seen = '';
    for (let i = 0; i < 100 && seen !== 'from-pg1'; i++) {
      seen = await lab.psql('replica1', "select coalesce((select max(v) from lab_probe), '') where to_regclass('lab_probe') is not null").catch(() => '');
      if (seen !== 'from-pg1') await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe('from-pg1');
    const ids = new Set([await lab.psql('pg1', 'select system_identifier from pg_control_system()'), await lab.psql('barman1', 'select system_identifier from pg_control_system()')]);
    expect(ids.size).toBe(2);
  });

  it("runs PostgreSQL the layout's way: reload and restart through the host's own manager", async () => {
    const st = await lab.exec('pg1', 'pg_lsclusters -h; ls /etc/postgresql 2>/dev/null; test -x /etc/init.d/postgres && echo init.d; test -e /etc/systemd/system/postgres.service && echo unit; true');
    expect(st.stdout.trim()).toBe(layout === 'tpa' ? 'init.d\nunit' : `${lab.pg.version} main 5432 online postgres ${lab.pg.dataDir} /var/log/postgresql/postgresql-${lab.pg.version}-main.log\n${lab.pg.version}`);
    if (layout === 'tpa') {
      // No Debian cluster to drive: pg_ctlcluster refuses.
      expect((await lab.exec('pg1', `pg_ctlcluster ${lab.pg.version} main reload`)).code).not.toBe(0);
      const conf = await lab.psql('pg1', "select string_agg(distinct sourcefile, ' ' order by sourcefile) from pg_file_settings");
      expect(conf).toBe('/opt/postgres/data/conf.d/0000-tpa.conf /opt/postgres/data/conf.d/0001-tpa_restart.conf /opt/postgres/data/postgresql.conf');
    }
    const before = await lab.psql('pg1', 'select pg_postmaster_start_time()');
    const reload = await lab.exec('pg1', lab.pg.reload);
    expect(reload.code, reload.stderr).toBe(0);
    const restart = await lab.exec('pg1', lab.pg.restart);
    expect(restart.code, restart.stderr).toBe(0);
    expect(await lab.psql('pg1', 'select pg_postmaster_start_time()')).not.toBe(before);
  });

  it('has Barman pre-downloaded (not installed) wherever Barman may be installed', async () => {
    for (const h of ['pg1', 'barman1', 'replica1']) {
      const r = await lab.exec(
        h,
        `set -e
         ls /var/cache/apt/archives/barman_*.deb /var/cache/apt/archives/python3-barman_*.deb /var/cache/apt/archives/barman-cli_*.deb /var/cache/apt/archives/pigz_*.deb >/dev/null
         dpkg-query -W -f='\${db:Status-Status}' postgresql-client-${lab.pg.version} | grep -qx installed
         ! command -v barman
         test -x /usr/sbin/cron
         ! pgrep -x cron`,
      );
      expect(r.code, `${h}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const v = await lab.exec('barman1', `apt-cache policy barman | sed -n 's/^ *Candidate: //p'`);
    expect(v.stdout.trim()).toMatch(os === 'trixie' ? /^3\.13\./ : /^3\.4\./);
  });
});
