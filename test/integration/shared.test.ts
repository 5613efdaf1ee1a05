// Issue 8 acceptance: two clusters share one Barman host. Each cluster's lines and files
// carry its marker; a third cluster reusing an instance name, or with other global
// values, another PostgreSQL major or another Barman version, is refused (exit 3) with
// nothing changed anywhere; 20 rounds of concurrent deploys lose no line; detach of one
// cluster leaves the other backing up and keeps the detached cluster's backups.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestScript } from '../support/digest.js';
import { cli, startLab, type Lab } from '../support/lab.js';

interface Instance {
  name: string;
  ip: string;
  backup?: string;
  shared?: boolean;
}

interface JsonDoc {
  exit_code: number;
  conflicts: Array<{ host: string; id: string; message: string; owner?: string }>;
  recap: Array<{ host: string; changed: number; failed: number }>;
}

const LINE_FILES = ['/etc/hosts', '/var/lib/barman/.pgpass', '/var/lib/barman/.ssh/authorized_keys', '/var/lib/barman/.ssh/known_hosts'];

describe('two clusters on one shared Barman server', () => {
  let lab: Lab;
  const dirs: Record<string, string> = {};
  const ip = (host: string): string => lab.host(host).ip;

  /** A cluster directory of its own, reaching the lab's hosts with the lab's key and host keys. */
  async function clusterDir(name: string, instances: Instance[], clusterVars: Record<string, string | number> = {}): Promise<string> {
    const dir = join(lab.dir, 'clusters', name);
    await mkdir(dir, { recursive: true });
    for (const f of ['id_lab', 'tpa_known_hosts']) await copyFile(join(lab.dir, f), join(dir, f));
    const vars = Object.entries({ postgres_version: 15, barman_minimum_redundancy: 1, ...clusterVars }).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`);
    const inst = instances.map((i, n) =>
      [
        `- Name: ${i.name}`,
        `  node: ${n + 1}`,
        `  role: [${i.backup ? 'primary' : 'barman'}]`,
        '  platform: bare',
        `  ip_address: ${i.ip}`,
        ...(i.backup ? [`  backup: ${i.backup}`] : []),
        ...(i.shared ? ['  vars:', '    barman_shared: true'] : []),
      ].join('\n'),
    );
    await writeFile(join(dir, 'config.yml'), [`cluster_name: ${name}`, 'ssh_key_file: id_lab', 'cluster_vars:', ...vars, 'instances:', ...inst, ''].join('\n'));
    dirs[name] = dir;
    return dir;
  }

  async function copyBarmanKeys(from: string, to: string): Promise<void> {
    await mkdir(join(dirs[to] ?? '', 'keys'), { recursive: true, mode: 0o700 });
    for (const f of ['id_barman', 'id_barman.pub']) await copyFile(join(dirs[from] ?? '', 'keys', f), join(dirs[to] ?? '', 'keys', f));
  }

  async function digestAll(): Promise<string> {
    const script = digestScript();
    const parts = await Promise.all(lab.hosts.map(async (h) => `${h.name}\n${(await lab.exec(h.name, script)).stdout}`));
    return parts.join('\n');
  }

  /** Sorted lines of the line-managed files on the Barman host (order is whoever came first). */
  async function sharedLines(): Promise<string> {
    const r = await lab.exec('barman1', LINE_FILES.map((f) => `echo "== ${f}"; sort ${f}`).join('\n'));
    return r.stdout;
  }

  async function deploy(name: string, extra: string[] = []): Promise<{ code: number; stderr: string; doc: JsonDoc }> {
    const r = await cli(['deploy', dirs[name] ?? '', '--json', ...extra], { timeoutMs: 900_000 });
    return { code: r.code, stderr: r.stderr, doc: JSON.parse(r.stdout || '{}') as JsonDoc };
  }

  beforeAll(async () => {
    lab = await startLab({ postgres: 4, barman: 1 });
    await clusterDir('alpha', [
      { name: 'pg1', ip: ip('pg1'), backup: 'barman1' },
      { name: 'pg2', ip: ip('pg2'), backup: 'barman1' },
      { name: 'barman1', ip: ip('barman1') },
    ]);
    await clusterDir('beta', [
      { name: 'pg3', ip: ip('pg3'), backup: 'barman1' },
      { name: 'barman1', ip: ip('barman1'), shared: true },
    ]);
  }, 600_000);
  afterAll(async () => {
    await lab?.down();
  });

  it('both clusters deploy; barman check is OK for every server; every line and file names its cluster', async () => {
    const a = await deploy('alpha');
    expect(a.code, a.stderr).toBe(0);
    // The shared server's key pair is the first cluster's: without a copy, stop before any connection.
    const missing = await cli(['deploy', dirs['beta'] ?? '']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain(`copy keys/id_barman and keys/id_barman.pub from the cluster directory that first deployed that Barman server into ${dirs['beta']}/keys/`);
    await copyBarmanKeys('alpha', 'beta');
    const b = await deploy('beta');
    expect(b.code, b.stderr).toBe(0);

    const check = await lab.exec('barman1', 'runuser -u barman -- barman check all');
    expect(check.code, check.stdout).toBe(0);
    for (const s of ['pg1', 'pg2', 'pg3']) expect(check.stdout).toContain(`Server ${s}:`);
    expect(check.stdout).not.toContain('FAILED');

    const files = await lab.exec('barman1', 'head -n 2 /etc/barman.d/pg1.conf /etc/barman.d/pg3.conf /etc/cron.d/pg1 /etc/cron.d/pg3 /etc/barman.conf');
    expect(files.stdout).toContain('; tpa-barman:alpha server=pg1');
    expect(files.stdout).toContain('; tpa-barman:beta server=pg3');
    expect(files.stdout).toContain('# tpa-barman:alpha server=pg1');
    expect(files.stdout).toContain('# tpa-barman:beta server=pg3');
    expect(files.stdout).toMatch(/barman\.conf <==\n; Managed by tpa-barman[^\n]*\n; tpa-barman:alpha\n/);
    const lines = await sharedLines();
    expect(lines).toContain(`${ip('pg1')} pg1 # tpa-barman:alpha host=pg1`);
    expect(lines).toContain(`${ip('pg3')} pg3 # tpa-barman:beta host=pg3`);
    expect(lines).toContain(`${ip('barman1')} barman1 # tpa-barman:beta host=barman1`);
    expect(lines).toContain('# tpa-barman:alpha pgpass=pg1:*:*:barman');
    expect(lines).toContain('# tpa-barman:beta pgpass=pg3:*:*:streaming_barman');
    expect(lines).toMatch(/postgres@alpha tpa-barman:alpha\n/);
    expect(lines).toMatch(/postgres@beta tpa-barman:beta\n/);
    expect(lines).toMatch(new RegExp(`pg3,${ip('pg3').replace(/\./g, '\\.')} ssh-ed25519 \\S+ tpa-barman:beta host=pg3`));
    // Every line of ours on the Barman host is marked: the unmarked ones are the image's own.
    const unmarked = (await lab.exec('barman1', 'grep -vh "tpa-barman:" /var/lib/barman/.pgpass /var/lib/barman/.ssh/authorized_keys /var/lib/barman/.ssh/known_hosts | grep -v "^pg[0-9]:\\*:\\*:" || true')).stdout;
    expect(unmarked.trim()).toBe('');
    const hba = await lab.exec('pg3', 'grep barman /etc/postgresql/15/main/pg_hba.conf');
    expect(hba.stdout).toContain(`hostssl replication streaming_barman ${ip('barman1')}/32 scram-sha-256 # tpa-barman:beta barman=barman1`);
  }, 900_000);

  it('a third cluster reusing an instance name is refused with exit 3, listing each conflict; nothing changes on any host', async () => {
    // gamma calls its own host (pg4's address) "pg1": the name alpha backs up on barman1.
    await clusterDir('gamma', [
      { name: 'pg1', ip: ip('pg4'), backup: 'barman1' },
      { name: 'barman1', ip: ip('barman1'), shared: true },
    ]);
    await copyBarmanKeys('alpha', 'gamma');
    const before = await digestAll();
    const planned = await cli(['plan', dirs['gamma'] ?? '', '--json']);
    expect(planned.code, planned.stderr).toBe(3);
    expect(planned.stderr).toContain('REFUSED');
    const d = await deploy('gamma');
    expect(d.code, d.stderr).toBe(3);
    const conflicts = d.doc.conflicts.map((c) => `${c.host} ${c.message}`);
    expect(conflicts).toEqual(
      expect.arrayContaining([
        'barman1 /etc/barman.d/pg1.conf belongs to cluster alpha',
        'barman1 /etc/cron.d/pg1 belongs to cluster alpha',
        'barman1 /var/lib/barman/.pgpass: pgpass=pg1:*:*:barman belongs to cluster alpha',
        'barman1 /var/lib/barman/.pgpass: pgpass=pg1:*:*:streaming_barman belongs to cluster alpha',
      ]),
    );
    expect(conflicts.some((c) => c.startsWith('barman1 /etc/hosts: host=pg1 belongs to cluster alpha'))).toBe(true);
    expect(conflicts.some((c) => c.startsWith('barman1 known_hosts of barman: host=pg1 belongs to cluster alpha'))).toBe(true);
    expect(d.doc.conflicts.every((c) => c.owner === 'alpha')).toBe(true);
    expect(d.doc.recap.every((r) => r.changed === 0)).toBe(true);
    for (const c of d.doc.conflicts) expect(d.stderr).toContain(c.message);
    expect(await digestAll()).toBe(before);
  }, 300_000);

  it('other global values, another PostgreSQL major or another Barman version are refused with a clear diff', async () => {
    const other = (name: string, vars: Record<string, string | number>) =>
      clusterDir(name, [{ name: 'pg4', ip: ip('pg4'), backup: 'barman1' }, { name: 'barman1', ip: ip('barman1'), shared: true }], vars).then(() => copyBarmanKeys('alpha', name));
    await other('delta', { default_barman_retention_policy: 'RECOVERY WINDOW OF 2 WEEKS' });
    await other('eps', { postgres_version: 13 });
    await other('zeta', { barman_package_version: '9.9*' });
    const before = await digestAll();

    const delta = await deploy('delta');
    expect(delta.code, delta.stderr).toBe(3);
    expect(delta.stderr).toContain('/etc/barman.conf is shared and was set by cluster alpha');
    expect(delta.stderr).toContain('-retention_policy = RECOVERY WINDOW OF 4 WEEKS');
    expect(delta.stderr).toContain('+retention_policy = RECOVERY WINDOW OF 2 WEEKS');
    expect(delta.stderr).toContain('--override-global-config');

    // A config.yml that says 13 of a server that runs 15 is refused before any change,
    // whatever the flags (the shared server's major check, SamePostgresMajorCheck, needs
    // a server of another major, which this lab does not have: unit-tested).
    const eps = await deploy('eps', ['--override-global-config']);
    expect(eps.code, eps.stderr).toBe(3);
    expect(eps.stderr).toMatch(/postgres_version is 13 in config\.yml \(\S*config\.yml:\d+:\d+, cluster_vars\.postgres_version\), but pg4 runs PostgreSQL 15 \(server_version_num 15\d{4}\)/);

    const zeta = await deploy('zeta');
    expect(zeta.code, zeta.stderr).toBe(3);
    expect(zeta.stderr).toMatch(/barman 3\.4\S* is installed, this cluster wants 9\.9\*: barman1 is a shared Barman server/);

    expect(await digestAll()).toBe(before);
  }, 300_000);

  it('20 rounds of both clusters deploying at once: every round succeeds and no line or file is lost', async () => {
    const reference = await sharedLines();
    const cronRef = (await lab.exec('barman1', 'cat /etc/cron.d/pg1 /etc/cron.d/pg2 /etc/cron.d/pg3')).stdout;
    // Each round both clusters must rewrite the same line-managed files on barman1 at once.
    const drift = [
      'sed -i "/tpa-barman:/d" /etc/hosts /var/lib/barman/.ssh/authorized_keys /var/lib/barman/.ssh/known_hosts',
      'sed -i "/tpa-barman:/{N;d}" /var/lib/barman/.pgpass',
      'rm -f /etc/cron.d/pg1 /etc/cron.d/pg3',
    ].join('\n');
    for (let round = 1; round <= 20; round++) {
      expect((await lab.exec('barman1', drift)).code).toBe(0);
      const [a, b] = await Promise.all([deploy('alpha', ['--skip-tags', 'first-backup']), deploy('beta', ['--skip-tags', 'first-backup'])]);
      expect(a.code, `round ${round} alpha: ${a.stderr}`).toBe(0);
      expect(b.code, `round ${round} beta: ${b.stderr}`).toBe(0);
      expect(await sharedLines(), `round ${round}`).toBe(reference);
      expect((await lab.exec('barman1', 'cat /etc/cron.d/pg1 /etc/cron.d/pg2 /etc/cron.d/pg3')).stdout).toBe(cronRef);
    }
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check all');
    expect(check.code, check.stdout).toBe(0);
  }, 1_200_000);

  it('detach takes only its own cluster away: the other keeps backing up, the detached backups stay on disk', async () => {
    const before = await digestAll();
    // gamma's "pg1" files are alpha's: gamma may not remove them.
    const g = await cli(['detach', dirs['gamma'] ?? '', '--json']);
    expect(g.code, g.stderr).toBe(3);
    expect(g.stderr).toContain('/etc/barman.d/pg1.conf belongs to cluster alpha: it is not this cluster\'s to remove');
    const check = await cli(['detach', dirs['beta'] ?? '', '--check']);
    expect(check.code, check.stderr).toBe(2);
    expect(check.stderr).toContain('set /etc/barman.d/pg3.conf aside as /etc/barman.d/pg3.conf.detached');
    expect(check.stderr).toContain('drop replication slot backup_barman1');
    expect(await digestAll()).toBe(before);

    const alphaLines = (await lab.exec('barman1', `grep -h "tpa-barman:alpha" ${LINE_FILES.join(' ')} /etc/barman.d/*.conf /etc/cron.d/* | sort`)).stdout;
    const backupsBefore = (await lab.exec('barman1', 'ls /var/lib/barman/pg3/base')).stdout.trim().split('\n');
    expect(backupsBefore.length).toBeGreaterThanOrEqual(1);

    const d = await cli(['detach', dirs['beta'] ?? '', '--json'], { timeoutMs: 300_000 });
    expect(d.code, d.stderr).toBe(0);
    const after = await lab.exec('barman1', 'ls /etc/barman.d /etc/cron.d; ls /var/lib/barman/pg3/base; grep -l "tpa-barman:beta" /etc/hosts /var/lib/barman/.pgpass /var/lib/barman/.ssh/* /etc/cron.d/* 2>/dev/null || true');
    expect(after.stdout).toContain('pg3.conf.detached');
    expect(after.stdout).not.toMatch(/^pg3\.conf$/m);
    expect(after.stdout).not.toMatch(/^pg3$/m);
    for (const id of backupsBefore) expect(after.stdout).toContain(id);
    expect(after.stdout).not.toContain('/etc/hosts');
    expect(after.stdout).not.toContain('.pgpass');
    expect((await lab.exec('barman1', `grep -h "tpa-barman:alpha" ${LINE_FILES.join(' ')} /etc/barman.d/*.conf /etc/cron.d/* | sort`)).stdout).toBe(alphaLines);
    const slots = await lab.exec('pg3', 'runuser -u postgres -- psql -XAtq -c "select count(*) from pg_replication_slots"');
    expect(slots.stdout.trim()).toBe('0');

    // alpha goes on: all checks OK and a new backup works.
    const alphaCheck = await lab.exec('barman1', 'runuser -u barman -- barman check pg1 pg2');
    expect(alphaCheck.code, alphaCheck.stdout).toBe(0);
    expect(alphaCheck.stdout).not.toContain('FAILED');
    const backup = await lab.exec('barman1', 'runuser -u barman -- barman backup --wait --wait-timeout 300 pg1', { timeoutMs: 400_000 });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    // The kept backups are complete ones.
    // (backup.info is in base/<id>/ up to Barman 3.13.1, meta/<id>-backup.info after; Barman
    // itself no longer knows the detached server, so its JSON cannot be asked.)
    const done = await lab.exec('barman1', 'cat /var/lib/barman/pg3/base/*/backup.info /var/lib/barman/pg3/meta/*-backup.info 2>/dev/null | grep -c "^status=DONE"');
    expect(Number(done.stdout.trim())).toBe(backupsBefore.length);

    // A second detach has nothing left to do.
    const again = await cli(['detach', dirs['beta'] ?? '', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout) as JsonDoc;
    expect(doc.recap.every((r) => r.changed === 0)).toBe(true);
  }, 900_000);
});
