// From the probes a host's resources declare to typed facts: one command per distinct
// probe (deduplicated), one parse per distinct probe, and for each probe either its
// value or the reason it has none. Pure: the runner sends the script and hands back
// what came out (scripts.ts frames and reads it).
import { commandKey, probeKey, type Probe, type ProbeOutput } from './probe.js';
import type { ProbeCommand, ProbeRun } from './scripts.js';

export interface ProbeRequest<K> {
  key: K;
  probe: Probe<unknown>;
}

export interface FactsPlan<K> {
  /** The distinct commands to run (what buildFactsScript takes). */
  commands: ProbeCommand[];
  requests: Array<ProbeRequest<K> & { command: number | undefined }>;
}

export type FactValue = { ok: true; value: unknown } | { ok: false; probe: string; reason: string };

/** Identical probes (same command) share one command; probes that read nothing need none. */
export function planFacts<K>(requests: ReadonlyArray<ProbeRequest<K>>): FactsPlan<K> {
  const commands: ProbeCommand[] = [];
  const byCommand = new Map<string, number>();
  const planned = requests.map((r) => {
    if (r.probe.sh === undefined && r.probe.sql === undefined) return { ...r, command: undefined };
    const ck = commandKey(r.probe);
    let index = byCommand.get(ck);
    if (index === undefined) {
      index = commands.length;
      byCommand.set(ck, index);
      commands.push({ index, sh: r.probe.sh, sql: r.probe.sql });
    }
    return { ...r, command: index };
  });
  return { commands, requests: planned };
}

/** Each request's fact: parsed once per distinct probe; a failure never becomes a value. */
export function readFacts<K>(plan: FactsPlan<K>, runs: ReadonlyMap<number, ProbeRun>): Map<K, FactValue> {
  const parsed = new Map<string, FactValue>();
  const out = new Map<K, FactValue>();
  for (const r of plan.requests) {
    const pk = probeKey(r.probe);
    let fact = parsed.get(pk);
    if (fact === undefined) {
      fact = parseOne(r.probe, r.command === undefined ? { ok: true, out: { stdout: Buffer.alloc(0), sql: undefined } } : runs.get(r.command));
      parsed.set(pk, fact);
    }
    out.set(r.key, fact);
  }
  return out;
}

function parseOne(probe: Probe<unknown>, run: ProbeRun | undefined): FactValue {
  if (run === undefined) return { ok: false, probe: probe.name, reason: 'internal error: the probe was not run' };
  if (!run.ok) return { ok: false, probe: probe.name, reason: run.reason };
  try {
    return { ok: true, value: probe.parse(run.out) };
  } catch (err) {
    return { ok: false, probe: probe.name, reason: `its output does not parse: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * One message per distinct reason, naming the host and the probes: e.g. every SQL probe
 * of a host whose PostgreSQL is down fails for the one reason psql gave.
 */
export function failureMessages(host: string, failures: ReadonlyArray<{ probe: string; reason: string }>): string[] {
  const byReason = new Map<string, string[]>();
  for (const f of failures) {
    const probes = byReason.get(f.reason) ?? [];
    if (!probes.includes(f.probe)) probes.push(f.probe);
    byReason.set(f.reason, probes);
  }
  return [...byReason].map(([reason, probes]) => {
    const shown = probes.slice(0, 3).map((p) => `'${p}'`).join(', ');
    const more = probes.length > 3 ? ` and ${probes.length - 3} more` : '';
    return `${host}: probe${probes.length > 1 ? 's' : ''} ${shown}${more} failed: ${reason}`;
  });
}

/** A probe's raw output as one string (what the discovery cache keeps). */
export function rawOutputText(out: ProbeOutput): string {
  return JSON.stringify(out.sql === undefined ? { sh: out.stdout.toString('base64') } : { sh: out.stdout.toString('base64'), sql: out.sql });
}

/** The inverse of rawOutputText; undefined for text it did not write (an old cache). */
export function rawOutputFromText(text: string): ProbeOutput | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    if (typeof doc !== 'object' || doc === null) return undefined;
    const { sh, sql } = doc as { sh?: unknown; sql?: unknown };
    if (typeof sh !== 'string' || !(sql === undefined || sql === null || typeof sql === 'string')) return undefined;
    return { stdout: Buffer.from(sh, 'base64'), sql };
  } catch {
    return undefined;
  }
}
