// PlayRun (gather → plan → apply → verify) on the local-shell connector: the very
// scripts the ssh connector sends, run by /bin/sh against a temp root. No Docker.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Play } from '../../../src/engine/play.js';
import { NO_PROBE, shProbe, type Probe } from '../../../src/engine/probe.js';
import type { Change, Placed, Resource } from '../../../src/engine/resource.js';
import { CommandResource } from '../../../src/engine/resources/command.js';
import { FileResource } from '../../../src/engine/resources/file.js';
import type { FileState } from '../../../src/engine/resources/file-state.js';
import { LinesResource } from '../../../src/engine/resources/lines.js';
import { PgRoleResource } from '../../../src/engine/resources/postgres.js';
import { runPlay, type RunOptions, type RunResult } from '../../../src/engine/runner.js';
import { LocalShellConnector } from '../../../src/transport/local.js';

const USER = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
const GROUP = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();

interface Host {
  name: string;
  root: string;
}

function hosts(...names: string[]): Host[] {
  return names.map((name) => ({ name, root: mkdtempSync(join(tmpdir(), `tpab-${name}-`)) }));
}

function play(hs: Host[], build: (h: Host) => Resource[], opts: { pg?: boolean; phases?: string[] } = {}): Play {
  return {
    name: 'unit',
    phases: opts.phases ?? ['one'],
    hosts: hs.map((h) => ({ name: h.name, pg: opts.pg ? { osUser: USER, port: 5432 } : undefined })),
    build: () => hs.flatMap((h) => build(h).map((resource): Placed => ({ host: h.name, phase: 0, resource }))),
  };
}

function run(p: Play, hs: Host[], mode: 'apply' | 'plan' = 'apply', extra: Partial<RunOptions> = {}): Promise<RunResult> {
  const byName = new Map(hs.map((h) => [h.name, h]));
  return runPlay(p, {
    mode,
    forks: 4,
    connector: (name) => new LocalShellConnector(name, byName.get(name)?.root ?? '/nonexistent'),
    selection: {},
    keepGoing: false,
    holder: 'unit-test',
    lockWaitSeconds: 5,
    ...extra,
  });
}

const file = (h: Host, name: string, content: string): FileResource =>
  new FileResource({ path: join(h.root, name), content, owner: USER, group: GROUP, mode: '0640', tags: [] });

const statuses = (r: RunResult): string[] => r.results.map((x) => `${x.host} ${x.id.replace(/\/tmp\/tpab-[^/]+/, '')} ${x.status}`);

