// Measuring one tool run for bench/ansible-vs-ours.ts: wall time, controller CPU
// (user+sys of the whole process tree, from GNU time's rusage of its children), peak
// RSS (largest single process, from GNU time; and the sum over the tree, sampled from
// /proc), and the machine's load before the run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100;
const PAGE_KB = 4;

export interface Measured {
  wallMs: number;
  /** user+sys of every waited-for descendant, plus detached helpers (ssh masters). */
  cpuMs: number;
  /** Largest single process (GNU time %M). */
  maxRssKb: number;
  /** Sum of RSS over the process tree and its detached helpers, sampled every 100 ms. */
  peakTreeRssKb: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /**
   * Processes that detach from the tree but belong to the run (Ansible's ssh
   * ControlPersist masters): recognised by this text in their command line. Their RSS
   * counts while sampling; at the end their CPU is added, then they are ended by pid.
   */
  detachedMarker?: string;
}

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number;
  rssKb: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // fields after comm: state(0) ppid(1) ... utime(11) stime(12) ... rss(21)
    return { pid, ppid: Number(f[1]), comm, cpuTicks: Number(f[11]) + Number(f[12]), rssKb: Number(f[21]) * PAGE_KB };
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

const cmdlineCache = new Map<number, string>();
function cmdline(pid: number): string {
  const cached = cmdlineCache.get(pid);
  if (cached !== undefined) return cached;
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    text = '';
  }
  cmdlineCache.set(pid, text);
  return text;
}

function detachedPids(stats: ProcStat[], marker: string): ProcStat[] {
  return stats.filter((s) => s.comm === 'ssh' && cmdline(s.pid).includes(marker));
}

function treeRss(stats: ProcStat[], root: number, marker?: string): number {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let total = 0;
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    for (const c of children.get(pid) ?? []) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      total += c.rssKb;
      stack.push(c.pid);
    }
  }
  if (marker) for (const s of detachedPids(stats, marker)) if (!seen.has(s.pid)) total += s.rssKb;
  return total;
}

/** Run `cmd` under GNU time; sample the tree's memory; return the measurements. */
export async function measure(cmd: string[], opts: MeasureOptions): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'avo-time-'));
  const timeFile = join(dir, 'time');
  cmdlineCache.clear();
  const t0 = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...cmd], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  let peak = 0;
  const sample = (): void => {
    if (child.pid === undefined) return;
    peak = Math.max(peak, treeRss(allStats(), child.pid, opts.detachedMarker));
  };
  const timer = setInterval(sample, 100);
  const killer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs);
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 255)));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(timer);
  clearTimeout(killer);
  let extraCpuTicks = 0;
  if (opts.detachedMarker) {
    for (const s of detachedPids(allStats(), opts.detachedMarker)) {
      extraCpuTicks += s.cpuTicks;
      try {
        process.kill(s.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  const fields = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ') ?? [];
  rmSync(dir, { recursive: true, force: true });
  const [, user = '0', sys = '0', maxRss = '0'] = fields;
  return {
    wallMs,
    cpuMs: (Number(user) + Number(sys)) * 1000 + (extraCpuTicks * 1000) / TICKS_PER_SECOND,
    maxRssKb: Number(maxRss),
    peakTreeRssKb: peak,
    exitCode,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

export interface LoadRecord {
  load1: number;
  load5: number;
  /** Share of both cores busy over the 2 s before the run (from /proc/stat). */
  busyPct: number;
  /** Seconds waited for the machine to calm down before this run. */
  waitedS: number;
}

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

async function busyOver(ms: number): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? (100 * (total - (b.idle - a.idle))) / total : 0;
}

/**
 * Wait (at most maxWaitS) until the machine was less than `quietPct` busy over 2 s,
 * then record the load. The 1-minute load average lags; the busy share does not.
 */
export async function settle(quietPct: number, maxWaitS: number): Promise<LoadRecord> {
  const start = Date.now();
  let busy = await busyOver(2000);
  while (busy > quietPct && Date.now() - start < maxWaitS * 1000) busy = await busyOver(2000);
  const [load1 = 0, load5 = 0] = loadavg();
  return { load1, load5, busyPct: busy, waitedS: Math.round((Date.now() - start) / 1000) };
}
