// Issue 15 acceptance on the real lab: facts you can trust.
//   - foreign bytes of any size survive a deploy and a re-deploy (400 KiB /etc/hosts,
//     10 MiB known_hosts, a Latin-1 byte in pg_hba.conf, CRLF, a .pgpass line without a
//     final newline), and the plan summarises the huge diffs;
//   - a no-op re-deploy costs 1 connection and 1 exec per host;
//   - a broken key pair in keys/ is refused before any connection, and once replaced as
//     the message says, the deploy replaces the old key wherever it was installed or
//     authorized;
//   - a probe made to fail (a dpkg-query that exits 2) is a host error, never a fact;
//   - PostgreSQL stopped on one host: plan and deploy name it and PostgreSQL's own
//     error, propose no CREATE ROLE, exit non-zero, and still plan the other hosts.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssh2BrokenPair } from '../support/keys.js';
import { cli, startLab, type Lab } from '../support/lab.js';
import { controllerLogins } from '../support/logins.js';

interface Doc {
  exit_code: number;
  changes: Array<{ host: string; resource: string; status: string; error?: string; details?: string[] }>;
  errors: Array<{ host: string; message: string }>;
  recap: Array<{ host: string; ok: number; changed: number; failed: number; skipped: number }>;
  hosts: Array<{ host: string; connections: number; execs: number }>;
}

function config(lab: Lab): string {
  const ip = (n: string): string => lab.host(n).ip;
  return `---
cluster_name: ${lab.name}
ssh_key_file: id_lab
cluster_vars:
  postgres_version: 15
  barman_minimum_redundancy: 1
instances:
- Name: pg1
  node: 1
  role: primary
  platform: bare
  ip_address: ${ip('pg1')}
  backup: barman1
- Name: pg2
  node: 2
  role: primary
  platform: bare
  ip_address: ${ip('pg2')}
  backup: barman1
- Name: barman1
  node: 3
  role: barman
  platform: bare
  ip_address: ${ip('barman1')}
`;
}

const HBA = '/etc/postgresql/15/main/pg_hba.conf';
const KNOWN_HOSTS = '/var/lib/barman/.ssh/known_hosts';
const PGPASS = '/var/lib/barman/.pgpass';
/** Foreign content we plant, per host and file. */
type Planted = Map<string, Buffer>;

