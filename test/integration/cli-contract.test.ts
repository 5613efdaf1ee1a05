// Issue 19 acceptance on one real lab (1 PostgreSQL + 1 Barman), reused for everything:
// every command with --json through changes pending, success, config error, conflict and
// an unreachable host (a lab container stopped), each exit code checked against the
// documented table (src/exit-codes.ts) and each stdout validated against its JSON Schema;
// --limit/--tags selecting nothing; a symlinked stand-in for /etc/shadow; deploy
// --no-restart then deploy; listing flags (detach included, issue 15) that leave every
// host byte-identical.
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { digestScript, MANAGED_PATHS } from '../support/digest.js';
import { cli, run, startLab, type Lab } from '../support/lab.js';
import { expectDocument, type JsonDocument } from '../support/schema.js';

type Outcome = 'changes pending' | 'success' | 'config error' | 'conflict' | 'unreachable';

interface Row {
  /** Arguments after the command name; DIR is replaced by the outcome's cluster directory. */
  argv: string[];
  code: number;
  /** The document kinds stdout may hold. */
  kinds: string[];
}

const E = ExitCode;
const CONNECT = ['--connect-timeout', '5'];

/** What each command must exit with, in each state of the lab (the documented table). */
const TABLE: Record<Outcome, Row[]> = {
  'changes pending': [
    { argv: ['inventory', 'DIR'], code: E.Ok, kinds: ['inventory'] },
    { argv: ['graph', 'DIR'], code: E.Ok, kinds: ['graph'] },
    { argv: ['ping', 'DIR'], code: E.Ok, kinds: ['ping'] },
    { argv: ['plan', 'DIR'], code: E.ChangesPending, kinds: ['run'] },
    { argv: ['deploy', 'DIR', '--check'], code: E.ChangesPending, kinds: ['run'] },
    { argv: ['plan', 'DIR', '--list-tasks'], code: E.Ok, kinds: ['list-tasks'] },
    // Nothing deployed yet: Barman is not there to check, no server to report on.
    { argv: ['test', 'DIR'], code: E.ChecksFailed, kinds: ['test'] },
    { argv: ['status', 'DIR'], code: E.ChecksFailed, kinds: ['status'] },
    { argv: ['detach', 'DIR', '--check'], code: E.Ok, kinds: ['run'] },
  ],
  success: [
    { argv: ['inventory', 'DIR'], code: E.Ok, kinds: ['inventory'] },
    { argv: ['graph', 'DIR'], code: E.Ok, kinds: ['graph'] },
    { argv: ['ping', 'DIR'], code: E.Ok, kinds: ['ping'] },
    { argv: ['plan', 'DIR'], code: E.Ok, kinds: ['run'] },
    { argv: ['deploy', 'DIR'], code: E.Ok, kinds: ['run'] },
    { argv: ['test', 'DIR'], code: E.Ok, kinds: ['test'] },
    { argv: ['status', 'DIR'], code: E.Ok, kinds: ['status'] },
    // Detaching a deployed cluster would change things: that is what --check reports.
    { argv: ['detach', 'DIR', '--check'], code: E.ChangesPending, kinds: ['run'] },
    { argv: ['detach', 'DIR', '--list-hosts'], code: E.Ok, kinds: ['list-hosts'] },
  ],
  'config error': ['inventory', 'graph', 'ping', 'plan', 'deploy', 'test', 'status', 'detach'].map((c) => ({ argv: [c, 'DIR'], code: E.Usage, kinds: ['error'] })),
  conflict: [
    { argv: ['plan', 'DIR'], code: E.Refused, kinds: ['run'] },
    { argv: ['deploy', 'DIR', '--check'], code: E.Refused, kinds: ['run'] },
    { argv: ['deploy', 'DIR'], code: E.Refused, kinds: ['run'] },
  ],
  unreachable: [
    { argv: ['inventory', 'DIR'], code: E.Ok, kinds: ['inventory'] },
    { argv: ['graph', 'DIR'], code: E.Ok, kinds: ['graph'] },
    { argv: ['ping', 'DIR', ...CONNECT], code: E.Unreachable, kinds: ['ping'] },
    { argv: ['plan', 'DIR', ...CONNECT], code: E.Unreachable, kinds: ['run'] },
    { argv: ['deploy', 'DIR', ...CONNECT], code: E.Unreachable, kinds: ['run'] },
    { argv: ['deploy', 'DIR', '--keep-going', ...CONNECT], code: E.Unreachable, kinds: ['run'] },
    { argv: ['test', 'DIR', ...CONNECT], code: E.Unreachable, kinds: ['test'] },
    { argv: ['status', 'DIR', ...CONNECT], code: E.Unreachable, kinds: ['status'] },
    { argv: ['detach', 'DIR', '--check', ...CONNECT], code: E.Unreachable, kinds: ['run'] },
  ],
};

