// Benchmark (issue #10): tpa-barman against Ansible 2.14 (Debian 12's `ansible`, with
// community.postgresql) doing the same Barman deploy (bench/ansible/deploy.yml), on
// N = 1, 8, 32 PostgreSQL hosts plus one Barman host per 8 of them, in Docker labs on
// this machine. Three scenarios, tools alternating run by run:
//   first  first deploy from clean hosts (packages pre-installed; lab re-created before
//          every run, untimed)
//   noop   re-deploy of the converged lab
//   plan   dry run after a scripted drift of 3 resources per host: `tpa-barman plan`
//          vs `ansible-playbook --check --diff`; both must report exactly those drifts
// Correctness gate: after every converge (and after the repairs that close the plan
// scenario) the per-host state digest (bench/avo-digest.ts) must equal the one of the
// first converge, whichever tool made it; a dry run must leave it unchanged.
//
// Usage: node dist/bench/ansible-vs-ours.js
// Environment: RUNS (default 5), SIZES (default 1,8,32), SCENARIOS (default
// first,noop,plan), ANSIBLE_STRATEGY (default free; linear also allowed),
// BENCH_KEEP_LABS=1 (leave the labs up), BENCH_QUIET_PCT (default 40: wait until both
// cores were less busy than this over 2 s before a run, at most BENCH_SETTLE_S = 30 s),
// BENCH_RESUME=1 (continue an interrupted invocation with the same RUNS, strategy and
// measured code — a later commit that changes only docs, tests or results keeps it: its runs are kept, one JSON line per cell in
// labs/bench-avo-cells.jsonl, and the reference digests in labs/bench-avo-reference-N.json).
// Output: a markdown table on stdout, also written to bench/results/ansible-vs-tpa-barman.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareDigests, digestLab, type HostDigest } from './avo-digest.js';
import { writeInventory } from './avo-inventory.js';
import { barmanCount, execAll, labDown, labUp, sshdCounts, targetCpuMs, type Lab, type LabHost } from './avo-lab.js';
import { measure, settle, type LoadRecord, type Measured } from './avo-measure.js';
import { median } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ansibleDir = join(root, 'bench', 'ansible');
const cli = join(root, 'dist', 'src', 'cli.js');
const RUNS = Math.max(1, Number(process.env.RUNS ?? 5));
const SIZES = (process.env.SIZES ?? '1,8,32').split(',').map(Number).filter((n) => n > 0);
const SCENARIOS = (process.env.SCENARIOS ?? 'first,noop,plan').split(',').map((s) => s.trim());
const STRATEGY = process.env.ANSIBLE_STRATEGY ?? 'free';
const KEEP = process.env.BENCH_KEEP_LABS === '1';
const QUIET_PCT = Number(process.env.BENCH_QUIET_PCT ?? 40);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 30);
const RESUME = process.env.BENCH_RESUME === '1';
const STATE = join(root, 'labs', 'bench-avo-cells.jsonl');

type Tool = 'ours' | 'ansible';
type Scenario = 'first' | 'noop' | 'plan';
const SCENARIO_TITLE: Record<Scenario, string> = { first: 'first deploy', noop: 'no-op redeploy', plan: 'plan after drift' };

interface RunRecord {
  n: number;
  hosts: number;
  scenario: Scenario;
  tool: Tool;
  run: number;
  m: Measured;
  load: LoadRecord;
  connMean: number;
  connMax: number;
  sessMean: number;
  sessMax: number;
  /** CPU used by all the lab's containers during the run (ms), if measurable. */
  targetCpuMs?: number;
  /** tpa-barman's own counters (max over hosts), to cross-check sshd's. */
  ours?: { connections: number; channels: number; execs: number };
  note: string;
}

interface Cell {
  n: number;
  scenario: Scenario;
  runs: RunRecord[];
  gate: boolean;
  gateDetail: string[];
  /** tpa-barman's version when the cell was measured, and when. */
  version: string;
  at: string;
  strategy: string;
  runsPerTool: number;
  done: boolean;
}

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

function sh(cmd: string): string {
  return execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim();
}

