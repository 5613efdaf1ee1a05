// Benchmark: tpa-barman's Barman deploy on each OS family of the lab, Debian 12
// (PostgreSQL 15, Barman 3.4) beside Debian 13 (PostgreSQL 17, Barman 3.13), with the
// same labs and command as bench/ansible-vs-ours.ts (bench images: packages installed,
// so a first deploy measures configuration; `deploy --skip-tags first-backup --json`).
//   first  first deploy from clean hosts (lab re-created before every run, untimed)
//   noop   re-deploy of the converged lab (after one untimed warm-up re-deploy)
// Every run must exit 0; a no-op must change nothing with 1 connection and 1 command
// per host.
//
// Usage: node dist/bench/os-families.js
// Environment: RUNS (default 3), SIZES (default 1,8), OSES (default bookworm,trixie),
// BENCH_QUIET_PCT (default 40), BENCH_SETTLE_S (default 30).
// Output: a markdown table on stdout, also written to bench/results/os-families.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OS_POSTGRES_MAJOR, barmanCount, labDown, labUp, type LabOs } from './avo-lab.js';
import { measure, settle, type Measured } from './avo-measure.js';
import { median } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const RUNS = Math.max(1, Number(process.env.RUNS ?? 3));
const SIZES = (process.env.SIZES ?? '1,8').split(',').map(Number).filter((n) => n > 0);
const OSES = (process.env.OSES ?? 'bookworm,trixie').split(',').map((s) => s.trim()) as LabOs[];
const QUIET_PCT = Number(process.env.BENCH_QUIET_PCT ?? 40);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 30);
const DEBIAN: Readonly<Record<LabOs, string>> = { bookworm: 'Debian 12', trixie: 'Debian 13' };

type Scenario = 'first' | 'noop';

interface Cell {
  os: LabOs;
  n: number;
  scenario: Scenario;
  runs: Measured[];
}

interface DeployDoc {
  recap: Array<{ host: string; changed: number; failed: number; unreachable: number }>;
  hosts: Array<{ host: string; connections: number; execs: number }>;
}

const log = (s: string): void => void process.stderr.write(`os-families: ${s}\n`);

for (const os of OSES) if (!(os in OS_POSTGRES_MAJOR)) throw new Error(`OSES: unknown OS ${os}`);

async function deploy(dir: string, what: string, noop: boolean): Promise<Measured> {
  const m = await measure(['node', cli, 'deploy', dir, '--skip-tags', 'first-backup', '--json'], { timeoutMs: 1_800_000, env: { ...process.env, NO_COLOR: '1' } });
  if (m.exitCode !== 0) throw new Error(`${what}: deploy exited ${m.exitCode}:\n${m.stderr.trim().split('\n').slice(-25).join('\n')}`);
  if (noop) {
    const doc = JSON.parse(m.stdout) as DeployDoc;
    const changed = doc.recap.filter((r) => r.changed > 0).map((r) => r.host);
    if (changed.length) throw new Error(`${what}: a no-op changed something on ${changed.join(', ')}`);
    const extra = doc.hosts.filter((h) => h.connections !== 1 || h.execs !== 1).map((h) => `${h.host} ${h.connections}/${h.execs}`);
    if (extra.length) throw new Error(`${what}: more than 1 connection / 1 command: ${extra.join(', ')}`);
  }
  return { ...m, stdout: '', stderr: '' };
}

async function benchCell(os: LabOs, n: number): Promise<Cell[]> {
  const name = `bench-os-${os}-${n}`;
  const dir = join(root, 'labs', name);
  const first: Cell = { os, n, scenario: 'first', runs: [] };
  const noop: Cell = { os, n, scenario: 'noop', runs: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      labDown(root, name, dir, true);
      await labUp(root, name, dir, `os${n}`, n, os);
      await settle(QUIET_PCT, SETTLE_S);
      const m = await deploy(dir, `${os} N=${n} first deploy ${i + 1}`, false);
      first.runs.push(m);
      log(`${os} N=${n} first deploy ${i + 1}: ${(m.wallMs / 1000).toFixed(2)} s`);
    }
    await deploy(dir, `${os} N=${n} warm-up`, true);
    for (let i = 0; i < RUNS; i++) {
      await settle(QUIET_PCT, SETTLE_S);
      const m = await deploy(dir, `${os} N=${n} no-op ${i + 1}`, true);
      noop.runs.push(m);
      log(`${os} N=${n} no-op ${i + 1}: ${(m.wallMs / 1000).toFixed(2)} s`);
    }
  } finally {
    labDown(root, name, dir, true);
  }
  return [first, noop];
}

function cellText(c: Cell | undefined): string {
  if (!c || c.runs.length === 0) return '–';
  const wall = c.runs.map((m) => m.wallMs / 1000);
  return `${median(wall).toFixed(2)} s (${Math.min(...wall).toFixed(2)}–${Math.max(...wall).toFixed(2)})`;
}

function report(cells: Cell[], started: Date): string {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const head = OSES.map((os) => `${DEBIAN[os]} (PostgreSQL ${OS_POSTGRES_MAJOR[os]})`);
  const lines = [
    '# tpa-barman: the Barman deploy on each OS family of the lab',
    '',
    `Measured ${started.toISOString()} by \`node dist/bench/os-families.js\` at commit ${commit}, Node ${process.version}, on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB (lab containers on the same cores).`,
    `Median (min–max) wall time of ${RUNS} runs of \`deploy DIR --skip-tags first-backup --json\` on bench images (every package installed), N PostgreSQL hosts plus ceil(N/8) Barman hosts; a no-op changed nothing with 1 connection and 1 command per host.`,
    '',
    `| hosts (PG + Barman) | scenario | ${head.join(' | ')} |`,
    `|---|---|${OSES.map(() => '---:').join('|')}|`,
  ];
  for (const n of SIZES) {
    for (const scenario of ['first', 'noop'] as Scenario[]) {
      const row = OSES.map((os) => cellText(cells.find((c) => c.os === os && c.n === n && c.scenario === scenario)));
      lines.push(`| ${n} + ${barmanCount(n)} | ${scenario === 'first' ? 'first deploy' : 'no-op redeploy'} | ${row.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const started = new Date();
const cells: Cell[] = [];
for (const n of SIZES) for (const os of OSES) cells.push(...(await benchCell(os, n)));
const text = report(cells, started);
const out = join(root, 'bench', 'results', 'os-families.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
process.stdout.write(text);
