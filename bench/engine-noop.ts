// Benchmark: a no-op run of the 30-resource play on 1, 8 and 32 hosts (whole-process
// wall time, median/min/max of RUNS runs), on real lab containers.
// Usage: node dist/bench/engine-noop.js [N ...]   (default: 1 8 32; RUNS=5)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ns = sizes.length ? sizes : [1, 8, 32];
const runs = Number(process.env.RUNS ?? 5);

interface PlayOut {
  exit: number;
  changed: number;
  failed: number;
  maxConnections: number;
  maxExecs: number;
  maxChannels: number;
  cpuMs: number;
}

function play(dir: string): { ms: number; out: PlayOut } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('node', [join(root, 'dist', 'bench', 'engine-play.js'), dir], { encoding: 'utf8', timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as PlayOut;
  return { ms, out };
}

const rows: string[] = [];
for (const n of ns) {
  const name = `bench-engine-${n}`;
  const dir = join(root, 'labs', name);
  execFileSync('bash', [join(root, 'docker', 'lab'), 'up', '--name', name, '--postgres', String(n), '--barman', '0', '--dir', dir], { stdio: 'inherit' });
  try {
    const first = play(dir);
    if (first.out.exit !== 0) throw new Error(`first converge failed on N=${n}: ${JSON.stringify(first.out)}`);
    const times: number[] = [];
    let last: PlayOut = first.out;
    for (let i = 0; i < runs; i++) {
      const load = loadavg()[0]?.toFixed(2);
      const r = play(dir);
      if (r.out.exit !== 0 || r.out.changed !== 0) throw new Error(`no-op run changed something on N=${n}: ${JSON.stringify(r.out)}`);
      process.stderr.write(`N=${n} run ${i + 1}: ${r.ms.toFixed(0)} ms (load ${load})\n`);
      times.push(r.ms);
      last = r.out;
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)] ?? 0;
    rows.push(
      `| ${n} | ${(med / 1000).toFixed(2)} s | ${((times[0] ?? 0) / 1000).toFixed(2)} s | ${((times[times.length - 1] ?? 0) / 1000).toFixed(2)} s | ${last.maxConnections} | ${last.maxExecs} | ${last.maxChannels} | ${(last.cpuMs / n).toFixed(1)} ms |`,
    );
  } finally {
    execFileSync('bash', [join(root, 'docker', 'lab'), 'down', '--name', name, '--purge', '--dir', dir], { stdio: 'inherit' });
  }
}
const table = [
  `No-op run of a 30-resource play (whole process, ${runs} runs), ${new Date().toISOString()}, ${readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU'}, 2 cores; targets on the same machine`,
  '',
  '| hosts | median | min | max | connections/host | execs/host | channels/host | controller CPU/host |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
].join('\n');
process.stdout.write(`${table}\n`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'engine-noop.md'), `${table}\n`);
