// The Docker lab itself: real sshd + PostgreSQL 15 hosts and a plain Barman host,
// a ready cluster dir whose key and known_hosts work with the OpenSSH client, and a
// teardown that leaves nothing behind.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensshArgs, run, startLab, type Lab } from '../support/lab.js';

describe('docker lab (2 postgres + 1 barman)', () => {
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
    expect(cfg).toMatch(/^ {2}postgres_version: 15$/m);
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

  it('runs PostgreSQL 15 on the postgres hosts, Debian defaults, distinct system identifiers', async () => {
    const ids = new Set<string>();
    for (const name of pgHosts()) {
      const r = await lab.exec(
        name,
        `su postgres -c "psql -Atc 'select version()' -c 'show listen_addresses' -c 'select system_identifier from pg_control_system()'"`,
      );
      expect(r.code, r.stderr).toBe(0);
      const [version, listen, sysid] = r.stdout.trim().split('\n');
      expect(version).toMatch(/^PostgreSQL 15\./);
      expect(listen).toBe('localhost');
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
       ! test -e /usr/lib/postgresql/15/bin/postgres`,
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
