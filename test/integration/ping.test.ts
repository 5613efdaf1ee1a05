// Issue 2 acceptance: tpa-barman ping over ssh2 against a real lab (root and admin via
// sudo), and a changed host key refused before any command runs.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startLab, type Lab } from '../support/lab.js';

describe('ping on a real lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('reaches every host as root, host keys verified', async () => {
    const r = await cli(['ping', lab.dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; hosts: Array<{ host: string; reachable: boolean; host_key: string; sudo: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.hosts.map((h) => h.host).sort()).toEqual(lab.hosts.map((h) => h.name).sort());
    for (const h of doc.hosts) {
      expect(h).toMatchObject({ reachable: true, host_key: 'ok', sudo: 'not needed' });
    }
  });

  it('works as the non-root admin user with sudo -n', async () => {
    const cfg = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    await lab.writeConfig(cfg.replace(/cluster_vars:\n/, 'cluster_vars:\n  ansible_user: admin\n'));
    try {
      const r = await cli(['ping', lab.dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/sudo=ok/);
      expect(r.stderr).toMatch(/All 3 hosts reachable/);
    } finally {
      await lab.writeConfig(cfg);
    }
  });

  it('refuses a changed host key before authentication, running nothing', async () => {
    const known = join(lab.dir, 'tpa_known_hosts');
    const original = await readFile(known, 'utf8');
    const victim = lab.hosts[0];
    if (!victim) throw new Error('lab has no hosts');
    // Replace the victim's key with another host's key: a different, valid key.
    const other = original.split('\n').find((l) => l && !l.startsWith(victim.ip + ' '));
    const otherKey = other?.split(' ').slice(1).join(' ');
    const forged = original
      .split('\n')
      .map((l) => (l.startsWith(victim.ip + ' ') ? `${victim.ip} ${otherKey}` : l))
      .join('\n');
    await writeFile(known, forged);
    // sshd logs to the container's stderr: count successful authentications.
    const acceptedCount = (): number => {
      const r = execFileSync('sh', ['-c', `docker logs ${victim.container} 2>&1 | grep -c 'Accepted publickey' || true`], { encoding: 'utf8' });
      return Number(r.trim());
    };
    const authBefore = acceptedCount();
    try {
      const r = await cli(['ping', lab.dir, '--json']);
      expect(r.code).toBe(4);
      const doc = JSON.parse(r.stdout) as { hosts: Array<{ host: string; reachable: boolean; host_key: string; error?: string }> };
      const row = doc.hosts.find((h) => h.host === victim.name);
      expect(row).toMatchObject({ reachable: false, host_key: 'refused' });
      expect(row?.error).toMatch(/HOST KEY CHANGED/);
      expect(row?.error).toMatch(/before authentication/);
      expect(acceptedCount()).toBe(authBefore);
      // Other hosts are still fine.
      expect(doc.hosts.filter((h) => h.host !== victim.name).every((h) => h.reachable)).toBe(true);
    } finally {
      await writeFile(known, original);
    }
  });

  it('refuses an unknown host key unless --accept-new-host-keys, which appends', async () => {
    const known = join(lab.dir, 'tpa_known_hosts');
    const original = await readFile(known, 'utf8');
    const victim = lab.hosts[1];
    if (!victim) throw new Error('lab has too few hosts');
    const without = original.split('\n').filter((l) => !l.startsWith(victim.ip + ' ')).join('\n');
    await writeFile(known, without);
    try {
      const refused = await cli(['ping', lab.dir]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/unknown host key/);
      const accepted = await cli(['ping', lab.dir, '--accept-new-host-keys']);
      expect(accepted.code, accepted.stderr).toBe(0);
      const after = await readFile(known, 'utf8');
      expect(after.startsWith(without)).toBe(true);
      expect(after).toContain(`${victim.ip} ssh-ed25519 `);
    } finally {
      await writeFile(known, original);
    }
  });
});
