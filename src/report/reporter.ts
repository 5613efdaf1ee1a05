// Human output: a line per task and host as work happens, then an Ansible-style recap.
// Text goes to stderr so that --json documents on stdout stay clean for pipes.
import type { ResourceResult } from '../engine/play.js';
import type { HostReport, RunEvents, RunResult } from '../engine/runner.js';
import type { Change } from '../engine/resource.js';
import { formatBytes } from './format.js';
import { Progress } from './progress.js';
import type { Colors } from './style.js';

export interface ReporterOptions {
  out: NodeJS.WritableStream;
  colors: Colors;
  verbosity: number;
  mode: 'apply' | 'plan';
  /** --diff: show each changed file's diff as it is applied (a plan always shows them). */
  diff?: boolean;
  /** Redraw a progress line in place; default: whether `out` is a terminal. */
  tty?: boolean;
}

function isTty(s: NodeJS.WritableStream): boolean {
  return 'isTTY' in s && Boolean((s as NodeJS.WriteStream).isTTY);
}

/**
 * Events of a run as they happen: changes and failures always; `-v` connections and
 * counters; `-vv` also the ok/skipped line of every task; `-vvv` also every remote script
 * (size, exit code, time) and its stderr. Long steps show their elapsed time (progress.ts).
 */
export function createEvents(o: ReporterOptions): RunEvents {
  const c = o.colors;
  const tty = o.tty ?? isTty(o.out);
  const progress = new Progress({ out: o.out, tty, columns: (o.out as NodeJS.WriteStream).columns, dim: c.dim });
  const w = (s: string): void => progress.line(s);
  return {
    connected: (host, ms) => {
      if (o.verbosity >= 1) w(c.dim(`${host}: connected in ${ms} ms`));
    },
    phase: (_i, name) => {
      progress.stopAll();
      if (o.mode === 'apply') w(c.bold(`\nPHASE [${name}]`));
    },
    started: (host, _phase, items) => {
      const slow = items.filter((x) => x.change.slow);
      if (o.mode !== 'apply' || slow.length === 0) return;
      const label = slow.map((x) => x.change.summary).join('; ');
      w(c.dim(`${host}: running ${items.length} change(s), including: ${label} …`));
      progress.start(host, label);
    },
    result: (r) => {
      progress.stop(r.host);
      if (o.mode === 'plan') return;
      if (r.status === 'ok' || r.status === 'skipped') {
        if (o.verbosity >= 2) w(`${statusWord(r.status, c)} [${r.host}] ${r.id}`);
        return;
      }
      const secs = r.durationMs && r.durationMs > 2000 ? c.dim(` (${(r.durationMs / 1000).toFixed(1)} s)`) : '';
      const why = r.status === 'deferred' && r.reason ? c.dim(` (${r.reason})`) : '';
      w(`${statusWord(r.status, c)} [${r.host}] ${r.change?.summary ?? r.id}${secs}${why}`);
      if (r.status === 'failed') for (const line of failureDetails(r, c)) w(line);
      if (r.status === 'changed' && o.diff && r.change?.diff) w(indent(colorDiff(r.change.diff, c), 6));
    },
    hostError: (host, message, hint, unreachable) => {
      progress.stop(host);
      w(`${c.red(unreachable ? 'UNREACHABLE' : 'FAILED')} [${host}] ${message}`);
      if (hint) w(indent(c.yellow(`hint: ${hint}`)));
    },
    exec: (host, x) => {
      if (o.verbosity < 3) return;
      const code = x.code === null ? 'no exit code' : `exit ${x.code}`;
      w(c.dim(`${host}: ${x.label}: script ${formatBytes(x.scriptBytes)}, ${code}, ${x.ms} ms`));
      const err = tail(x.stderr, 12);
      if (err) w(indent(c.dim(`stderr:\n${indent(err, 2)}`)));
    },
    finished: () => progress.stopAll(),
  };
}

function tail(text: string, lines: number): string {
  const t = text.trimEnd();
  return t.trim() === '' ? '' : t.split('\n').slice(-lines).join('\n');
}

/** What to try next when a step of this kind fails (generic: the engine knows kinds, not the domain). */
export function failureHint(r: ResourceResult): string {
  if (r.error?.startsWith('did not converge')) return `something on ${r.host} changes it back after we write it (another tool, or a deploy with other settings)`;
  if (r.error?.startsWith('not run:')) return 'fix the step that failed before it, then re-run';
  switch (r.kind) {
    case 'package':
      return `the package manager failed on ${r.host}: check its package sources, proxy and disk space (apt-get update there), then re-run`;
    case 'pg_role':
    case 'pg_grant':
    case 'pg_membership':
    case 'pg_setting':
      return `PostgreSQL on ${r.host} refused the change: read its message above and the server log; the transaction was rolled back`;
    case 'file':
    case 'lines':
    case 'directory':
    case 'user':
    case 'group':
      return `check the path, ownership and free space on ${r.host}`;
    default:
      return 're-run with -vvv to see each remote script and its stderr';
  }
}

/** Host, step, the command's output tail and a hint, indented under a failed line. */
function failureDetails(r: ResourceResult, c: Colors): string[] {
  const out = [indent(c.dim(`step: ${r.id} (${r.kind}) on ${r.host}`))];
  if (r.error) out.push(indent(`${c.dim('output (last lines):')}\n${indent(c.red(r.error), 2)}`));
  out.push(indent(c.yellow(`hint: ${failureHint(r)}`)));
  return out;
}

