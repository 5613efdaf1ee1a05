// Human output: a line per task and host as work happens, then an Ansible-style recap.
// Text goes to stderr so that --json documents on stdout stay clean for pipes.
import type { ResourceResult } from '../engine/play.js';
import type { HostReport, RunEvents, RunResult } from '../engine/runner.js';
import type { Change } from '../engine/resource.js';
import type { Colors } from './style.js';

export interface ReporterOptions {
  out: NodeJS.WritableStream;
  colors: Colors;
  verbosity: number;
  mode: 'apply' | 'plan';
}

export function createEvents(o: ReporterOptions): RunEvents {
  const c = o.colors;
  const w = (s: string): void => {
    o.out.write(`${s}\n`);
  };
  return {
    connected: (host, ms) => {
      if (o.verbosity >= 1) w(c.dim(`${host}: connected in ${ms} ms`));
    },
    phase: (_i, name) => {
      if (o.mode === 'apply') w(c.bold(`\nPHASE [${name}]`));
    },
    started: (host, _phase, items) => {
      const slow = items.filter((x) => x.change.slow);
      if (o.mode === 'apply' && slow.length > 0) w(c.dim(`${host}: running ${items.length} change(s), including: ${slow.map((x) => x.change.summary).join('; ')} …`));
    },
    result: (r) => {
      if (o.mode === 'plan') return;
      if (r.status === 'ok' || r.status === 'skipped') {
        if (o.verbosity >= 2) w(`${statusWord(r.status, c)} [${r.host}] ${r.id}`);
        return;
      }
      const secs = r.durationMs && r.durationMs > 2000 ? c.dim(` (${(r.durationMs / 1000).toFixed(1)} s)`) : '';
      w(`${statusWord(r.status, c)} [${r.host}] ${r.change?.summary ?? r.id}${secs}`);
      if (r.error) w(indent(c.red(r.error)));
    },
    hostError: (host, message, hint) => {
      w(`${c.red('UNREACHABLE or FAILED')} [${host}] ${message}`);
      if (hint) w(indent(c.yellow(`hint: ${hint}`)));
    },
  };
}

function statusWord(s: ResourceResult['status'], c: Colors): string {
  switch (s) {
    case 'ok':
      return c.green('ok:     ');
    case 'changed':
      return c.yellow('changed:');
    case 'failed':
      return c.red('failed: ');
    default:
      return c.cyan('skipped:');
  }
}

function indent(s: string, n = 4): string {
  return s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

export interface RecapLine {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

export function recap(result: RunResult): RecapLine[] {
  return result.hosts.map((h) => {
    const mine = result.results.filter((r) => r.host === h.host);
    const count = (s: ResourceResult['status']): number => mine.filter((r) => r.status === s).length;
    return {
      host: h.host,
      ok: count('ok'),
      changed: count('changed'),
      unreachable: h.reachable ? 0 : 1,
      failed: count('failed') + (result.errors.some((e) => e.host === h.host) && h.reachable ? 1 : 0),
      skipped: count('skipped'),
    };
  });
}

export function printNotes(result: RunResult, o: ReporterOptions): void {
  for (const n of result.notes) o.out.write(`${o.colors.cyan('NOTE')} [${n.host}] ${n.text}\n`);
}

export function printRecap(result: RunResult, o: ReporterOptions, elapsedMs: number): void {
  const c = o.colors;
  printNotes(result, o);
  const width = Math.max(...result.hosts.map((h) => h.host.length), 4);
  o.out.write(c.bold('\nPLAY RECAP\n'));
  for (const r of recap(result)) {
    const col = r.failed || r.unreachable ? c.red : r.changed ? c.yellow : c.green;
    o.out.write(
      `${col(r.host.padEnd(width))} : ok=${r.ok}  changed=${r.changed}  unreachable=${r.unreachable}  failed=${r.failed}  skipped=${r.skipped}\n`,
    );
  }
  if (o.verbosity >= 1) printCounters(result.hosts, o);
  o.out.write(c.dim(`\nTotal time: ${(elapsedMs / 1000).toFixed(2)} s\n`));
}

function printCounters(hosts: HostReport[], o: ReporterOptions): void {
  for (const h of hosts) {
    const k = h.counters;
    const t = Object.entries(h.timings)
      .map(([n, ms]) => `${n}=${ms}ms`)
      .join(' ');
    o.out.write(o.colors.dim(`${h.host}: connections=${k?.connections ?? 0} channels=${k?.channels ?? 0} execs=${h.execs} connect=${k?.connectMs ?? 0}ms ${t}\n`));
  }
}

/** The plan, grouped by host then resource, with diffs; secrets already masked by resources. */
export function printPlan(result: RunResult, o: ReporterOptions): { changes: number; hosts: number; restarts: number } {
  const c = o.colors;
  const changed = result.results.filter((r) => r.status === 'changed' && r.change);
  const byHost = new Map<string, ResourceResult[]>();
  for (const r of changed) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  for (const [host, rs] of byHost) {
    o.out.write(c.bold(`\n${host}\n`));
    for (const r of rs) {
      const ch = r.change as Change;
      const kaa = ch.knownAfterApply ? c.magenta(' (known after apply)') : '';
      o.out.write(`  ${c.yellow(symbol(ch))} ${ch.summary}${kaa}\n`);
      for (const d of ch.details ?? []) o.out.write(`      ${d}\n`);
      if (ch.diff) o.out.write(`${indent(colorDiff(ch.diff, c), 6)}\n`);
    }
  }
  if (result.notes.length) o.out.write('\n');
  printNotes(result, o);
  const restarts = changed.filter((r) => r.change?.action === 'restart').length;
  const hosts = byHost.size;
  if (changed.length === 0) {
    o.out.write(c.green('\nNo changes. The hosts match the configuration.\n'));
  } else {
    o.out.write(c.bold(`\nPlan: ${changed.length} change${changed.length === 1 ? '' : 's'} on ${hosts} host${hosts === 1 ? '' : 's'}${restarts ? `; ${restarts} PostgreSQL restart${restarts === 1 ? '' : 's'}` : ''}\n`));
  }
  return { changes: changed.length, hosts, restarts };
}

function symbol(ch: Change): string {
  switch (ch.action) {
    case 'create':
    case 'install':
    case 'grant':
      return '+';
    case 'update':
    case 'alter':
      return '~';
    default:
      return '>';
  }
}

function colorDiff(diff: string, c: Colors): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? c.green(l) : l.startsWith('-') && !l.startsWith('---') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
    .join('\n');
}