/** Ansible (Debian 12: ansible-core 2.14 + community.postgresql) and GNU time, on demand. */
function ensurePrerequisites(): void {
  const missing: string[] = [];
  if (spawnSync('bash', ['-c', 'command -v ansible-playbook']).status !== 0) missing.push('ansible');
  if (!existsSync('/usr/bin/time')) missing.push('time');
  if (missing.length) {
    log(`installing ${missing.join(' ')} (apt-get)`);
    const install = `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${missing.join(' ')}`;
    execFileSync('bash', ['-c', `${install} || { apt-get update -q && ${install}; }`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

function versions(): Record<string, string> {
  const col = (() => {
    try {
      const m = JSON.parse(readFileSync('/usr/lib/python3/dist-packages/ansible_collections/community/postgresql/MANIFEST.json', 'utf8')) as { collection_info?: { version?: string } };
      return m.collection_info?.version ?? 'unknown';
    } catch {
      return sh("ansible-galaxy collection list community.postgresql 2>/dev/null | awk '/community.postgresql/ {print $2}' | head -n1") || 'unknown';
    }
  })();
  let commit = 'unknown';
  try {
    commit = sh(`cd ${root} && git rev-parse --short HEAD`) + (sh(`cd ${root} && git status --porcelain -- ${MEASURED_PATHS.join(' ')} | head -n1`) ? ' + uncommitted changes in measured code' : '');
  } catch {
    // not a git checkout
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    ansible: sh('ansible-playbook --version | head -n1'),
    python: sh("ansible-playbook --version | sed -n 's/^ *python version = \\([^ ]*\\).*/\\1/p'"),
    collection: col,
    node: process.version,
    ours: `${pkg.version} (${commit})`,
    cpu: readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU',
  };
}

/**
 * What a cell measured: tpa-barman's engine and playbook, the Ansible playbook, the lab and
 * the bench's own measuring code. A commit that changes none of these (README, results,
 * tests, this file's report) measures the same thing, so its cells can be kept on resume.
 */
const MEASURED_PATHS = ['src', 'playbooks', 'package-lock.json', 'docker', 'bench/ansible', 'bench/avo-digest.ts', 'bench/avo-inventory.ts', 'bench/avo-lab.ts', 'bench/avo-measure.ts'];

/** True when two version strings ("0.1.0 (abc1234)") name commits with the same measured code and no uncommitted changes. */
function sameMeasuredCode(a: string, b: string): boolean {
  if (a === b) return !a.includes('uncommitted');
  const commit = (v: string): string | undefined => /^[^ ]+ \(([0-9a-f]{7,40})\)$/.exec(v)?.[1];
  const ca = commit(a);
  const cb = commit(b);
  if (!ca || !cb) return false;
  return spawnSync('git', ['-C', root, 'diff', '--quiet', ca, cb, '--', ...MEASURED_PATHS]).status === 0;
}

// ------------------------------------------------------------------- runs ----

interface OursJson {
  exit_code: number;
  changes: Array<{ host: string; resource: string; status: string }>;
  recap: Array<{ host: string; changed: number; failed: number; unreachable: number }>;
  hosts: Array<{ host: string; execs: number; channels: number; connections: number }>;
}

interface AnsibleOutcome {
  recap: Map<string, { changed: number; failed: number; unreachable: number }>;
  /** host → names of the tasks that reported `changed`. */
  changedTasks: Map<string, Set<string>>;
}

function parseAnsible(stdout: string): AnsibleOutcome {
  const recap = new Map<string, { changed: number; failed: number; unreachable: number }>();
  for (const m of stdout.matchAll(/^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap.set(m[1] ?? '', { changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) });
  }
  const changedTasks = new Map<string, Set<string>>();
  let task = '';
  for (const line of stdout.split('\n')) {
    const t = /^TASK \[(.*)\] \**$/.exec(line);
    if (t) {
      task = t[1] ?? '';
      continue;
    }
    const c = /^changed: \[([^\]\s]+)/.exec(line);
    if (c) {
      const host = c[1] ?? '';
      changedTasks.set(host, (changedTasks.get(host) ?? new Set()).add(task));
    }
  }
  return { recap, changedTasks };
}

async function runTool(lab: Lab, inventory: string, hosts: number, tool: Tool, mode: 'apply' | 'dry'): Promise<{ m: Measured; load: LoadRecord; since: number; until: number; targetCpu?: number }> {
  const load = await settle(QUIET_PCT, SETTLE_S);
  const since = Date.now() / 1000;
  const cpu0 = targetCpuMs(lab);
  let m: Measured;
  if (tool === 'ours') {
    m = await measure(['node', cli, mode === 'apply' ? 'deploy' : 'plan', lab.dir, '--skip-tags', 'first-backup', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      timeoutMs: 1_800_000,
    });
  } else {
    const controlDir = mkdtempSync(join(tmpdir(), 'avo-cp-'));
    m = await measure(['ansible-playbook', '-i', inventory, '-f', String(hosts), 'deploy.yml', ...(mode === 'dry' ? ['--check', '--diff'] : [])], {
      cwd: ansibleDir,
      env: {
        ...process.env,
        ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'),
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_STRATEGY: STRATEGY,
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
      },
      timeoutMs: 3_600_000,
      detachedMarker: controlDir,
    });
    rmSync(controlDir, { recursive: true, force: true });
  }
  const cpu1 = targetCpuMs(lab);
  return { m, load, since, until: Date.now() / 1000 + 0.5, targetCpu: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

class Failure extends Error {}

/** One timed run; checks that it did what the scenario expects; returns its record. */
async function timedRun(lab: Lab, inventory: string, n: number, scenario: Scenario, tool: Tool, run: number, expectDrift?: Map<string, ExpectedDrift>): Promise<RunRecord> {
  const hosts = lab.hosts.length;
  const { m, load, since, until, targetCpu } = await runTool(lab, inventory, hosts, tool, scenario === 'plan' ? 'dry' : 'apply');
  const sshd = await sshdCounts(lab, since, until);
  const conns = [...sshd.values()].map((c) => c.connections);
  const sess = [...sshd.values()].map((c) => c.sessions);
  const rec: RunRecord = {
    n,
    hosts,
    scenario,
    tool,
    run,
    // outputs are checked below, not kept
    m: { ...m, stdout: '', stderr: '' },
    load,
    connMean: mean(conns),
    connMax: Math.max(...conns),
    sessMean: mean(sess),
    sessMax: Math.max(...sess),
    targetCpuMs: targetCpu,
    note: '',
  };
  const where = `${SCENARIO_TITLE[scenario]}, N=${n}, ${tool} run ${run + 1}`;
  const tail = (s: string): string => s.trim().split('\n').slice(-25).join('\n');
  if (tool === 'ours') {
    let doc: OursJson;
    try {
      doc = JSON.parse(m.stdout) as OursJson;
    } catch {
      throw new Failure(`${where}: no JSON document (exit ${m.exitCode})\n${tail(m.stderr)}`);
    }
    rec.ours = {
      connections: Math.max(...doc.hosts.map((h) => h.connections)),
      channels: Math.max(...doc.hosts.map((h) => h.channels)),
      execs: Math.max(...doc.hosts.map((h) => h.execs)),
    };
    const failed = doc.recap.filter((r) => r.failed || r.unreachable);
    if (failed.length) throw new Failure(`${where}: failed on ${failed.map((r) => r.host).join(', ')}\n${tail(m.stderr)}`);
    if (scenario === 'plan') {
      if (m.exitCode !== 2) throw new Failure(`${where}: plan exited ${m.exitCode}, expected 2 (changes pending)\n${tail(m.stderr)}`);
      const got = new Map<string, string[]>();
      for (const c of doc.changes.filter((x) => x.status === 'changed')) got.set(c.host, [...(got.get(c.host) ?? []), c.resource]);
      checkDrifts(where, expectDrift, (host, d) => {
        const ids = got.get(host) ?? [];
        return ids.length === d.ours.length && d.ours.every((p) => ids.some((id) => id.endsWith(`:${p}`))) ? null : ids.join(', ');
      });
    } else {
      if (m.exitCode !== 0) throw new Failure(`${where}: exit ${m.exitCode}\n${tail(m.stderr)}`);
      const changed = doc.recap.reduce((a, r) => a + r.changed, 0);
      if (scenario === 'noop' && changed !== 0) throw new Failure(`${where}: a no-op run changed ${changed} thing(s)\n${tail(m.stderr)}`);
    }
    const sshdMismatch = rec.ours.connections !== rec.connMax || rec.ours.channels !== rec.sessMax;
    if (sshdMismatch) rec.note = `own counters: ${rec.ours.connections} connection(s), ${rec.ours.channels} channel(s) per host (max)`;
  } else {
    const out = parseAnsible(m.stdout);
    const bad = [...out.recap].filter(([, r]) => r.failed || r.unreachable);
    if (m.exitCode !== 0 || bad.length || out.recap.size !== hosts) {
      throw new Failure(`${where}: exit ${m.exitCode}, failed/unreachable on ${bad.map(([h]) => h).join(', ') || '(none)'}\n${tail(m.stdout)}\n${tail(m.stderr)}`);
    }
    const changed = [...out.recap.values()].reduce((a, r) => a + r.changed, 0);
    if (scenario === 'noop' && changed !== 0) throw new Failure(`${where}: a no-op run changed ${changed} task(s)\n${tail(m.stdout)}`);
    if (scenario === 'plan') {
      checkDrifts(where, expectDrift, (host, d) => {
        const tasks = out.changedTasks.get(host) ?? new Set<string>();
        const ok = tasks.size === d.ansible.length && d.ansible.every((t) => tasks.has(t)) && out.recap.get(host)?.changed === d.ansible.length;
        return ok ? null : [...tasks].join(', ');
      });
    }
  }
  log(
    `${where}: ${(m.wallMs / 1000).toFixed(2)} s, CPU ${(m.cpuMs / 1000).toFixed(2)} s, target CPU ${targetCpu === undefined ? 'n/a' : `${(targetCpu / 1000).toFixed(2)} s`}, ` +
      `${rec.connMean.toFixed(1)} conn/host, ${rec.sessMean.toFixed(1)} sessions/host, load ${load.load1.toFixed(2)}, busy ${load.busyPct.toFixed(0)} %`,
  );
  return rec;
}

// ------------------------------------------------------------------ drift ----

interface ExpectedDrift {
  /** Paths of the resources tpa-barman must report. */
  ours: string[];
  /** Names of the tasks Ansible must report `changed`. */
  ansible: string[];
}

/** 3 drifts per host: one mode change, one file body change, one missing line. */
function driftScript(h: LabHost): string {
  if (h.kind === 'barman') {
    return [
      'set -e',
      'chmod 0600 /var/lib/barman/.ssh/id_ed25519.pub',
      "sed -i 's/^minimum_redundancy = .*/minimum_redundancy = 1/' /etc/barman.conf",
      "sed -i '$d' /var/lib/barman/.ssh/known_hosts",
      '',
    ].join('\n');
  }
  return [
    'set -e',
    'chmod 0600 /var/lib/postgresql/.ssh/known_hosts',
    "sed -i 's/$/ drifted/' /var/lib/postgresql/.ssh/id_ed25519.pub",
    "sed -i '$d' /var/lib/postgresql/.ssh/authorized_keys",
    '',
  ].join('\n');
}

function expectedDrift(h: LabHost): ExpectedDrift {
  if (h.kind === 'barman') {
    return {
      ours: ['/var/lib/barman/.ssh/id_ed25519.pub', '/etc/barman.conf', '/var/lib/barman/.ssh/known_hosts'],
      ansible: ["Barman's key pair", '/etc/barman.conf', "Host keys of the PostgreSQL hosts in barman's known_hosts"],
    };
  }
  return {
    ours: ['/var/lib/postgresql/.ssh/known_hosts', '/var/lib/postgresql/.ssh/id_ed25519.pub', '/var/lib/postgresql/.ssh/authorized_keys'],
    ansible: ["Host keys of the Barman hosts in postgres's known_hosts", "Postgres's key pair", "Barman's key and postgres's own key in postgres's authorized_keys"],
  };
}

function checkDrifts(where: string, expect: Map<string, ExpectedDrift> | undefined, mismatch: (host: string, d: ExpectedDrift) => string | null): void {
  if (!expect) return;
  const wrong: string[] = [];
  for (const [host, d] of expect) {
    const got = mismatch(host, d);
    if (got !== null) wrong.push(`${host}: reported [${got}]`);
  }
  if (wrong.length) throw new Failure(`${where}: did not report exactly the 3 drifts per host: ${wrong.slice(0, 4).join('; ')}`);
}

// ------------------------------------------------------------------ sizes ----

async function benchSize(n: number, cells: Cell[], previous: Cell[], version: string, save: () => void): Promise<void> {
  const clusterName = `bench-avo-${n}`;
  const dir = join(root, 'labs', clusterName);
  const refFile = join(root, 'labs', `bench-avo-reference-${n}.json`);
  let seq = 0;
  let lab: Lab | undefined;
  let inventory = '';
  const dockerName = (): string => (seq === 0 ? clusterName : `${clusterName}-r${seq}`);
  const fresh = async (): Promise<Lab> => {
    // Always down first: `docker/lab up` would reuse a healthy lab of the same name
    // (one left by an interrupted invocation), and a first deploy needs clean hosts.
    if (!labDown(root, lab?.dockerName ?? dockerName(), dir, false)) seq++;
    const t0 = Date.now();
    lab = await labUp(root, dockerName(), dir, clusterName, n);
    inventory = (await writeInventory(dir)).path;
    log(`lab ${lab.dockerName}: ${lab.hosts.length} hosts up in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return lab;
  };
  let current: Cell | undefined;
  /** The cell to work on for a scenario: new, or an unfinished one of an earlier invocation; undefined when there is nothing to do. */
  const take = (scenario: Scenario): Cell | undefined => {
    const p = previous.find((c) => c.n === n && c.scenario === scenario);
    if (!SCENARIOS.includes(scenario)) {
      // Not measured now, but an earlier invocation's cell (even an unfinished one) stays in the table.
      if (p) {
        cells.push(p);
        log(`N=${n}, ${SCENARIO_TITLE[scenario]}: kept as it is (${p.runs.length} of ${2 * RUNS} runs), from ${p.at} (BENCH_RESUME=1; not in SCENARIOS)`);
      }
      return undefined;
    }
    if (p) {
      cells.push(p);
      log(`N=${n}, ${SCENARIO_TITLE[scenario]}: ${p.done ? 'kept' : `resumed (${p.runs.length} of ${2 * RUNS} runs done)`}, from ${p.at} (BENCH_RESUME=1)`);
      return p.done ? undefined : p;
    }
    const c: Cell = { n, scenario, runs: [], gate: true, gateDetail: [], version, at: new Date().toISOString(), strategy: STRATEGY, runsPerTool: RUNS, done: false };
    cells.push(c);
    return c;
  };
  const finish = (c: Cell): void => {
    c.done = true;
    save();
  };
  const recorded = (c: Cell, tool: Tool, run: number): boolean => c.runs.some((r) => r.tool === tool && r.run === run);
  const gate = (c: Cell, ok: boolean, detail: string): void => {
    if (!ok) c.gate = false;
    c.gateDetail.push(detail);
    if (!ok) log(`GATE FAILED (${SCENARIO_TITLE[c.scenario]}, N=${n}): ${detail}`);
  };
  // The converged state every converge must reach, kept across invocations (normalised:
  // comparable between labs, key pairs and passwords).
  let reference: Map<string, HostDigest> | undefined;
  if (RESUME && existsSync(refFile)) {
    reference = new Map((JSON.parse(readFileSync(refFile, 'utf8')) as HostDigest[]).map((d) => [d.host, d]));
  }
  const checkDigest = async (c: Cell, what: string, against?: Map<string, HostDigest>): Promise<Map<string, HostDigest>> => {
    if (!lab) throw new Error('no lab');
    const d = await digestLab(lab);
    const ref = against ?? reference;
    if (!ref) {
      reference = d;
      writeFileSync(refFile, JSON.stringify([...d.values()]));
      gate(c, true, `${what}: the reference digest (${d.size} hosts)`);
      return d;
    }
    const cmp = compareDigests(ref, d);
    gate(c, cmp.equal, cmp.equal ? `${what}: digests equal on all ${d.size} hosts` : `${what}: digest differs on ${cmp.differing.join(', ')}\n${cmp.excerpt}`);
    return d;
  };
  /** Converge the lab with tpa-barman, untimed, and check the digest. */
  const convergeWithOurs = async (c: Cell, what: string): Promise<void> => {
    const r = spawnSync('node', [cli, 'deploy', dir, '--skip-tags', 'first-backup'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== 0) throw new Failure(`converging the N=${n} lab failed:\n${r.stderr.slice(-2000)}`);
    await checkDigest(c, what);
  };
  const order = (run: number): Tool[] => (run % 2 === 0 ? ['ours', 'ansible'] : ['ansible', 'ours']);
  try {
    const first = take('first');
    const noop = take('noop');
    const plan = take('plan');
    if (first) {
      current = first;
      for (let run = 0; run < RUNS; run++) {
        for (const tool of order(run)) {
          if (recorded(first, tool, run)) continue;
          const l = await fresh();
          first.runs.push(await timedRun(l, inventory, n, 'first', tool, run));
          await checkDigest(first, `first deploy ${tool} run ${run + 1}`);
          save();
        }
      }
      finish(first);
    }
    const rest = noop ?? plan;
    if (rest && !first) {
      // No first deploy in this invocation: converge a new lab (untimed) with tpa-barman.
      current = rest;
      await fresh();
      await convergeWithOurs(rest, 'lab converged (untimed) for these runs');
    }
    if (noop && lab) {
      current = noop;
      for (let run = 0; run < RUNS; run++) {
        for (const tool of order(run)) {
          if (recorded(noop, tool, run)) continue;
          noop.runs.push(await timedRun(lab, inventory, n, 'noop', tool, run));
          await checkDigest(noop, `no-op ${tool} run ${run + 1}`);
          save();
        }
      }
      finish(noop);
    }
    if (plan && lab && reference) {
      current = plan;
      if (first && !noop) {
        // Without the no-op cell in between (a resumed invocation), the last first deploy
        // may have been Ansible's on freshly created hosts, and tpa-barman's discovery cache
        // would still name the previous hosts' keys: every dry run would pay a second exec.
        // An uninterrupted invocation has run tpa-barman on this lab by now; do so, untimed.
        await convergeWithOurs(plan, 'lab converged by tpa-barman (untimed) before the dry runs');
      }
      const expect = new Map(lab.hosts.map((h) => [h.instance, expectedDrift(h)]));
      await execAll(lab.hosts, driftScript);
      const drifted = await digestLab(lab);
      const moved = compareDigests(reference, drifted).differing.length;
      gate(plan, moved === lab.hosts.length, `drift script changed the digest of ${moved} of ${lab.hosts.length} hosts`);
      for (let run = 0; run < RUNS; run++) {
        for (const tool of order(run)) {
          if (recorded(plan, tool, run)) continue;
          plan.runs.push(await timedRun(lab, inventory, n, 'plan', tool, run, expect));
          await checkDigest(plan, `dry run ${tool} run ${run + 1} changed nothing`, drifted);
          save();
        }
      }
      gate(plan, true, `both tools reported exactly the 3 drifts on each of the ${lab.hosts.length} hosts in every run`);
      // Both tools repair the drift to the same converged state.
      for (const tool of ['ours', 'ansible'] as Tool[]) {
        const r = await runTool(lab, inventory, lab.hosts.length, tool, 'apply');
        if (r.m.exitCode !== 0) throw new Failure(`repair by ${tool} failed (exit ${r.m.exitCode})\n${(r.m.stdout + r.m.stderr).slice(-3000)}`);
        await checkDigest(plan, `repair by ${tool} after the drift`);
        if (tool === 'ours') await execAll(lab.hosts, driftScript);
      }
      finish(plan);
    }
  } catch (err) {
    const c = current ?? cells.filter((x) => x.n === n).pop();
    if (c) {
      c.gate = false;
      c.gateDetail.push(`ERROR: ${(err as Error).message}`);
    }
    log(`N=${n}: ${(err as Error).message}`);
    save();
  } finally {
    if (lab && !KEEP) {
      labDown(root, lab.dockerName, dir, true);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ------------------------------------------------------------------ table ----

const s = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const mib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

function table(cells: Cell[]): string[] {
  const rows = [
    '| PostgreSQL + Barman hosts | scenario | tool | median | min | max | Ansible / ours (median) | controller CPU (median) | CPU per host | target CPU per host (median) | peak RSS: largest process / whole tree (median) | connections per host: mean (max) | exec channels per host: mean (max) | load1 before runs (min–max) | busy before runs (max) | digest gate |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of cells) {
    const ours = c.runs.filter((r) => r.tool === 'ours');
    const ans = c.runs.filter((r) => r.tool === 'ansible');
    const ratio = ours.length && ans.length ? `**${(median(ans.map((r) => r.m.wallMs)) / median(ours.map((r) => r.m.wallMs))).toFixed(1)}×**` : '–';
    for (const [tool, rs] of [
      ['tpa-barman', ours],
      ['Ansible', ans],
    ] as Array<[string, RunRecord[]]>) {
      if (rs.length === 0) continue;
      const walls = rs.map((r) => r.m.wallMs);
      const hosts = rs[0]?.hosts ?? 1;
      const cpu = median(rs.map((r) => r.m.cpuMs));
      const loads = rs.map((r) => r.load.load1);
      const tcpu = rs.filter((r) => r.targetCpuMs !== undefined).map((r) => (r.targetCpuMs ?? 0) / r.hosts);
      const target = tcpu.length ? `${median(tcpu).toFixed(0)} ms` : 'n/a';
      rows.push(
        `| ${c.n} + ${barmanCount(c.n)} | ${SCENARIO_TITLE[c.scenario]} | ${tool} | ${s(median(walls))} | ${s(Math.min(...walls))} | ${s(Math.max(...walls))} | ${tool === 'tpa-barman' ? ratio : ''} | ${s(cpu)} | ${(cpu / hosts).toFixed(0)} ms | ${target} | ${mib(median(rs.map((r) => r.m.maxRssKb)))} / ${mib(median(rs.map((r) => r.m.peakTreeRssKb)))} | ${num(median(rs.map((r) => r.connMean)))} (${Math.max(...rs.map((r) => r.connMax))}) | ${num(median(rs.map((r) => r.sessMean)))} (${Math.max(...rs.map((r) => r.sessMax))}) | ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} | ${Math.max(...rs.map((r) => r.load.busyPct)).toFixed(0)} % | ${c.gate ? 'pass' : '**FAIL**'} (${rs.length} runs) |`,
      );
    }
    if (c.runs.length === 0) rows.push(`| ${c.n} + ${barmanCount(c.n)} | ${SCENARIO_TITLE[c.scenario]} | – | | | | | | | | | | | | | **FAIL** (no runs) |`);
  }
  return rows;
}

function targets(cells: Cell[]): string[] {
  const med = (n: number, sc: Scenario, tool: Tool, f: (r: RunRecord) => number): number | undefined => {
    const rs = cells.find((c) => c.n === n && c.scenario === sc)?.runs.filter((r) => r.tool === tool) ?? [];
    return rs.length ? median(rs.map(f)) : undefined;
  };
  const wall = (r: RunRecord): number => r.m.wallMs;
  const ratio = (n: number, sc: Scenario): number | undefined => {
    const a = med(n, sc, 'ansible', wall);
    const o = med(n, sc, 'ours', wall);
    return a !== undefined && o !== undefined ? a / o : undefined;
  };
  const verdict = (v: number | undefined, ok: (x: number) => boolean, show: (x: number) => string): string =>
    v === undefined ? 'not measured' : `${show(v)}: ${ok(v) ? 'met' : '**missed**'}`;
  const out = [
    `- no-op redeploy ≥ 25× faster than Ansible at 8 hosts — ${verdict(ratio(8, 'noop'), (x) => x >= 25, (x) => `${x.toFixed(1)}×`)}`,
    `- no-op redeploy ≥ 30× faster than Ansible at 32 hosts — ${verdict(ratio(32, 'noop'), (x) => x >= 30, (x) => `${x.toFixed(1)}×`)}`,
    `- our no-op at 32 hosts under 3 s — ${verdict(med(32, 'noop', 'ours', wall), (x) => x < 3000, s)}`,
  ];
  for (const n of SIZES) {
    const p = med(n, 'plan', 'ours', wall);
    const o = med(n, 'noop', 'ours', wall);
    out.push(`- plan within 10 % of no-op, N=${n} — ${verdict(p !== undefined && o !== undefined ? (p / o - 1) * 100 : undefined, (x) => x <= 10, (x) => `plan ${p === undefined ? '' : s(p)} vs no-op ${o === undefined ? '' : s(o)} (${x >= 0 ? '+' : ''}${x.toFixed(0)} %)`)}`);
  }
  out.push(`- first deploy ≥ 10× faster than Ansible at 8 hosts — ${verdict(ratio(8, 'first'), (x) => x >= 10, (x) => `${x.toFixed(1)}×`)}`);
  for (const c of cells.filter((x) => x.runs.some((r) => r.tool === 'ours'))) {
    const rs = c.runs.filter((r) => r.tool === 'ours');
    const per = median(rs.map((r) => r.m.cpuMs)) / (rs[0]?.hosts ?? 1);
    out.push(`- ≤ 25 ms of controller CPU per host, ${SCENARIO_TITLE[c.scenario]}, N=${c.n} — ${verdict(per, (x) => x <= 25, (x) => `${x.toFixed(0)} ms`)}`);
  }
  return out;
}

function report(cells: Cell[], v: Record<string, string>, started: number): string {
  const runs: string[] = [];
  for (const c of cells) {
    for (const r of c.runs) {
      runs.push(
        `| ${r.n} | ${SCENARIO_TITLE[r.scenario]} | ${r.run + 1} | ${r.tool} | ${s(r.m.wallMs)} | ${s(r.m.cpuMs)} | ${r.targetCpuMs === undefined ? 'n/a' : s(r.targetCpuMs)} | ${mib(r.m.maxRssKb)} / ${mib(r.m.peakTreeRssKb)} | ${num(r.connMean)} (${r.connMax}) | ${num(r.sessMean)} (${r.sessMax}) | ${r.load.load1.toFixed(2)} / ${r.load.load5.toFixed(2)} | ${r.load.busyPct.toFixed(0)} % (waited ${r.load.waitedS} s) | ${r.note} |`,
      );
    }
  }
  const gates = cells.map((c) => `- ${SCENARIO_TITLE[c.scenario]}, N=${c.n}: **${c.gate ? 'pass' : 'FAIL'}**\n${c.gateDetail.map((d) => `  - ${d.replaceAll('\n', '\n    ')}`).join('\n')}`);
  return [
    `# tpa-barman vs Ansible: the Barman deploy on 1, 8 and 32 PostgreSQL hosts`,
    '',
    `Measured from ${[...cells.map((c) => c.at), new Date(started).toISOString()].sort()[0]} by \`npm run bench\` (bench/ansible-vs-ours.ts), ${RUNS} runs per tool and cell, tools alternating; ${SCENARIOS.some((sc) => sc in SCENARIO_TITLE) ? `this invocation took ${Math.round((Date.now() - started) / 60000)} min${cells.some((c) => c.at < new Date(started).toISOString()) ? ' (cells measured by an earlier, interrupted invocation were kept: BENCH_RESUME=1)' : ''}` : 'this table was rewritten from cells measured by earlier invocations (BENCH_RESUME=1, nothing measured now)'}.`,
    `Machine: ${v.cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; every host is a Docker container on the same machine (controller and targets share the 2 cores), shared with other engineers' test labs: the load before each run is recorded.`,
    `Versions: tpa-barman ${[...new Set(cells.map((c) => c.version))].join('; ') || v.ours}${new Set(cells.map((c) => c.version)).size > 1 ? ` (commits with identical ${MEASURED_PATHS.join(', ')})` : ''}, Node ${v.node}; ${v.ansible} (Python ${v.python}), community.postgresql ${v.collection}, ansible.posix and community.general from Debian's \`ansible\` package.`,
    '',
    ...table(cells),
    '',
    'Median, min and max of wall time per cell; the ratio is Ansible\'s median over ours. Controller CPU is user+sys of the whole process tree (GNU time), plus, for Ansible, its detached ssh ControlPersist masters (read from /proc before they are closed). Peak RSS: the largest single process (GNU time) and the sum over the process tree including the ssh masters (sampled every 100 ms). Target CPU is what all the containers of the lab used during the run (cgroup cpuacct), divided by the number of hosts: sshd, the remote processes of the tools, PostgreSQL backends, and whatever the cron job of Barman did meanwhile (about once a minute per Barman host), so long runs carry a little background. Connections and exec channels per host are counted for both tools the same way, from each host\'s sshd log (LogLevel VERBOSE: `Accepted publickey`, `Starting session`). "load1" is the 1-minute load average just before a run; "busy" the share of both cores in use during the 2 s before it (the bench waits up to ' +
      `${SETTLE_S} s for it to fall under ${QUIET_PCT} %).`,
    '',
    '## Targets (goals from issue #10, reported, not asserted)',
    '',
    ...targets(cells),
    '',
    '## What is compared',
    '',
    `- Hosts: N PostgreSQL 15 hosts (primaries) and ceil(N/8) Barman hosts, PostgreSQL host I backed up to Barman host ceil(I/8); images \`tpa-barman-bench-pg:15\` and \`tpa-barman-bench-plain:bookworm\` (\`docker/lab up --images bench\`): every package either deploy installs is already installed, and python3, python3-apt and python3-psycopg2 are there for Ansible. Instance names pg1 … pgN and barman1 …, so pg1 and pg10 … pg19 share a prefix at N = 32.`,
    '- tpa-barman: `node dist/src/cli.js deploy DIR --skip-tags first-backup --json` (first deploy, no-op) and `plan DIR --skip-tags first-backup --json` (dry run); default forks (all hosts, up to 32).',
    '- Ansible: `ansible-playbook -i DIR/ansible-inventory.yml -f <all hosts> bench/ansible/deploy.yml` (`--check --diff` for the dry run). The playbook does the same steps with Ansible\'s own modules and Jinja2 templates (group, user, apt, file, service, template, copy, authorized_key, lineinfile, ini_file, command/shell, community.postgresql\'s postgresql_query/user/privs/membership, handlers to reload/restart PostgreSQL); its templates render byte-identical files. The inventory is written (untimed) from tpa-barman\'s resolved model, as TPA\'s inventory would give it: the same inputs for both tools.',
    `- Ansible settings (bench/ansible/ansible.cfg): pipelining = True; ssh ControlMaster=auto, ControlPersist=60s, a fresh control directory for every run (cold), masters closed after it; forks = number of hosts; gathering = explicit and gather_facts: false; interpreter_python = /usr/bin/python3 (no discovery); strategy = ${STRATEGY} (one play configures Barman and PostgreSQL hosts, so with \`free\` they work at the same time; \`free\` was faster than \`linear\` at N=8 in a trial); host_key_checking on, against the lab\'s known hosts; default stdout callback, no extra callback plugins; Ansible\'s passwords: the plain password to postgresql_user, which keeps an existing SCRAM verifier that already verifies it (tpa-barman computes the verifier locally and never sends the password).`,
    '- Both deploys include everything but the first backups: packages present, Barman user and directories, /etc/barman.conf, server files, cron files, barman-home-ok, key pairs, authorized_keys, known_hosts, /etc/hosts, .pgpass, roles and grants, pg_hba.conf lines (reload), listen_addresses (restart), and the bring-up: activate each server, create its replication slot and start WAL streaming (`barman check`, `barman receive-wal --create-slot`, `barman cron`, wait until receive-wal runs). The bring-up is Barman\'s own work and takes seconds per server on either side; it dominates the first deploy at 8 and 32 hosts (8 servers per Barman host).',
    '- First deploy: the lab is re-created (untimed) before every run of either tool; keys and passwords are kept in the cluster directory, so both tools deploy the same ones.',
    '- Plan after drift: per Barman host `chmod 0600 ~barman/.ssh/id_ed25519.pub`, `minimum_redundancy = 1` in /etc/barman.conf, last line of ~barman/.ssh/known_hosts removed; per PostgreSQL host `chmod 0600 ~postgres/.ssh/known_hosts`, a changed comment in ~postgres/.ssh/id_ed25519.pub, last line of ~postgres/.ssh/authorized_keys removed. Each run must report exactly these three per host (tpa-barman: the changed resources of its JSON plan; Ansible: the tasks reported `changed`), and leave the digest as it was. Afterwards each tool repairs the drift and must reach the converged digest.',
    '- Digest (bench/avo-digest.ts, read over `docker exec`): managed files and directories with owner, group, mode, size and content; owner/group/mode of every file under /etc; barman and postgres users and groups; dpkg state; cron running; on PostgreSQL hosts roles with attributes and password verifier (normalised to "verifies <password>": the salt is random), memberships with grantor, function and database ACLs, replication slots, settings in effect. IP addresses, host key blobs and passwords are normalised. Excluded because they legitimately differ from run to run: Barman\'s runtime files under /var/lib/barman (server directories, locks), log contents, timestamps, each tool\'s bookkeeping (/var/lock/tpa-barman.*, ~root/.ansible).',
    '',
    '## Notes',
    '',
    '- Instance names: a first trial at N = 32 found that tpa-barman matched its /etc/hosts lines by substring, so the line of pg10 (`… host=pg10`) was taken for the line of pg1 and the file never converged. Since then a `contains` match must be bounded by whitespace or the line end (src/engine/resources/lines.ts, containsWords), and the bench uses pg1 … pg32 on purpose.',
    '- Everything runs on one 2-core machine: the targets\' CPU (the "target CPU" column) competes with the controller\'s, so wall times at 32 hosts are bounded below by the sum of both divided by 2 cores. On separate machines the targets would work in parallel.',
    '- Ansible manages line-by-line files (/etc/hosts, .pgpass, known_hosts, pg_hba.conf) with one lineinfile run per line, as TPA does: /etc/hosts alone costs (hosts)² module runs over the cluster.',
    '',
    '## Correctness gate',
    '',
    ...gates,
    '',
    '## Every run',
    '',
    '| N | scenario | run | tool | wall | CPU | target CPU (all hosts) | RSS largest / tree | connections/host | sessions/host | load1 / load5 before | busy before | note |',
    '|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...runs,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  ensurePrerequisites();
  const v = versions();
  log(`${v.ansible}; community.postgresql ${v.collection}; RUNS=${RUNS} SIZES=${SIZES.join(',')} SCENARIOS=${SCENARIOS.join(',')} strategy=${STRATEGY}`);
  const cells: Cell[] = [];
  const out = join(root, 'bench', 'results', 'ansible-vs-tpa-barman.md');
  mkdirSync(dirname(out), { recursive: true });
  mkdirSync(dirname(STATE), { recursive: true });
  const previous: Cell[] = [];
  if (RESUME && existsSync(STATE)) {
    for (const line of readFileSync(STATE, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as Cell;
      // Only cells measured the same way: the same measured code, strategy and number of runs.
      if (sameMeasuredCode(c.version, v.ours) && c.strategy === STRATEGY && c.runsPerTool === RUNS) previous.push(c);
    }
  }
  const save = (): void => {
    writeFileSync(STATE, cells.map((c) => JSON.stringify(c)).join('\n') + '\n');
    writeFileSync(out, report(cells, v, started));
  };
  for (const n of SIZES) await benchSize(n, cells, previous, v.ours, save);
  const text = report(cells, v, started);
  writeFileSync(out, text);
  process.stdout.write(`${text}\n`);
  if (cells.some((c) => !c.gate)) process.exitCode = 1;
}

await main();
