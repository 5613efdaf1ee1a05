// What deploy, plan and detach share once their play is built: run it with the
// reporter and the run log, print the plan or the recap and any conflicts, and the
// --json document on stdout.
import { hostname } from 'node:os';
import type { ClusterSpec } from '../config/types.js';
import { fileDiscoveryCache } from '../controller/discovery-cache.js';
import { fileScramMemo } from '../controller/scram-memo.js';
import { useScramMatchMemo } from '../postgres/scram.js';
import type { Play } from '../engine/play.js';
import { runPlay, type RunResult } from '../engine/runner.js';
import { printConflicts } from '../report/conflicts.js';
import { createRunLog } from '../report/log.js';
import { header, writeDocument } from '../report/json.js';
import { createEvents, printDeferred, printPlan, printRecap, recap } from '../report/reporter.js';
import { makeColors } from '../report/style.js';
import { connectors, defaultForks, type ConnectionFlags } from './common.js';

export interface PlayFlags extends ConnectionFlags {
  mode: 'apply' | 'plan';
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
  keepGoing?: boolean;
  json?: boolean;
  verbose?: number;
  color?: boolean;
  diff?: boolean;
  /** false with --no-restart: restarts are deferred to a later run. */
  restart?: boolean;
}

export interface PlayCommandOptions {
  /** The command's name, for the JSON document. */
  command: string;
  /** Values that must never reach the log (passwords, private keys). */
  secrets: string[];
  /** Conflict kinds the user allowed, and the flag that allows each (for hints). */
  overrides: string[];
  overrideFlags: Readonly<Record<string, string>>;
  started: number;
  interrupted: () => boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export async function runPlayCommand<D>(cluster: ClusterSpec, play: Play<D>, flags: PlayFlags, o: PlayCommandOptions): Promise<number> {
  const log = flags.mode === 'apply' ? createRunLog(cluster.dir, o.secrets) : undefined;
  const colors = makeColors(o.err, flags.color);
  const reporterOpts = { out: o.err, colors, verbosity: flags.verbose ?? 0, mode: flags.mode, diff: Boolean(flags.diff) };
  log?.info({ cluster: cluster.name, play: play.name, mode: flags.mode, hosts: play.hosts.map((h) => h.name) }, 'run started');
  const scramMemo = fileScramMemo(cluster.dir, flags.mode === 'apply');
  useScramMatchMemo(scramMemo);
  let result: RunResult;
  try {
    result = await runPlay(play, {
      mode: flags.mode,
      forks: defaultForks(play.hosts.length, flags),
      connector: connectors(cluster, flags),
      selection: { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags },
      // A plan always reads every host it can reach (it changes nothing).
      keepGoing: flags.mode === 'plan' || Boolean(flags.keepGoing),
      holder: `cluster=${cluster.name} ${play.name} pid=${process.pid} controller=${hostname()} since=${new Date().toISOString()}`,
      lockWaitSeconds: 300,
      events: createEvents(reporterOpts),
      interrupted: o.interrupted,
      overrides: o.overrides,
      defer: flags.restart === false ? ['restart'] : [],
      discoveryCache: fileDiscoveryCache(cluster.dir, play.name, flags.mode === 'apply'),
    });
  } finally {
    useScramMatchMemo(undefined); // the memo belongs to this run only
  }
  scramMemo.save();
  for (const r of result.results) if (r.status !== 'ok') log?.info({ host: r.host, id: r.id, status: r.status, summary: r.change?.summary, error: r.error, reason: r.reason }, 'task');
  for (const e of result.errors) log?.error({ host: e.host, error: e.message }, 'host error');
  for (const k of result.conflicts) log?.warn({ host: k.host, id: k.id, conflict: k.message }, 'conflict');
  const exitCode = result.exitCode;
  if (flags.mode === 'plan') printPlan(result, reporterOpts);
  printDeferred(result, reporterOpts, cluster.dir);
  printRecap(result, reporterOpts, Date.now() - o.started);
  printConflicts(o.err, result.conflicts, colors, o.overrideFlags);
  if (flags.json) writeDocument(o.out, header('run', o.command, exitCode, cluster.name), runDocument(play.name, flags.mode, result));
  log?.info({ exitCode, recap: recap(result) }, 'run finished');
  log?.flush();
  return exitCode;
}

/** The body of the `run` document (src/report/schemas/run.schema.json). */
export function runDocument(play: string, mode: string, result: RunResult): object {
  return {
    play,
    mode,
    interrupted: result.interrupted,
    changes: result.results
      .filter((r) => r.status !== 'ok')
      .map((r) => ({
        host: r.host,
        phase: r.phase,
        resource: r.id,
        kind: r.kind,
        status: r.status,
        action: r.change?.action,
        summary: r.change?.summary,
        known_after_apply: r.change?.knownAfterApply ?? false,
        details: r.change?.details,
        diff: r.change?.diff,
        error: r.error,
        reason: r.reason,
      })),
    recap: recap(result),
    unreachable: result.hosts.filter((h) => !h.reachable).map((h) => {
      const e = result.errors.find((x) => x.host === h.host);
      return { host: h.host, error: e?.message ?? 'not connected', ...(e?.hint ? { hint: e.hint } : {}) };
    }),
    conflicts: result.conflicts,
    notes: result.notes,
    errors: result.errors,
    hosts: result.hosts.map((h) => ({ host: h.host, reachable: h.reachable, execs: h.execs, channels: h.counters?.channels ?? 0, connections: h.counters?.connections ?? 0, timings_ms: h.timings })),
  };
}

/** Ctrl-C finishes the steps in flight, then stops; a second handler is never stacked. */
export function onInterrupt(err: NodeJS.WritableStream): { interrupted: () => boolean; dispose: () => void } {
  let interrupted = false;
  const handler = (): void => {
    interrupted = true;
    err.write('\nInterrupted: finishing the steps in flight, then stopping.\n');
  };
  process.on('SIGINT', handler);
  return { interrupted: () => interrupted, dispose: () => process.removeListener('SIGINT', handler) };
}
