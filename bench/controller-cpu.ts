// Benchmark: tpa-barman's own controller CPU per host on the Barman deploy (issue #10's
// "≤ 25 ms of controller CPU per host"), without Ansible, so it is quick to repeat after
// an engine change. Same labs, images and command as bench/ansible-vs-ours.ts: N
// PostgreSQL hosts plus ceil(N/8) Barman hosts, converged once (untimed), one warm-up
// re-deploy (untimed), then RUNS no-op re-deploys and RUNS plans of the converged lab.
//
// Usage: node dist/bench/controller-cpu.js
// Environment: RUNS (default 5), SIZES (default 1,8,32), BENCH_QUIET_PCT (default 40),
// BENCH_SETTLE_S (default 30).
// Output: a markdown table on stdout, also written to bench/results/controller-cpu.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barmanCount, labDown, labUp } from './avo-lab.js';
import { measure, settle, type Measured } from './avo-measure.js';
import { median } from './stats.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const RUNS = Math.max(1, Number(process.env.RUNS ?? 5));
const SIZES = (process.env.SIZES ?? '1,8,32').split(',').map(Number).filter((n) => n > 0);
const QUIET_PCT = Number(process.env.BENCH_QUIET_PCT ?? 40);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 30);

type Mode = 'deploy' | 'plan';

interface Row {
  n: number;
  hosts: number;
  mode: Mode;
  runs: Measured[];
}

const log = (s: string): void => void process.stderr.write(`controller-cpu: ${s}\n`);

async function run(dir: string, mode: Mode): Promise<Measured> {
  const m = await measure(['node', cli, mode, dir, '--skip-tags', 'first-backup', '--json'], { timeoutMs: 900_000, env: { ...process.env, NO_COLOR: '1' } });
  // A no-op deploy exits 0; a plan of a converged lab exits 0 with no changes.
  if (m.exitCode !== 0) throw new Error(`${mode} of ${dir} exited ${m.exitCode}:\n${(m.stdout + m.stderr).slice(-2000)}`);
  return m;
}

async function benchSize(n: number): Promise<Row[]> {
  const name = `bench-cpu-${n}`;
  const dir = join(root, 'labs', name);
  const lab = await labUp(root, name, dir, `cpu${n}`, n);
  try {
    log(`N=${n}: ${lab.hosts.length} hosts up; converging (untimed)`);
    await run(dir, 'deploy');
    await run(dir, 'deploy'); // warm-up: caches in the cluster directory are written by now
    const rows: Row[] = (['deploy', 'plan'] as Mode[]).map((mode) => ({ n, hosts: lab.hosts.length, mode, runs: [] }));
    for (let i = 0; i < RUNS; i++) {
      for (const row of rows) {
        await settle(QUIET_PCT, SETTLE_S);
        const m = await run(dir, row.mode);
        row.runs.push(m);
        log(`N=${n} ${row.mode} run ${i + 1}: ${(m.wallMs / 1000).toFixed(2)} s, CPU ${m.cpuMs} ms (${(m.cpuMs / row.hosts).toFixed(1)} ms/host)`);
      }
    }
    return rows;
  } finally {
    labDown(root, name, dir, true);
  }
}

function report(rows: Row[], started: Date): string {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const lines = [
    '# tpa-barman: controller CPU per host on the Barman deploy',
    '',
    `Measured ${started.toISOString()} by \`node dist/bench/controller-cpu.js\` at commit ${commit}, Node ${process.version}, on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB (lab containers on the same cores).`,
    `${RUNS} runs each, no-op re-deploy and plan alternating, on a converged lab (\`deploy|plan DIR --skip-tags first-backup --json\`, as in ansible-vs-tpa-barman.md). CPU is user+sys of the process (GNU time); target: ≤ 25 ms per host.`,
    '',
    '| PostgreSQL + Barman hosts | command | wall median (min–max) | CPU median (min–max) | CPU per host (median) | peak RSS (median) |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const wall = r.runs.map((m) => m.wallMs / 1000);
    const cpu = r.runs.map((m) => m.cpuMs / 1000);
    const what = r.mode === 'deploy' ? 'no-op re-deploy' : 'plan (no changes)';
    lines.push(
      `| ${r.n} + ${barmanCount(r.n)} | ${what} | ${median(wall).toFixed(2)} s (${Math.min(...wall).toFixed(2)}–${Math.max(...wall).toFixed(2)}) | ${median(cpu).toFixed(2)} s (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}) | ${((median(cpu) * 1000) / r.hosts).toFixed(1)} ms | ${Math.round(median(r.runs.map((m) => m.maxRssKb)) / 1024)} MiB |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const started = new Date();
const rows: Row[] = [];
for (const n of SIZES) rows.push(...(await benchSize(n)));
const text = report(rows, started);
const out = join(root, 'bench', 'results', 'controller-cpu.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
process.stdout.write(text);