function statusWord(s: ResourceResult['status'], c: Colors): string {
  switch (s) {
    case 'ok':
      return c.green('ok:     ');
    case 'changed':
      return c.yellow('changed:');
    case 'failed':
      return c.red('failed: ');
    case 'deferred':
      return c.magenta('pending:');
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
  /** Changes left for a later run (deploy --no-restart). */
  deferred: number;
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
      deferred: count('deferred'),
    };
  });
}

export function printNotes(result: RunResult, o: ReporterOptions): void {
  for (const n of result.notes) o.out.write(`${o.colors.cyan('NOTE')} [${n.host}] ${n.text}\n`);
}

/**
 * The recap, Ansible's key=value order (people grep for `failed=0`); in a plan `changed`
 * counts what would change. `deferred=` is added only when a run deferred something.
 */
export function printRecap(result: RunResult, o: ReporterOptions, elapsedMs: number): void {
  const c = o.colors;
  if (o.mode === 'apply') printNotes(result, o); // a plan printed them with its changes
  printFailures(result, o);
  const width = Math.max(...result.hosts.map((h) => h.host.length), 4);
  const lines = recap(result);
  const anyDeferred = lines.some((r) => r.deferred > 0);
  o.out.write(c.bold(o.mode === 'plan' ? '\nPLAN RECAP\n' : '\nPLAY RECAP\n'));
  for (const r of lines) {
    const col = r.failed || r.unreachable ? c.red : r.changed || r.deferred ? c.yellow : c.green;
    o.out.write(
      `${col(r.host.padEnd(width))} : ok=${r.ok}  changed=${r.changed}  unreachable=${r.unreachable}  failed=${r.failed}  skipped=${r.skipped}${anyDeferred ? `  deferred=${r.deferred}` : ''}\n`,
    );
  }
  if (o.verbosity >= 1) printCounters(result.hosts, o);
  o.out.write(c.dim(`\nTotal time: ${(elapsedMs / 1000).toFixed(2)} s\n`));
}

/**
 * What a run left pending on purpose (RunOptions.defer, e.g. deploy --no-restart): each
 * change and why, and how to finish it.
 */
export function printDeferred(result: RunResult, o: ReporterOptions, clusterDir: string): void {
  const deferred = result.results.filter((r) => r.status === 'deferred');
  if (deferred.length === 0) return;
  const c = o.colors;
  o.out.write(c.bold(c.magenta(`\nPENDING: ${deferred.length} change${deferred.length === 1 ? '' : 's'} ${o.mode === 'plan' ? 'would be' : 'were'} left for a later deploy\n`)));
  for (const r of deferred) o.out.write(`  [${r.host}] ${r.change?.summary ?? r.id}${r.reason ? c.dim(` (${r.reason})`) : ''}\n`);
  o.out.write(`      ${c.yellow(`hint: \`tpa-barman deploy ${clusterDir}\` (without --no-restart) makes ${deferred.length === 1 ? 'it' : 'them'} when convenient`)}\n`);
}

/** Every failed step and host error again, briefly, so they are not lost in a long run. */
export function printFailures(result: RunResult, o: ReporterOptions): void {
  const c = o.colors;
  const failed = result.results.filter((r) => r.status === 'failed');
  if (failed.length === 0 && result.errors.length === 0) return;
  o.out.write(c.bold(c.red('\nFAILURES\n')));
  for (const r of failed) {
    const last = (r.error ?? '').trimEnd().split('\n').pop() ?? '';
    o.out.write(`  [${r.host}] ${r.change?.summary ?? r.id}${last ? `: ${c.red(last)}` : ''}\n`);
    o.out.write(`      ${c.yellow(`hint: ${failureHint(r)}`)}\n`);
  }
  for (const e of result.errors) {
    const message = e.message.startsWith(`${e.host}: `) ? e.message.slice(e.host.length + 2) : e.message;
    o.out.write(`  [${e.host}] ${c.red(message)}\n`);
    if (e.hint) o.out.write(`      ${c.yellow(`hint: ${e.hint}`)}\n`);
  }
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
  // A write that waits for a restart and the restart itself are one restart of that host.
  const restarts = new Set(changed.filter((r) => r.change?.action === 'restart').map((r) => r.host)).size;
  const hosts = byHost.size;
  const deferred = result.results.filter((r) => r.status === 'deferred').length;
  const unreached = result.hosts.filter((h) => !h.reachable).length;
  if (changed.length === 0 && deferred === 0 && unreached === 0 && result.errors.length === 0) {
    o.out.write(c.green('\nNo changes. The hosts match the configuration.\n'));
  } else if (changed.length === 0 && deferred === 0) {
    const notRead = new Set([...result.hosts.filter((h) => !h.reachable).map((h) => h.host), ...result.errors.map((e) => e.host)]);
    o.out.write(c.red(`\nNo changes on the hosts that were read; ${notRead.size} host${notRead.size === 1 ? '' : 's'} could not be read (${[...notRead].join(', ')}).\n`));
  } else {
    const extra = [
      ...(restarts ? [`${restarts} PostgreSQL restart${restarts === 1 ? '' : 's'}`] : []),
      ...(deferred ? [`${deferred} left pending (--no-restart)`] : []),
      ...(unreached ? [`${unreached} host${unreached === 1 ? '' : 's'} unreachable, not planned`] : []),
    ];
    o.out.write(c.bold(`\nPlan: ${changed.length} change${changed.length === 1 ? '' : 's'} on ${hosts} host${hosts === 1 ? '' : 's'}${extra.map((e) => `; ${e}`).join('')}\n`));
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
    case 'remove':
    case 'drop':
    case 'stop':
      return '-';
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
