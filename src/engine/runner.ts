// Runs a play: connect to every host, gather all facts in one script per host, then
// per phase plan (pure) and apply only what differs in one script per host, then
// verify by re-reading. A no-op run costs one connection and one exec per host.
import pLimit from 'p-limit';
import { ToolError, UnreachableError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { HostConnection, type ConnectionCounters, type ConnectOptions } from '../transport/connection.js';
import type { HostTarget, Play, ResourceResult } from './play.js';
import type { Conflict } from './ownership.js';
import type { Change, ChangeAction, Fact, Placed, ProbeSpec, Resource } from './resource.js';
import { EXIT_LOCKED, EXIT_STALE, buildApplyScript, buildFactsScript, newNonce, parseApply, parseFacts, type ApplyItem } from './scripts.js';
import { hostSelected, resourceSelected, type Selection } from './selection.js';

export interface RunOptions {
  mode: 'apply' | 'plan';
  forks: number;
  connect: Omit<ConnectOptions, 'readOnly'>;
  selection: Selection;
  keepGoing: boolean;
  /** Names this run in the remote lock holder file. */
  holder: string;
  lockWaitSeconds: number;
  events?: RunEvents;
  /** Checked between phases; set by the CLI's SIGINT handler. */
  interrupted?: () => boolean;
  /** Conflicts of these kinds (Conflict.override) are allowed, e.g. by a CLI flag. */
  overrides?: readonly string[];
  /**
   * Changes with these actions (e.g. `restart`) are not made in this run: they, the
   * handlers they notify and every resource that `waitsFor` them are recorded as
   * `deferred`, left for a later run (whose plan still shows them).
   */
  defer?: readonly ChangeAction[];
  /**
   * What discovery printed on each host last time. With it, discovery runs inside the
   * facts script (one exec per host); only when a host's output differs are the
   * resources rebuilt and the facts read again.
   */
  discoveryCache?: DiscoveryCache;
}

export interface DiscoveryCache {
  load(): ReadonlyMap<string, string> | undefined;
  /** Called with fresh outputs after a run that read them (never in plan mode's caller's way: it decides). */
  save(outputs: ReadonlyMap<string, string>): void;
}

/** What a play's build gets for a host's discovery: the shell output, then the SQL's under `@@sql`. */
export function discoveryText(fact: Fact, probe: ProbeSpec): string {
  if (probe.sql === undefined) return fact.sh;
  const sh = fact.sh === '' || fact.sh.endsWith('\n') ? fact.sh : `${fact.sh}\n`;
  return `${sh}@@sql\n${fact.sql ?? ''}\n`;
}

/** Index of the discovery pseudo-probe in a host's facts script (never a resource index). */
const DISCOVERY_PROBE = 999_999_999;

export interface RunEvents {
  connected?(host: string, ms: number): void;
  phase?(index: number, name: string): void;
  started?(host: string, phase: number, items: Array<{ id: string; change: Change }>): void;
  result?(r: ResourceResult): void;
  /** `unreachable`: the host could not be connected to at all. */
  hostError?(host: string, message: string, hint?: string, unreachable?: boolean): void;
  /** After each remote script (for -vvv): its size, exit code, time and stderr. */
  exec?(host: string, info: ExecInfo): void;
  /** The run is over (before the caller prints its summary). */
  finished?(): void;
}

export interface ExecInfo {
  label: string;
  scriptBytes: number;
  code: number | null;
  ms: number;
  stderr: string;
}

export interface HostReport {
  host: string;
  reachable: boolean;
  counters?: ConnectionCounters;
  execs: number;
  timings: Record<string, number>;
}

export interface RunNote {
  host: string;
  id: string;
  text: string;
}

/** A conflict found on a host, for the resource that would have caused it. */
export interface HostConflict extends Conflict {
  host: string;
  id: string;
}

export interface RunResult {
  results: ResourceResult[];
  /** Non-empty: the run was refused before its first change (exit 3). */
  conflicts: HostConflict[];
  notes: RunNote[];
  hosts: HostReport[];
  exitCode: ExitCodeValue;
  errors: Array<{ host: string; message: string; hint?: string }>;
  interrupted: boolean;
}

const STALE_RETRIES = 5;

export async function runPlay(play: Play, opts: RunOptions): Promise<RunResult> {
  return new PlayRun(play, opts).run();
}

class PlayRun {
  private resources: Placed[] = [];
  private readonly conns = new Map<string, HostConnection>();
  private readonly facts = new Map<number, Fact>();
  private readonly results: ResourceResult[] = [];
  private readonly conflicts: HostConflict[] = [];
  private readonly notes = new Map<string, RunNote>();
  private readonly errors: RunResult['errors'] = [];
  private readonly reports = new Map<string, HostReport>();
  private readonly limit: ReturnType<typeof pLimit>;
  private failed = false;
  private unreachable = false;
  /** Hosts that could not be connected to: never planned; resources probed there are skipped. */
  private readonly unreachableHosts = new Set<string>();
  /** `host\0id` of every change deferred so far in this run (see RunOptions.defer). */
  private readonly deferredIds = new Map<string, string>();
  private locked = false;
  private anyChange = false;

  constructor(
    private readonly play: Play,
    private readonly opts: RunOptions,
  ) {
    this.limit = pLimit(Math.max(1, opts.forks));
    for (const h of play.hosts) this.reports.set(h.name, { host: h.name, reachable: false, execs: 0, timings: {} });
  }

  async run(): Promise<RunResult> {
    try {
      await this.connectAll();
      const reused = !this.stopForUnreachable() && (await this.timed('facts', () => this.gatherWithCachedDiscovery()));
      if (!reused && !this.stopForUnreachable() && !this.failed) {
        await this.timed('discover', () => this.discover());
        if (!this.stopForUnreachable() && !this.failed) await this.timed('facts', () => this.gather(this.resources.map((_, i) => i)));
      }
      if (!this.stopForUnreachable() && !this.failed) {
        // Every host is checked before the first change anywhere: a refused run changes nothing.
        if (!this.failed) this.findConflicts(this.resources.map((_, i) => i));
        // A plan still shows what would change; an apply stops here.
        for (let phase = 0; phase < this.play.phases.length && (this.opts.mode === 'plan' || this.conflicts.length === 0); phase++) {
          if (this.opts.interrupted?.()) break;
          if (this.failed && !this.opts.keepGoing) break;
          this.opts.events?.phase?.(phase, this.play.phases[phase] ?? `phase ${phase}`);
          const changedBefore = this.anyChange;
          await this.runPhase(phase);
          const later = this.indexesWhere((p) => p.phase > phase);
          if (this.opts.mode === 'apply' && this.anyChange !== changedBefore && later.length > 0) {
            await this.timed('refresh', () => this.gather(later));
          }
        }
        if (this.opts.mode === 'apply' && this.anyChange && !this.failed && !this.opts.interrupted?.()) {
          await this.timed('verify', () => this.verify());
        }
      }
    } finally {
      for (const [name, c] of this.conns) {
        const rep = this.reports.get(name);
        if (rep) rep.counters = { ...c.counters };
        c.close();
      }
      this.opts.events?.finished?.();
    }
    return {
      results: this.results,
      conflicts: this.conflicts,
      notes: [...this.notes.values()],
      hosts: [...this.reports.values()],
      exitCode: this.exitCode(),
      errors: this.errors,
      interrupted: this.opts.interrupted?.() ?? false,
    };
  }

  private exitCode(): ExitCodeValue {
    if (this.opts.interrupted?.()) return ExitCode.Interrupted;
    if (this.unreachable) return ExitCode.Unreachable;
    if (this.locked || this.conflicts.length > 0) return ExitCode.Refused;
    // A plan's 2 means "changes pending" only: a host that failed there has its own code.
    if (this.failed) return this.opts.mode === 'plan' ? ExitCode.ReadFailure : ExitCode.HostFailure;
    if (this.opts.mode === 'plan' && this.results.some((r) => r.status === 'changed' || r.status === 'deferred')) return ExitCode.ChangesPending;
    return ExitCode.Ok;
  }

  /**
   * An unreachable host stops an apply (as TPA does) unless --keep-going; a plan always
   * goes on with the hosts it reached, so that every host is reported.
   */
  private stopForUnreachable(): boolean {
    return this.unreachable && this.opts.mode === 'apply' && !this.opts.keepGoing;
  }

  /** Last run's discovery output for hosts this run could not reach (what build gets for them). */
  private withCachedDiscovery(outputs: Map<string, string>): Map<string, string> {
    const cache = this.opts.discoveryCache?.load();
    for (const h of this.unreachableHosts) {
      const cached = cache?.get(h);
      if (cached !== undefined && !outputs.has(h)) outputs.set(h, cached);
    }
    return outputs;
  }

  private async timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      for (const rep of this.reports.values()) rep.timings[label] = (rep.timings[label] ?? 0) + (Date.now() - t0);
    }
  }

  private async connectAll(): Promise<void> {
    await Promise.all(
      this.play.hosts.map((h) =>
        this.limit(async () => {
          try {
            const conn = await HostConnection.open(h.ssh, { ...this.opts.connect, readOnly: this.opts.mode === 'plan' });
            this.conns.set(h.name, conn);
            const rep = this.reports.get(h.name);
            if (rep) rep.reachable = true;
            this.opts.events?.connected?.(h.name, conn.counters.connectMs);
          } catch (err) {
            this.unreachable = true;
            this.unreachableHosts.add(h.name);
            this.hostError(h.name, err, true);
          }
        }),
      ),
    );
  }

  /**
   * One exec per host: build from last run's discovery and read the facts with a fresh
   * discovery in the same script. If every host's discovery is unchanged the facts stand;
   * otherwise rebuild from the fresh outputs and read the facts again. False: no cache.
   */
  private async gatherWithCachedDiscovery(): Promise<boolean> {
    const cache = this.opts.discoveryCache?.load();
    const discover = this.play.discover;
    if (!cache || !discover) return false;
    const scripts = new Map<string, ProbeSpec>();
    for (const h of this.play.hosts) {
      const probe = discover(h.name);
      if (probe === undefined) continue;
      if (!cache.has(h.name)) return false;
      if (!this.unreachableHosts.has(h.name)) scripts.set(h.name, probe);
    }
    this.resources = this.play.build(cache);
    const fresh = new Map<string, string>();
    await this.gather(this.resources.map((_, i) => i), { scripts, outputs: fresh });
    if (this.failed || this.stopForUnreachable()) return true;
    const same = [...scripts.keys()].every((h) => fresh.has(h) && fresh.get(h) === cache.get(h));
    if (!same) {
      if ([...scripts.keys()].some((h) => !fresh.has(h))) return false;
      this.facts.clear();
      this.withCachedDiscovery(fresh);
      this.resources = this.play.build(fresh);
      await this.gather(this.resources.map((_, i) => i));
      this.opts.discoveryCache?.save(fresh);
    }
    return true;
  }

  /** Run the play's discovery scripts (read-only) and build its resources. */
  private async discover(): Promise<void> {
    const discovered = new Map<string, string>();
    if (this.play.discover) {
      await Promise.all(
        this.play.hosts.map((h) =>
          this.limit(async () => {
            const probe = this.play.discover?.(h.name);
            const conn = this.conns.get(h.name);
            if (!probe || !conn) return;
            const rep = this.reports.get(h.name);
            if (rep) rep.execs++;
            try {
              const nonce = newNonce();
              const script = buildFactsScript([{ index: DISCOVERY_PROBE, spec: probe }], this.host(h.name).pg, nonce);
              const res = await this.runScript(h.name, conn, script, { readOnly: true, label: 'discover', timeoutMs: 120_000 });
              const fact = parseFacts(res.stdout, nonce, [DISCOVERY_PROBE]).get(DISCOVERY_PROBE);
              if (fact) discovered.set(h.name, discoveryText(fact, probe));
            } catch (err) {
              this.failed = true;
              if (err instanceof UnreachableError) this.unreachable = true;
              this.hostError(h.name, err);
            }
          }),
        ),
      );
    }
    if (!this.failed) {
      this.withCachedDiscovery(discovered);
      this.resources = this.play.build(discovered);
      if (this.play.discover) this.opts.discoveryCache?.save(discovered);
    }
  }

  /** Ask every selected resource whether it would take something from another owner. */
  private findConflicts(indexes: number[]): number {
    const overrides = new Set(this.opts.overrides ?? []);
    let found = 0;
    for (const i of indexes) {
      const p = this.resources[i];
      const r = p?.resource;
      if (!p || !r?.conflicts || r.handler) continue;
      if (!hostSelected(this.opts.selection, p.host) || !resourceSelected(this.opts.selection, r)) continue;
      if (this.unreadable(p.host, r)) continue;
      for (const c of r.conflicts(this.fact(i))) {
        if (c.override && overrides.has(c.override)) continue;
        this.conflicts.push({ ...c, host: p.host, id: r.id });
        found++;
      }
    }
    return found;
  }

  /** conn.runScript, reported to the exec event (-vvv) whether it succeeds or throws. */
  private async runScript(host: string, conn: HostConnection, script: string, opts: Parameters<HostConnection['runScript']>[1]): ReturnType<HostConnection['runScript']> {
    const t0 = Date.now();
    const info = (code: number | null, stderr: string): ExecInfo => ({ label: opts.label, scriptBytes: Buffer.byteLength(script), code, ms: Date.now() - t0, stderr });
    try {
      const res = await conn.runScript(script, opts);
      this.opts.events?.exec?.(host, info(res.code, res.stderr));
      return res;
    } catch (err) {
      this.opts.events?.exec?.(host, info(null, err instanceof Error ? err.message : String(err)));
      throw err;
    }
  }

  /** Why this resource cannot be planned: its host or the host its probe runs on was not reached. */
  private unreadable(host: string, r: Resource): string | undefined {
    const down = [host, r.probeHost ?? host].find((h) => this.unreachableHosts.has(h));
    return down === undefined ? undefined : `not planned: ${down} is unreachable`;
  }

  /** Why a planned change is deferred in this run, if it is (RunOptions.defer, Resource.waitsFor). */
  private deferral(r: Resource, change: Change): string | undefined {
    if (this.opts.defer?.includes(change.action)) return `deferred: ${change.action}s are deferred in this run`;
    for (const w of r.waitsFor ?? []) {
      const what = this.deferredIds.get(`${w.host}\0${w.id}`);
      if (what !== undefined) return `deferred: waits for "${what}" on ${w.host}`;
    }
    return undefined;
  }

  private hostError(host: string, err: unknown, unreachable = false): void {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof ToolError ? err.hint : undefined;
    this.errors.push({ host, message, hint });
    this.opts.events?.hostError?.(host, message, hint, unreachable);
  }

  private indexesWhere(pred: (p: Placed) => boolean): number[] {
    const out: number[] = [];
    this.resources.forEach((p, i) => {
      if (pred(p)) out.push(i);
    });
    return out;
  }

  private host(name: string): HostTarget {
    const h = this.play.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`internal error: resource placed on unknown host ${name}`);
    return h;
  }

  /**
   * Gather facts for the given resources: one read-only exec per probing host. With
   * `discovery`, each host's discovery script runs in the same exec, its output kept.
   */
  private async gather(indexes: number[], discovery?: { scripts: ReadonlyMap<string, ProbeSpec>; outputs: Map<string, string> }): Promise<void> {
    const byHost = new Map<string, number[]>();
    for (const i of indexes) {
      const p = this.resources[i];
      if (!p) continue;
      const probeHost = p.resource.probeHost ?? p.host;
      byHost.set(probeHost, [...(byHost.get(probeHost) ?? []), i]);
    }
    await Promise.all(
      [...byHost].map(([hostName, idx]) =>
        this.limit(async () => {
          const conn = this.conns.get(hostName);
          if (!conn) return;
          const nonce = newNonce();
          const probes = idx.map((i) => ({ index: i, spec: this.resources[i]?.resource.probe() ?? {} }));
          const discoverProbe = discovery?.scripts.get(hostName);
          if (discoverProbe !== undefined) probes.unshift({ index: DISCOVERY_PROBE, spec: discoverProbe });
          const script = buildFactsScript(probes, this.host(hostName).pg, nonce);
          const rep = this.reports.get(hostName);
          if (rep) rep.execs++;
          try {
            const res = await this.runScript(hostName, conn, script, { readOnly: true, label: 'gather facts', timeoutMs: 120_000 });
            for (const [i, f] of parseFacts(res.stdout, nonce, discoverProbe === undefined ? idx : [DISCOVERY_PROBE, ...idx])) {
              if (i === DISCOVERY_PROBE && discoverProbe) discovery?.outputs.set(hostName, discoveryText(f, discoverProbe));
              else this.facts.set(i, f);
            }
          } catch (err) {
            this.failed = true;
            if (err instanceof UnreachableError) this.unreachable = true;
            this.hostError(hostName, err);
          }
        }),
      ),
    );
  }

  private fact(i: number): Fact {
    return this.facts.get(i) ?? { sh: '', shCode: 255, sql: null };
  }

  /** Plan one host's resources of one phase: pure, from the facts in hand. */
  private planHost(host: string, phase: number): { items: ApplyItem[]; handlers: ApplyItem[]; skipped: number[]; deferred: Array<ApplyItem & { reason: string }>; blocked: Map<number, string> } {
    const items: ApplyItem[] = [];
    const handlers: ApplyItem[] = [];
    const skipped: number[] = [];
    const deferred: Array<ApplyItem & { reason: string }> = [];
    const blocked = new Map<number, string>();
    const defer = (i: number, r: Resource, change: Change, reason: string): void => {
      deferred.push({ index: i, change, reason });
      // What it would have notified is pending too (a restart that would follow a write).
      for (const id of [r.id, ...(change.notify ?? [])]) if (!this.deferredIds.has(`${host}\0${id}`)) this.deferredIds.set(`${host}\0${id}`, change.summary);
    };
    const notified = new Set<string>();
    const selectedHost = hostSelected(this.opts.selection, host);
    const planOnly = this.opts.mode === 'plan';
    const mine = this.indexesWhere((p) => p.host === host && p.phase === phase);
    for (const i of mine) {
      const r = this.resources[i]?.resource;
      if (!r || r.handler) continue;
      if (!selectedHost || !resourceSelected(this.opts.selection, r)) {
        skipped.push(i);
        continue;
      }
      const why = this.unreadable(host, r);
      if (why !== undefined) {
        skipped.push(i);
        blocked.set(i, why);
        continue;
      }
      const change = r.plan(this.fact(i), { notified, planOnly });
      for (const text of r.notes?.(this.fact(i)) ?? []) this.notes.set(`${host}\0${r.id}\0${text}`, { host, id: r.id, text });
      if (change) {
        const reason = this.deferral(r, change);
        if (reason !== undefined) {
          defer(i, r, change, reason);
          continue;
        }
        items.push({ index: i, change });
        change.notify?.forEach((n) => notified.add(n));
      }
    }
    for (const i of mine) {
      const r = this.resources[i]?.resource;
      if (!r?.handler || !notified.has(r.id)) continue;
      const change = r.plan(this.fact(i), { notified, planOnly });
      if (!change) continue;
      const reason = this.deferral(r, change);
      if (reason !== undefined) defer(i, r, change, reason);
      else handlers.push({ index: i, change });
    }
    return { items, handlers, skipped, deferred, blocked };
  }

  private record(i: number, status: ResourceResult['status'], change?: Change, error?: string, durationMs?: number, reason?: string): void {
    const p = this.resources[i];
    if (!p) return;
    const r: ResourceResult = { host: p.host, phase: p.phase, id: p.resource.id, kind: p.resource.kind, status, change, error, durationMs };
    if (reason !== undefined) r.reason = reason;
    this.results.push(r);
    this.opts.events?.result?.(r);
  }

  private async runPhase(phase: number): Promise<void> {
    const hosts = [...new Set(this.resources.filter((p) => p.phase === phase).map((p) => p.host))].filter((h) => !this.unreachableHosts.has(h));
    await Promise.all(hosts.map((h) => this.limit(() => this.runHostPhase(h, phase))));
  }

  private async runHostPhase(host: string, phase: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { items, handlers, skipped, deferred, blocked } = this.planHost(host, phase);
      const changedIdx = new Set([...items, ...handlers, ...deferred].map((x) => x.index));
      const recordUnchanged = (): void => {
        for (const i of this.indexesWhere((p) => p.host === host && p.phase === phase)) {
          if (changedIdx.has(i) || this.resources[i]?.resource.handler) continue;
          this.record(i, skipped.includes(i) ? 'skipped' : 'ok', undefined, undefined, undefined, blocked.get(i));
        }
        for (const x of deferred) this.record(x.index, 'deferred', x.change, undefined, undefined, x.reason);
      };
      if (this.opts.mode === 'plan' || items.length + handlers.length === 0) {
        recordUnchanged();
        for (const x of [...items, ...handlers]) this.record(x.index, 'changed', x.change);
        return;
      }
      const conn = this.conns.get(host);
      if (!conn) return;
      const nonce = newNonce();
      const script = buildApplyScript(items, handlers, this.host(host).pg, nonce, this.opts.holder, this.opts.lockWaitSeconds);
      const rep = this.reports.get(host);
      if (rep) rep.execs++;
      this.opts.events?.started?.(host, phase, [...items, ...handlers].map((x) => ({ id: this.resources[x.index]?.resource.id ?? '', change: x.change })));
      const t0 = Date.now();
      let res;
      try {
        res = await this.runScript(host, conn, script, { readOnly: false, label: `apply phase ${this.play.phases[phase]}`, timeoutMs: 3_600_000 });
      } catch (err) {
        this.failed = true;
        if (err instanceof UnreachableError) this.unreachable = true;
        this.hostError(host, err);
        return;
      }
      const outcome = parseApply(res.stdout, nonce);
      if (res.code === EXIT_STALE && attempt < STALE_RETRIES) {
        // Another deploy changed a line-managed file after we read it: read again, re-plan.
        const idx = this.indexesWhere((p) => p.host === host && p.phase === phase);
        await this.gather(idx);
        // What changed under us may be another owner's claim: check again before retrying.
        if (this.findConflicts(idx) > 0) {
          this.failed = true;
          this.hostError(host, 'refused: another cluster took over a name this deploy needs (see the conflicts)');
          return;
        }
        continue;
      }
      if (res.code === EXIT_LOCKED || res.code === EXIT_STALE) {
        this.locked = true;
        this.failed = true;
        this.hostError(
          host,
          res.code === EXIT_LOCKED
            ? `another deploy holds the lock on ${host}: ${outcome.locked || 'unknown holder'}`
            : `a managed file kept changing under us: ${outcome.stale ?? ''}`,
        );
        return;
      }
      recordUnchanged();
      const elapsed = Date.now() - t0;
      let failedHere = false;
      for (const x of [...items, ...handlers]) {
        const r = outcome.results.get(x.index);
        if (!r) {
          this.record(x.index, failedHere ? 'skipped' : 'failed', x.change, failedHere ? 'not run: an earlier step failed' : tail(res.stderr || 'no result'));
          failedHere = true;
        } else if (r.code === 0) {
          this.anyChange = true;
          this.record(x.index, 'changed', x.change, undefined, elapsed);
        } else {
          failedHere = true;
          this.record(x.index, 'failed', x.change, tail(r.output));
        }
      }
      if (failedHere) this.failed = true;
      return;
    }
  }

  /** Re-read everything and re-plan: anything still pending did not converge. */
  private async verify(): Promise<void> {
    const all = this.resources.map((_, i) => i);
    await this.gather(all);
    const hosts = [...new Set(this.resources.map((p) => p.host))].filter((h) => !this.unreachableHosts.has(h));
    for (const host of hosts) {
      for (let phase = 0; phase < this.play.phases.length; phase++) {
        const { items } = this.planHost(host, phase);
        for (const x of items) {
          this.failed = true;
          const p = this.resources[x.index];
          const r: ResourceResult = {
            host,
            phase,
            id: p?.resource.id ?? '',
            kind: p?.resource.kind ?? '',
            status: 'failed',
            change: x.change,
            error: `did not converge: still wants to ${x.change.summary}`,
          };
          this.results.push(r);
          this.opts.events?.result?.(r);
        }
      }
    }
  }
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