/** The bytes that are not ours: every line without our marker (nor a .pgpass line we claimed), joined again. */
function foreignPart(content: Buffer): Buffer {
  const lines = content.toString('latin1').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.includes('tpa-barman:')) {
      // A .pgpass claim comment covers the data line after it.
      if (l.startsWith('# tpa-barman:') && / pgpass=/.test(l)) i++;
      continue;
    }
    kept.push(l);
  }
  return Buffer.from(kept.join('\n').replace(/\n+$/, ''), 'latin1');
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function fileBytes(lab: Lab, host: string, path: string): Promise<Buffer> {
  const r = await lab.exec(host, `base64 -w0 ${path}`, { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return Buffer.from(r.stdout, 'base64');
}

async function json(args: string[], timeoutMs = 900_000): Promise<{ code: number; doc: Doc; stderr: string }> {
  const r = await cli([...args, '--json'], { timeoutMs });
  let doc: Doc = { exit_code: -1, changes: [], errors: [], recap: [], hosts: [] };
  try {
    doc = JSON.parse(r.stdout) as Doc;
  } catch {
    /* the code assertion shows stderr */
  }
  return { code: r.code, doc, stderr: r.stderr };
}

describe('facts you can trust, on the lab', () => {
  let lab: Lab;
  const planted: Planted = new Map();
  const key = (host: string, path: string): string => `${host}:${path}`;

  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
    await lab.writeConfig(config(lab));
    // 400 KiB of foreign /etc/hosts lines (some CRLF) after the container's own.
    for (const h of lab.hosts) {
      const own = await fileBytes(lab, h.name, '/etc/hosts');
      const lines: string[] = [];
      for (let i = 0, size = 0; size < 400 * 1024; i++) {
        const l = i % 50 === 0 ? `# foreign comment ${i}\r` : `10.254.${(i >> 8) & 255}.${i & 255} foreign-${i}.example.com foreign-${i}`;
        lines.push(l);
        size += l.length + 1;
      }
      const hosts = Buffer.concat([own, Buffer.from(`${lines.join('\n')}\n`, 'latin1')]);
      await lab.exec(h.name, 'base64 -d > /etc/hosts', { input: hosts.toString('base64') });
      planted.set(key(h.name, '/etc/hosts'), hosts);
    }
    // 10 MiB known_hosts for the barman user, a .pgpass line without a final newline.
    const kh: string[] = [];
    const blob = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    for (let i = 0, size = 0; size < 10 * 1024 * 1024; i++) {
      const l = `foreign-${i}.example.com,10.253.${(i >> 8) & 255}.${i & 255} ssh-ed25519 ${blob} k${i}`;
      kh.push(l);
      size += l.length + 1;
    }
    const knownHosts = Buffer.from(`${kh.join('\n')}\n`, 'latin1');
    const pgpass = Buffer.from('# theirs\nreporting.example.com:5432:*:report:s3cret', 'latin1');
    await lab.exec('barman1', `mkdir -p /var/lib/barman/.ssh && base64 -d > ${KNOWN_HOSTS}`, { input: knownHosts.toString('base64') });
    await lab.exec('barman1', `base64 -d > ${PGPASS} && chmod 600 ${PGPASS}`, { input: pgpass.toString('base64') });
    planted.set(key('barman1', KNOWN_HOSTS), knownHosts);
    planted.set(key('barman1', PGPASS), pgpass);
    // A comment with a Latin-1 byte (é = 0xE9) in pg_hba.conf.
    for (const pg of ['pg1', 'pg2']) {
      await lab.exec(pg, `printf '# r\\351gle de G\\351rard (latin-1)\\r\\n' >> ${HBA}`);
      planted.set(key(pg, HBA), await fileBytes(lab, pg, HBA));
    }
  });
  afterAll(async () => {
    await lab?.down();
  });

  async function expectForeignKept(): Promise<void> {
    for (const [k, before] of planted) {
      const [host = '', path = ''] = k.split(':');
      const now = await fileBytes(lab, host, path);
      expect(sha(foreignPart(now)), `${k}: foreign part changed`).toBe(sha(foreignPart(before)));
    }
    // The missing final newline of .pgpass is still missing.
    expect((await fileBytes(lab, 'barman1', PGPASS)).at(-1)).not.toBe(0x0a);
  }

  it('plan summarises the huge diffs; deploy and re-deploy keep every foreign byte; the re-deploy is 1 connection and 1 exec per host', async () => {
    const plan = await cli(['plan', lab.dir], { timeoutMs: 300_000 });
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stderr).toMatch(/\(content of \/etc\/hosts changes: 4\d\d\.\d KiB → 4\d\d\.\d KiB; a diff of a file over 256\.0 KiB is not shown\)/);
    expect(plan.stderr).toMatch(/\(content of \/var\/lib\/barman\/\.ssh\/known_hosts changes: 10\.0 MiB → 10\.0 MiB; a diff of a file over 256\.0 KiB is not shown\)/);
    expect(plan.stderr).not.toContain('foreign-9999.example.com');

    const first = await json(['deploy', lab.dir]);
    expect(first.code, first.stderr).toBe(0);
    await expectForeignKept();
    // Ours are there too: the /etc/hosts line and the .pgpass entries after the foreign line.
    expect((await lab.exec('barman1', `grep -c 'tpa-barman:${lab.name} host=pg1' /etc/hosts`)).stdout.trim()).toBe('1');
    const pgpass = (await fileBytes(lab, 'barman1', PGPASS)).toString('latin1');
    expect(pgpass.startsWith('# theirs\nreporting.example.com:5432:*:report:s3cret\n# tpa-barman:')).toBe(true);
    expect((await lab.exec('barman1', 'runuser -u barman -- barman check pg1 | grep -c FAILED || true')).stdout.trim()).toBe('0');

    const again = await json(['deploy', lab.dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc.changes.filter((c) => c.status !== 'ok')).toEqual([]);
    for (const h of again.doc.hosts) {
      expect(h.connections, h.host).toBe(1);
      expect(h.execs, h.host).toBe(1);
    }
    await expectForeignKept();
  });

  it('a broken key pair in keys/ is refused before any connection; replaced as told, the deploy replaces the old key everywhere', async () => {
    // An old deploy distributed a pair from ssh2's faulty generator (OpenSSH cannot load it).
    const bad = ssh2BrokenPair();
    const badBlob = bad.public.split(' ')[1] ?? '';
    const keyFile = join(lab.dir, 'keys', 'id_barman');
    await writeFile(keyFile, bad.private, { mode: 0o600 });
    await writeFile(`${keyFile}.pub`, `${bad.public}\n`);
    await lab.exec('barman1', 'cat > /var/lib/barman/.ssh/id_ed25519', { input: bad.private });
    await lab.exec('barman1', 'cat > /var/lib/barman/.ssh/id_ed25519.pub', { input: `${bad.public}\n` });
    for (const pg of ['pg1', 'pg2']) {
      await lab.exec(pg, `sed -i '/barman@${lab.name}/d' /var/lib/postgresql/.ssh/authorized_keys && echo '${bad.public} tpa-barman:${lab.name}' >> /var/lib/postgresql/.ssh/authorized_keys`);
    }
    const logins = await controllerLogins(lab);
    for (const cmd of [['inventory', lab.dir], ['plan', lab.dir], ['deploy', lab.dir]]) {
      const r = await cli(cmd);
      expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toContain(`${keyFile}: this key pair cannot be used: the .pub file has a 31-byte ed25519 public key`);
      expect(r.stderr).toContain(`mv ${keyFile} ${keyFile}.broken && mv ${keyFile}.pub ${keyFile}.pub.broken`);
    }
    expect(await controllerLogins(lab)).toBe(logins);

    // Do as the message says.
    await rename(keyFile, `${keyFile}.broken`);
    await rename(`${keyFile}.pub`, `${keyFile}.pub.broken`);
    const d = await json(['deploy', lab.dir]);
    expect(d.code, d.stderr).toBe(0);
    const fresh = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
    const freshBlob = fresh.split(' ')[1] ?? '';
    expect(freshBlob).not.toBe(badBlob);
    expect((await fileBytes(lab, 'barman1', '/var/lib/barman/.ssh/id_ed25519')).toString()).toBe(await readFile(keyFile, 'utf8'));
    for (const pg of ['pg1', 'pg2']) {
      const auth = (await fileBytes(lab, pg, '/var/lib/postgresql/.ssh/authorized_keys')).toString();
      expect(auth).toContain(freshBlob);
      expect(auth).not.toContain(badBlob);
      // The barman user logs in with the new key (what rsync backups and barman check use).
      const ssh = await lab.exec('barman1', `runuser -u barman -- ssh -o BatchMode=yes postgres@${pg} true`);
      expect(ssh.code, ssh.stderr).toBe(0);
    }
    await expectForeignKept();
  });

  it('a probe made to fail (dpkg-query exits 2 on barman1) is a host error; the PostgreSQL hosts are still planned', async () => {
    // Drift on pg2, so that a planned host has something to show.
    await lab.exec('pg2', `sed -i '/tpa-barman:${lab.name}/d' ${HBA}`);
    await lab.exec('barman1', `printf '#!/bin/sh\\necho "dpkg-query: error: database is locked by another process" >&2\\nexit 2\\n' > /usr/local/sbin/dpkg-query && chmod 755 /usr/local/sbin/dpkg-query`);
    try {
      const p = await json(['plan', lab.dir]);
      expect(p.code, p.stderr).toBe(6); // a plan that could not read a host
      expect(p.doc.errors.map((e) => e.message)).toContainEqual(
        expect.stringMatching(/^barman1: probe 'packages barman barman-cli rsync postgresql-client-15 pigz' failed: exit 2: dpkg-query: error: database is locked by another process$/),
      );
      expect(p.doc.changes.filter((c) => c.host === 'barman1' && c.status === 'changed')).toEqual([]);
      expect(p.doc.changes.filter((c) => c.host === 'pg2' && c.status === 'changed').map((c) => c.resource)).toContain(`lines:${HBA}`);
    } finally {
      await lab.exec('barman1', 'rm -f /usr/local/sbin/dpkg-query');
    }
  });

  it('PostgreSQL stopped on pg1: plan and deploy name pg1 and PostgreSQL\'s error, propose no CREATE ROLE, exit non-zero, and plan the others', async () => {
    await lab.exec('pg1', 'pg_ctlcluster 15 main stop');
    try {
      for (const mode of ['plan', 'deploy']) {
        const r = await json([mode, lab.dir]);
        expect(r.code, `${mode}: ${r.stderr}`).toBe(mode === 'plan' ? 6 : 2);
        const pg1 = r.doc.errors.filter((e) => e.host === 'pg1').map((e) => e.message);
        expect(pg1, mode).toContainEqual(expect.stringMatching(/^pg1: probes? '.*'( and \d+ more)? failed: PostgreSQL could not be queried \(psql exit 2\): psql: error: connection to server on socket "\/var\/run\/postgresql\/\.s\.PGSQL\.5432" failed: No such file or directory/));
        expect(r.stderr).toContain('Is the server running locally and accepting connections on that socket?');
        expect(JSON.stringify(r.doc.changes)).not.toContain('CREATE ROLE');
        expect(r.doc.changes.filter((c) => c.host === 'pg1')).toEqual([]);
        // pg2 is planned (its pg_hba drift from the test before); in a deploy it is held back.
        const hba = r.doc.changes.find((c) => c.host === 'pg2' && c.resource === `lines:${HBA}`);
        expect(hba?.status, mode).toBe(mode === 'plan' ? 'changed' : 'skipped');
        expect(r.doc.recap.map((x) => x.host).sort()).toEqual(['barman1', 'pg1', 'pg2']);
      }
    } finally {
      await lab.exec('pg1', 'pg_ctlcluster 15 main start');
    }
    const fixed = await json(['deploy', lab.dir]);
    expect(fixed.code, fixed.stderr).toBe(0);
    await expectForeignKept();
  });
});