describe('PlayRun on the local connector', () => {
  it('a change, then a no-op: one connection and one exec per host', async () => {
    const hs = hosts('a', 'b');
    const p = play(hs, (h) => [file(h, 'motd', `hello ${h.name}\n`), file(h, 'other.conf', 'x = 1\n')]);
    const first = await run(p, hs);
    expect(first.errors).toEqual([]);
    expect(first.exitCode).toBe(0);
    expect(statuses(first).sort()).toEqual(['a file:/motd changed', 'a file:/other.conf changed', 'b file:/motd changed', 'b file:/other.conf changed']);
    expect(readFileSync(join(hs[0]?.root ?? '', 'motd'), 'utf8')).toBe('hello a\n');

    const again = await run(p, hs);
    expect(again.exitCode).toBe(0);
    expect(again.results.every((r) => r.status === 'ok')).toBe(true);
    for (const h of again.hosts) {
      expect(h.counters?.connections).toBe(1);
      expect(h.execs).toBe(1);
    }
  });

  it('plan changes nothing and reports what apply would do', async () => {
    const hs = hosts('a');
    const p = play(hs, (h) => [file(h, 'motd', 'planned\n')]);
    const r = await run(p, hs, 'plan');
    expect(r.exitCode).toBe(2);
    expect(statuses(r)).toEqual(['a file:/motd changed']);
    expect(existsSync(join(hs[0]?.root ?? '', 'motd'))).toBe(false);
  });

  it('a guarded file changed by someone else after it was read: the apply refuses, re-reads and re-plans, keeping their line', async () => {
    const hs = hosts('a');
    const h = hs[0] as Host;
    const path = join(h.root, 'hosts');
    writeFileSync(path, '127.0.0.1 localhost\n');
    let plans = 0;
    const lines = new LinesResource({ path, owner: USER, group: GROUP, mode: '0644', entries: [{ match: '10.0.0.1 ', line: '10.0.0.1 pg1' }], matchMode: 'prefix', insert: 'bottom', tags: [] });
    // Stands in for a concurrent deploy: writes the file right after our first read.
    const racing: Resource<FileState> = {
      id: 'lines:racing',
      kind: 'lines',
      tags: [],
      probe: () => lines.probe(),
      plan: (state) => {
        plans++;
        if (plans === 1) writeFileSync(path, '127.0.0.1 localhost\n10.9.9.9 theirs\n');
        return lines.plan(state);
      },
    };
    const r = await run(play(hs, () => [racing]), hs);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(plans).toBeGreaterThanOrEqual(2);
    expect(readFileSync(path, 'utf8')).toBe('127.0.0.1 localhost\n10.9.9.9 theirs\n10.0.0.1 pg1\n');
    // gather, apply refused (stale), gather again, apply, verify
    expect(r.hosts[0]?.execs).toBe(5);
  });

  it('a probe that fails is a host error naming host, probe and stderr; that host is not planned, the others are', async () => {
    const hs = hosts('a', 'b');
    const broken: Probe<string> = shProbe('broken thing', 'echo "cannot read /etc/thing: Permission denied" >&2; exit 3', (o) => o.toString());
    const p = play(hs, (h) => [
      file(h, 'motd', 'x\n'),
      ...(h.name === 'a' ? [new CommandResource({ id: 'cmd:broken', tags: [], probe: broken, needed: () => true, summary: 'never', run: 'true' })] : []),
    ]);
    const r = await run(p, hs, 'plan');
    expect(r.errors).toEqual([
      { host: 'a', message: "a: probe 'broken thing' failed: exit 3: cannot read /etc/thing: Permission denied", hint: 'nothing was planned or changed on a; fix what the probe reports and re-run' },
    ]);
    expect(r.exitCode).toBe(6); // a plan that could not read a host
    expect(statuses(r)).toEqual(['b file:/motd changed']);
    // In a deploy nothing is changed anywhere (no --keep-going), but b is still planned and reported.
    const d = await run(p, hs, 'apply');
    expect(d.exitCode).toBe(2);
    expect(statuses(d)).toEqual(['b file:/motd skipped']);
    expect(d.results[0]?.reason).toMatch(/another host failed before any change/);
    expect(existsSync(join(hs[1]?.root ?? '', 'motd'))).toBe(false);
    // With --keep-going the healthy host is deployed.
    const k = await run(p, hs, 'apply', { keepGoing: true });
    expect(statuses(k)).toEqual(['b file:/motd changed']);
    expect(k.exitCode).toBe(2);
  });

  it('PostgreSQL down (a psql that fails as PostgreSQL does): a host error with its message, and no CREATE ROLE', async () => {
    const hs = hosts('pg');
    const h = hs[0] as Host;
    // A fake runuser/psql in <root>/bin (first on the local connector's PATH).
    const down = 'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory';
    mkdirSync(join(h.root, 'bin'));
    writeFileSync(join(h.root, 'bin', 'runuser'), '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n');
    writeFileSync(join(h.root, 'bin', 'psql'), `#!/bin/sh\ncat >/dev/null\necho '${down}' >&2\nexit 2\n`);
    chmodSync(join(h.root, 'bin', 'runuser'), 0o755);
    chmodSync(join(h.root, 'bin', 'psql'), 0o755);
    const p = play(hs, () => [new PgRoleResource({ name: 'barman', attrs: { login: true }, tags: [] })], { pg: true });
    const r = await run(p, hs, 'plan');
    expect(r.errors.map((e) => e.message)).toEqual([`pg: probe 'role barman' failed: PostgreSQL could not be queried (psql exit 2): ${down}`]);
    expect(r.results.filter((x) => x.change?.sql?.some((s) => s.startsWith('CREATE ROLE')))).toEqual([]);
    expect(r.exitCode).toBe(6);
  });

  it('identical probes on a host run once and parse once', async () => {
    const hs = hosts('a');
    const h = hs[0] as Host;
    const counter = join(h.root, 'probes');
    let parses = 0;
    const counted = (): Probe<boolean> =>
      shProbe('counted', `echo x >> ${counter}; echo yes`, (o) => {
        parses++;
        return o.toString().trim() === 'yes';
      });
    const cmd = (id: string): CommandResource<boolean> => new CommandResource({ id, tags: [], probe: counted(), needed: () => false, summary: id, run: 'true' });
    const r = await run(play(hs, () => [cmd('one'), cmd('two'), cmd('three')]), hs, 'plan');
    expect(r.errors).toEqual([]);
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
    expect(parses).toBe(1);
  });

  it('an apply that fails half-way: what ran is changed, the failing step failed with its output, the rest not run', async () => {
    const hs = hosts('a');
    const h = hs[0] as Host;
    const step = (id: string, sh: string): CommandResource<undefined> => new CommandResource({ id, tags: [], probe: NO_PROBE, needed: () => true, summary: id, run: sh });
    const p = play(hs, () => [step('first', `touch ${h.root}/first`), step('second', 'echo "disk full" >&2; exit 1'), step('third', `touch ${h.root}/third`)]);
    const r = await run(p, hs);
    expect(r.exitCode).toBe(2);
    expect(r.results.map((x) => [x.id, x.status])).toEqual([
      ['first', 'changed'],
      ['second', 'failed'],
      ['third', 'skipped'],
    ]);
    expect(r.results[1]?.error).toBe('disk full');
    expect(r.results[2]?.error).toBe('not run: an earlier step failed');
    expect(existsSync(join(h.root, 'first'))).toBe(true);
    expect(existsSync(join(h.root, 'third'))).toBe(false);
    // nothing to probe (no exec), one apply, and no verification after a failure
    expect(r.hosts[0]?.execs).toBe(1);
  });

  it('verification finds drift: something changes the file back after we write it', async () => {
    const hs = hosts('a');
    const h = hs[0] as Host;
    const target = file(h, 'app.conf', 'mine\n');
    const meddler = new CommandResource({ id: 'other-tool', tags: [], probe: NO_PROBE, needed: () => true, summary: 'another tool', run: `echo theirs > ${h.root}/app.conf` });
    const r = await run(play(hs, () => [target, meddler]), hs);
    expect(r.exitCode).toBe(2);
    const failed = r.results.filter((x) => x.status === 'failed');
    expect(failed.map((x) => x.id.replace(h.root, ''))).toContain('file:/app.conf');
    expect(failed.find((x) => x.id.startsWith('file:'))?.error).toMatch(/^did not converge: still wants to update .*app\.conf/);
  });

  it('a change known only after apply, with nothing to run, is never recorded as done', async () => {
    const hs = hosts('a');
    const inert: Resource<undefined> = {
      id: 'inert',
      kind: 'command',
      tags: [],
      probe: () => NO_PROBE,
      plan: (): Change => ({ action: 'update', summary: 'content known after apply', knownAfterApply: true }),
    };
    const r = await run(play(hs, () => [inert]), hs);
    expect(r.results.map((x) => [x.id, x.status, x.error])).toEqual([['inert', 'failed', 'not applied: its content is only known after a step this run did not take']]);
    expect(r.exitCode).toBe(2);
  });

  it('an unreachable host: exit 4, nothing planned or changed anywhere', async () => {
    const hs = hosts('a', 'b');
    const p = play(hs, (h) => [file(h, 'motd', 'x\n')]);
    const r = await runPlay(p, {
      mode: 'apply',
      forks: 2,
      connector: (name) => {
        const c = new LocalShellConnector(name, hs.find((h) => h.name === name)?.root ?? '');
        if (name === 'b') c.unreachable = 'connection refused';
        return c;
      },
      selection: {},
      keepGoing: false,
      holder: 't',
      lockWaitSeconds: 5,
    });
    expect(r.exitCode).toBe(4);
    expect(r.errors.map((e) => e.message)).toEqual(['b: connection refused']);
    expect(existsSync(join(hs[0]?.root ?? '', 'motd'))).toBe(false);
  });
});

describe('local connector', () => {
  it('keeps the host lock inside its root', async () => {
    const [h] = hosts('a');
    if (!h) throw new Error('no host');
    mkdirSync(join(h.root, 'etc'));
    const r = await run(play([h], () => [file(h, 'etc/x', 'y\n')]), [h]);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(h.root, 'var', 'lock', 'tpa-barman.lock'))).toBe(true);
  });
});