describe('the command-line contract on a lab', () => {
  let lab: Lab;
  let scratch: string;
  const docs = new Map<string, JsonDocument>();

  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1 });
    // One first backup instead of three: the contract is the subject here, not Barman.
    const cfg = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    await lab.writeConfig(cfg.replace('cluster_vars:\n', 'cluster_vars:\n  barman_minimum_redundancy: 1\n'));
    scratch = await mkdtemp(join(tmpdir(), 'tpab-contract-'));
  });
  afterAll(async () => {
    await lab?.down();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** Run every row of an outcome against `dir`; keep each document by its command line. */
  async function runTable(outcome: Outcome, dir: string): Promise<void> {
    for (const row of TABLE[outcome]) {
      const argv = row.argv.map((a) => (a === 'DIR' ? dir : a));
      const label = `${outcome}: ${row.argv.join(' ')}`;
      const r = await cli([...argv, '--json'], { timeoutMs: 900_000 });
      expect(r.code, `${label}\n${r.stderr.slice(-3000)}`).toBe(row.code);
      docs.set(`${outcome}: ${row.argv.join(' ')}`, expectDocument(r.stdout, row.code, row.kinds, label));
    }
  }

  async function digest(): Promise<string> {
    const script = digestScript([...MANAGED_PATHS, ...lab.pg.managedPaths]);
    return (await Promise.all(lab.hosts.map(async (h) => `${h.name}\n${(await lab.exec(h.name, script)).stdout}`))).join('\n');
  }

  /** Logins of the controller (root) on every lab host, from sshd's log. */
  async function logins(): Promise<number> {
    let n = 0;
    for (const h of lab.hosts) {
      const r = await run('docker', ['logs', h.container], { timeoutMs: 30_000 });
      n += (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('Accepted publickey for root ')).length;
    }
    return n;
  }

  it('changes pending: a fresh lab', async () => {
    await runTable('changes pending', lab.dir);
    const plan = docs.get('changes pending: plan DIR');
    expect((plan?.['changes'] as unknown[]).length).toBeGreaterThan(10);
  });

  it('--limit nomatch and --tags bogus exit 5 on plan, deploy, test and status, naming what exists, connecting nowhere', async () => {
    const before = await logins();
    for (const command of ['plan', 'deploy', 'test', 'status']) {
      for (const [option, value, exists] of [
        ['--limit', 'nomatch', 'pg1'],
        ['--tags', 'bogus', command === 'test' ? 'check' : command === 'status' ? 'wal' : 'first-backup'],
      ] as const) {
        const r = await cli([command, lab.dir, option, value, '--json']);
        expect(r.code, `${command} ${option} ${value}: ${r.stderr}`).toBe(E.Usage);
        const doc = expectDocument(r.stdout, E.Usage, ['error'], `${command} ${option}`);
        expect(doc['error']).toMatchObject({ kind: 'selection', selection: { option, asked: [value], available: expect.arrayContaining([exists]) } });
        expect(r.stderr).toContain(value);
        expect(r.stderr).toContain(exists);
      }
    }
    expect(await logins()).toBe(before);
  });

  it('a config.yml that is a symlink to a stand-in for /etc/shadow is refused without printing a byte of it', async () => {
    const shadow = join(scratch, 'shadow');
    await writeFile(shadow, 'root:$6$s4ltS4lt$HashOfTheRootPasswordXyZ:19700:0:99999:7:::\n', { mode: 0o600 });
    const dir = join(scratch, 'symlinked');
    await mkdir(dir);
    await symlink(shadow, join(dir, 'config.yml'));
    for (const command of ['inventory', 'plan', 'deploy', 'status']) {
      const r = await cli([command, dir, '--json']);
      expect(r.code).toBe(E.Usage);
      expectDocument(r.stdout, E.Usage, ['error'], `shadow: ${command}`);
      for (const piece of ['s4ltS4lt', 'HashOfTheRoot', 'root:', '19700']) expect(r.stdout + r.stderr).not.toContain(piece);
      expect(r.stderr).toContain('outside the cluster directory');
    }
  });

  it('deploy --no-restart on the fresh lab: everything else is applied, listen_addresses is left pending with the restart named', async () => {
    const pid = async (): Promise<string> => (await lab.exec('pg1', `head -1 ${lab.pg.dataDir}/postmaster.pid`)).stdout.trim();
    const pidBefore = await pid();
    const r = await cli(['deploy', lab.dir, '--no-restart', '--json'], { timeoutMs: 900_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(E.Ok);
    const doc = expectDocument(r.stdout, E.Ok, ['run'], 'deploy --no-restart');
    const changes = doc['changes'] as Array<{ host: string; resource: string; status: string; summary: string; reason?: string }>;
    const deferred = changes.filter((c) => c.status === 'deferred').map((c) => `${c.host} ${c.resource}`).sort();
    expect(deferred).toEqual(['barman1 activate:pg1', 'barman1 first-backup:pg1', 'barman1 streaming:pg1', 'pg1 handler:postgres-restart']);
    expect(changes.find((c) => c.resource === 'pg_setting:listen_addresses')).toMatchObject({ status: 'changed' });
    expect(changes.filter((c) => c.status === 'failed')).toEqual([]);
    expect(r.stderr).toMatch(/PENDING: 4 changes were left for a later deploy/);
    expect(r.stderr).toMatch(/\[pg1\] restart PostgreSQL \(deferred: restarts are deferred in this run\)/);
    expect(r.stderr).toMatch(/^pg1 +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0 +skipped=0 +deferred=1$/m);
    // PostgreSQL was not restarted; the file is written, the value not yet in effect.
    expect(await pid()).toBe(pidBefore);
    expect((await lab.psql('pg1', 'show listen_addresses')).trim()).toBe('localhost');
    expect((await lab.exec('pg1', `cat ${lab.pg.includeDir}/tpa-barman-listen.conf`)).stdout).toContain(lab.host('pg1').ip);
    expect((await lab.exec('barman1', 'test -f /etc/barman.d/pg1.conf && test -f /var/lib/barman/.pgpass')).code).toBe(0);

    // The plan names the restart still to make, and what waits for it.
    const plan = await cli(['plan', lab.dir, '--json']);
    expect(plan.code).toBe(E.ChangesPending);
    const pending = (expectDocument(plan.stdout, E.ChangesPending, ['run'], 'plan after --no-restart')['changes'] as Array<{ host: string; resource: string; action: string; summary: string }>).map(
      (c) => `${c.host} ${c.resource} ${c.action}`,
    );
    expect(pending).toEqual(expect.arrayContaining(['pg1 pg_setting:listen_addresses restart', 'pg1 handler:postgres-restart restart', 'barman1 streaming:pg1 start']));
    expect(plan.stderr).toContain(`PostgreSQL restart to apply listen_addresses = 'localhost,${lab.host('pg1').ip}' (written, not yet in effect)`);
    // A plan with --no-restart says it would stay pending.
    const planNr = await cli(['plan', lab.dir, '--no-restart']);
    expect(planNr.code).toBe(E.ChangesPending);
    expect(planNr.stderr).toContain('PENDING: 4 changes would be left for a later deploy');
  });

  it('a later deploy makes the restart and the bring-up; then every command succeeds', async () => {
    const r = await cli(['deploy', lab.dir, '--json'], { timeoutMs: 900_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(E.Ok);
    const changed = (expectDocument(r.stdout, E.Ok, ['run'], 'deploy after --no-restart')['changes'] as Array<{ host: string; resource: string; status: string }>)
      .filter((c) => c.status === 'changed')
      .map((c) => `${c.host} ${c.resource}`)
      .sort();
    expect(changed).toEqual(['barman1 activate:pg1', 'barman1 first-backup:pg1', 'barman1 streaming:pg1', 'pg1 handler:postgres-restart', 'pg1 pg_setting:listen_addresses']);
    expect((await lab.psql('pg1', 'show listen_addresses')).trim()).toBe(`localhost,${lab.host('pg1').ip}`);
    await runTable('success', lab.dir);
    expect(docs.get('success: plan DIR')?.['changes']).toEqual([]);
  });

  it('deploy --diff shows the diff of each file it repairs, as it applies it', async () => {
    await lab.exec('barman1', `sed -i 's/^description = .*/description = "edited by hand"/' /etc/barman.d/pg1.conf`);
    const r = await cli(['deploy', lab.dir, '--diff']);
    expect(r.code, r.stderr).toBe(E.Ok);
    expect(r.stderr).toMatch(/^changed: \[barman1\] update \/etc\/barman\.d\/pg1\.conf/m);
    expect(r.stderr).toContain('-description = "edited by hand"');
    expect(r.stderr).toContain('+description = "Backups from pg1"');
    const quiet = await cli(['deploy', lab.dir]);
    expect(quiet.stderr).not.toContain('+description');
  });

  it('listing flags never connect: detach --list-tasks/--list-hosts and plan --list-tasks leave every host byte-identical', async () => {
    const before = await digest();
    const loginsBefore = await logins();
    for (const argv of [
      ['detach', lab.dir, '--list-tasks'],
      ['detach', lab.dir, '--list-hosts'],
      ['detach', lab.dir, '--list-tasks', '--json'],
      ['deploy', lab.dir, '--list-tasks', '--tags', 'first-backup'],
    ]) {
      const r = await cli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(E.Ok);
    }
    const tasks = await cli(['detach', lab.dir, '--list-tasks']);
    expect(tasks.stdout).toContain('play: barman-detach');
    expect(tasks.stdout).toMatch(/file-removal|\/etc\/barman\.d\/pg1\.conf/);
    expect(await logins()).toBe(loginsBefore);
    expect(await digest()).toBe(before);
  });

  it('config error: every command exits 5 with the error document (file, line, column)', async () => {
    const dir = join(scratch, 'broken');
    await cp(lab.dir, dir, { recursive: true });
    const cfg = await readFile(join(dir, 'config.yml'), 'utf8');
    await writeFile(join(dir, 'config.yml'), cfg.replace('backup: barman1', 'backup: barmann1'));
    await runTable('config error', dir);
    for (const row of TABLE['config error']) {
      const doc = docs.get(`config error: ${row.argv.join(' ')}`);
      const issue = (doc?.['error'] as { kind: string; issues: Array<{ file?: string; line?: number; col?: number; message: string }> }) ?? { kind: '', issues: [] };
      expect(issue.kind).toBe('config');
      expect(issue.issues[0]).toMatchObject({ file: expect.stringMatching(/config\.yml$/), line: expect.any(Number), col: expect.any(Number), message: expect.stringContaining('barmann1') });
    }
  });

  it('conflict: another cluster claiming this cluster\'s server on the shared Barman host is refused (exit 3), nothing changed', async () => {
    const dir = join(scratch, 'rival');
    await mkdir(join(dir, 'keys'), { recursive: true });
    for (const f of ['id_lab', 'tpa_known_hosts']) await copyFile(join(lab.dir, f), join(dir, f));
    for (const f of ['id_barman', 'id_barman.pub']) await copyFile(join(lab.dir, 'keys', f), join(dir, 'keys', f));
    const cfg = await readFile(join(lab.dir, 'config.yml'), 'utf8');
    const rival = cfg
      .replace(/^cluster_name: .*$/m, 'cluster_name: rival')
      .replace(/(- Name: barman1\n(?:  .*\n)*)/, (block) => `${block}  vars:\n    barman_shared: true\n`);
    expect(rival).toContain('barman_shared: true');
    await writeFile(join(dir, 'config.yml'), rival);
    const before = await digest();
    await runTable('conflict', dir);
    for (const row of TABLE.conflict) {
      const doc = docs.get(`conflict: ${row.argv.join(' ')}`);
      const conflicts = doc?.['conflicts'] as Array<{ host: string; message: string }>;
      expect(conflicts.some((k) => k.host === 'barman1' && k.message.includes('/etc/barman.d/pg1.conf'))).toBe(true);
    }
    expect(await digest()).toBe(before);
  });

  it('unreachable: with the Barman container stopped, every host is tried and reported, the others planned, the recap printed', async () => {
    const stop = await run('docker', ['stop', '-t', '2', lab.host('barman1').container], { timeoutMs: 60_000 });
    expect(stop.code, stop.stderr).toBe(0);
    await runTable('unreachable', lab.dir);
    const plan = docs.get(`unreachable: plan DIR ${CONNECT.join(' ')}`);
    expect(plan?.['unreachable']).toEqual([expect.objectContaining({ host: 'barman1' })]);
    const recap = plan?.['recap'] as Array<{ host: string; ok: number; changed: number; unreachable: number }>;
    // pg1 was read and planned: deployed, nothing to change (barman1's host keys came from the last run).
    expect(recap.find((x) => x.host === 'pg1')).toMatchObject({ unreachable: 0, changed: 0 });
    expect(recap.find((x) => x.host === 'pg1')?.ok).toBeGreaterThan(5);
    expect(recap.find((x) => x.host === 'barman1')).toMatchObject({ unreachable: 1, ok: 0 });
    const text = await cli(['plan', lab.dir, ...CONNECT]);
    expect(text.code).toBe(E.Unreachable);
    expect(text.stderr).toMatch(/\[barman1\] barman1: no ssh handshake|\[barman1\] barman1: cannot connect/);
    expect(text.stderr).toMatch(/^PLAN RECAP$/m);
    expect(text.stderr).toMatch(/^barman1 +: ok=0 +changed=0 +unreachable=1 /m);
    expect(text.stderr).toMatch(/^pg1 +: ok=\d+ +changed=0 +unreachable=0 +failed=0/m);
    // deploy stops everywhere (as TPA), but still prints its recap; status names the host.
    const deploy = await cli(['deploy', lab.dir, ...CONNECT]);
    expect(deploy.code).toBe(E.Unreachable);
    expect(deploy.stderr).toMatch(/^PLAY RECAP$/m);
    // With --keep-going the reachable host is still worked on (deployed: nothing to change).
    const kept = docs.get(`unreachable: deploy DIR --keep-going ${CONNECT.join(' ')}`)?.['recap'] as Array<{ host: string; ok: number; failed: number }>;
    expect(kept.find((x) => x.host === 'pg1')?.ok).toBeGreaterThan(5);
    expect(kept.find((x) => x.host === 'pg1')?.failed).toBe(0);
    const stopped = docs.get(`unreachable: deploy DIR ${CONNECT.join(' ')}`)?.['recap'] as Array<{ host: string; ok: number }>;
    expect(stopped.find((x) => x.host === 'pg1')?.ok).toBe(0);
    const status = docs.get(`unreachable: status DIR ${CONNECT.join(' ')}`);
    expect(status?.['unreachable']).toEqual([expect.objectContaining({ host: 'barman1' })]);
    const ping = docs.get(`unreachable: ping DIR ${CONNECT.join(' ')}`);
    expect((ping?.['hosts'] as Array<{ host: string; reachable: boolean }>).map((h) => `${h.host}=${h.reachable}`).sort()).toEqual(['barman1=false', 'pg1=true']);
  });
});
