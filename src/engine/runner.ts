// Runs a play: connect to every host, gather all facts in one script per host, then
// per phase plan (pure) and apply only what differs in one script per host, then
// verify by re-reading. A no-op run costs one connection and one exec per host.
//
// Hosts are reached through RunOptions.connector (the connector seam,
// src/transport/connector.ts). A probe that fails puts its host in error (see probe.ts):
// that host is neither planned nor changed, the error names it, the probe and the
// stderr tail, and the other hosts are still planned and reported (in a deploy they are
// changed only with --keep-going, as after any failure).
import pLimit from 'p-limit';
import { ToolError, UnreachableError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { openSession, type Session } from '../transport/connector.js';
import { failureMessages, planFacts, rawOutputFromText, rawOutputText, readFacts, type FactValue, type ProbeRequest } from './facts.js';
import type { HostTarget, Play, ResourceResult } from './play.js';
import type { Probe } from './probe.js';
import type { Change, Placed, Resource } from './resource.js';
import type { ExecInfo, HostConflict, HostReport, RunNote, RunOptions, RunResult } from './run-types.js';
import { EXIT_LOCKED, EXIT_STALE, buildApplyScript, buildFactsScript, newNonce, parseApply, parseFacts, type ApplyItem } from './scripts.js';
import { hostSelected, resourceSelected } from './selection.js';

export type { DiscoveryCache, ExecInfo, HostConflict, HostReport, RunEvents, RunNote, RunOptions, RunResult } from './run-types.js';
export { rawOutputFromText, rawOutputText } from './facts.js';

const STALE_RETRIES = 5;

export async function runPlay<D>(play: Play<D>, opts: RunOptions): Promise<RunResult> {
  return new PlayRun(play, opts).run();
}

/** Which fact a probe request is for: a resource (its index) or a host's discovery. */
type FactKey = number | 'discovery';

interface DiscoveryRound<D> {
  probes: ReadonlyMap<string, Probe<D>>;
  /** Filled per host whose discovery was read: its raw text and parsed value. */
  outputs: Map<string, { raw: string; value: D }>;
}

class PlayRun<D> {
  private resources: Placed[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly facts = new Map<number, FactValue>();
  /** Hosts whose own facts (or discovery) could not be read: never planned nor changed. */
  private readonly factsFailed = new Set<string>();
  /** Hosts that could not be connected to: never planned; resources probed there are skipped. */
  private readonly unreachableHosts = new Set<string>();
  /** `host\0id` of every change deferred so far in this run (see RunOptions.defer). */
  private readonly deferredIds = new Map<string, string>();
  private readonly results: ResourceResult[] = [];
  private readonly conflicts: HostConflict[] = [];
  private readonly notes = new Map<string, RunNote>();
  private readonly errors: RunResult['errors'] = [];
  private readonly reports = new Map<string, HostReport>();
  private readonly limit: ReturnType<typeof pLimit>;
  private failed = false;
  private unreachable = false;
  private locked = false;
  private anyChange = false;
  private applied = false;

  constructor(
    private readonly play: Play<D>,
    private readonly opts: RunOptions,
  ) {
    this.limit = pLimit(Math.max(1, opts.forks));
    for (const h of play.hosts) this.reports.set(h.name, { host: h.name, reachable: false, execs: 0, timings: {} });
  }

  async run(): Promise<RunResult> {
    try {
      await this.connectAll();
      if (!this.stopForUnreachable()) {
        const reused = await this.timed('facts', () => this.gatherWithCachedDiscovery());
        if (!reused) {
          await this.timed('discover', () => this.discover());
          await this.timed('facts', () => this.gather(this.resources.map((_, i) => i)));
        }
        await this.runPhases();
      }
    } finally {
      for (const [name, s] of this.sessions) {
        const rep = this.reports.get(name);
        if (rep) rep.counters = { ...s.counters };
        s.close();
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

  private async runPhases(): Promise<void> {
    // Every host is checked before the first change anywhere: a refused run changes nothing.
    this.findConflicts(this.resources.map((_, i) => i));
    const apply = this.opts.mode === 'apply';
    // A plan shows what would change everywhere; an apply stops at a conflict.
    for (let phase = 0; phase < this.play.phases.length && (!apply || this.conflicts.length === 0); phase++) {
      if (this.opts.interrupted?.()) break;
      let hold = false;
      if (apply && this.failed && !this.opts.keepGoing) {
        // Stop everywhere (like TPA) — but when a host failed before anything was
        // changed, still plan the others and report what was held back.
        if (this.applied || phase > 0) break;
        hold = true;
      }
      this.opts.events?.phase?.(phase, this.play.phases[phase] ?? `phase ${phase}`);
      const changedBefore = this.anyChange;
      await this.runPhase(phase, hold);
      if (hold) break;
      const later = this.indexesWhere((p) => p.phase > phase);
      if (apply && this.anyChange !== changedBefore && later.length > 0) {
        await this.timed('refresh', () => this.gather(later));
      }
    }
    if (apply && this.anyChange && !this.failed && !this.opts.interrupted?.()) {
      await this.timed('verify', () => this.verify());
    }
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

  /** Last run's discovery of hosts this run could not reach (what build gets for them). */
  private withCachedDiscovery(discovered: Map<string, D>, probes: ReadonlyMap<string, Probe<D>>): Map<string, D> {
    const cache = this.opts.discoveryCache?.load();
    for (const h of this.unreachableHosts) {
      const probe = probes.get(h);
      const raw = cache?.get(h);
      const out = raw === undefined ? undefined : rawOutputFromText(raw);
      if (!probe || !out || discovered.has(h)) continue;
      try {
        discovered.set(h, probe.parse(out));
      } catch {
        // written by another version: the host is unreachable anyway, built without it
      }
    }
    return discovered;
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
            const session = await openSession(this.opts.connector(h.name), { readOnly: this.opts.mode === 'plan' });
            this.sessions.set(h.name, session);
            const rep = this.reports.get(h.name);
            if (rep) rep.reachable = true;
            this.opts.events?.connected?.(h.name, session.counters.connectMs);
          } catch (err) {
            this.unreachable = true;
            this.unreachableHosts.add(h.name);
            this.hostError(h.name, err, true);
          }
        }),
      ),
    );
  }

  /** Each host's discovery probe (hosts without one are absent). */
  private discoveryProbes(): Map<string, Probe<D>> {
    const probes = new Map<string, Probe<D>>();
    for (const h of this.play.hosts) {
      const probe = this.play.discover?.(h.name);
      if (probe !== undefined) probes.set(h.name, probe);
    }
    return probes;
  }

  /**
   * One exec per host: build from last run's discovery and read the facts with a fresh
   * discovery in the same script. If every host's discovery is unchanged the facts stand;
   * otherwise rebuild from the fresh outputs and read the facts again. False: no usable cache.
   */
  private async gatherWithCachedDiscovery(): Promise<boolean> {
    const cache = this.opts.discoveryCache?.load();
    if (!cache || !this.play.discover) return false;
    const probes = this.discoveryProbes();
    const cached = new Map<string, D>();
    for (const [host, probe] of probes) {
      const raw = cache.get(host);
      const out = raw === undefined ? undefined : rawOutputFromText(raw);
      if (out === undefined) return false;
      try {
        cached.set(host, probe.parse(out));
      } catch {
        return false; // written by another version: discover the slow way
      }
    }
    this.resources = this.play.build(cached);
    const reachable = new Map([...probes].filter(([h]) => !this.unreachableHosts.has(h)));
    const round: DiscoveryRound<D> = { probes: reachable, outputs: new Map() };
    await this.gather(this.resources.map((_, i) => i), round);
    if (this.stopForUnreachable()) return true;
    const read = [...reachable.keys()].filter((h) => round.outputs.has(h));
    if (read.every((h) => round.outputs.get(h)?.raw === cache.get(h))) return true;
    // Something about a host changed (a new host key, PostgreSQL's ssl): rebuild and re-read.
    const fresh = new Map<string, D>();
    for (const [h, o] of round.outputs) fresh.set(h, o.value);
    this.facts.clear();
    this.resources = this.play.build(this.withCachedDiscovery(fresh, probes));
    await this.gather(this.resources.map((_, i) => i));
    if (read.length === probes.size) this.opts.discoveryCache?.save(new Map([...round.outputs].map(([h, o]) => [h, o.raw])));
    return true;
  }

  /** Run the play's discovery probes (read-only, one exec per host) and build its resources. */
  private async discover(): Promise<void> {
    const probes = this.discoveryProbes();
    const discovered = new Map<string, D>();
    const raws = new Map<string, string>();
    await Promise.all(
      [...probes].map(([host, probe]) =>
        this.limit(async () => {
          const got = await this.readProbes(host, [{ key: 'discovery', probe }], 'discover');
          const fact = got?.get('discovery');
          if (fact?.value.ok) {
            discovered.set(host, fact.value.value as D);
            raws.set(host, fact.raw);
          }
        }),
      ),
    );
    this.resources = this.play.build(this.withCachedDiscovery(discovered, probes));
    if (probes.size > 0 && raws.size === probes.size) this.opts.discoveryCache?.save(raws);
  }

  /** Ask every selected resource whether it would take something from another owner. */
  private findConflicts(indexes: number[]): number {
    const overrides = new Set(this.opts.overrides ?? []);
    let found = 0;
    for (const i of indexes) {
      const p = this.resources[i];
      const r = p?.resource;
      const fact = this.facts.get(i);
      if (!p || !r?.conflicts || r.handler || !fact?.ok || this.factsFailed.has(p.host)) continue;
      if (!hostSelected(this.opts.selection, p.host) || !resourceSelected(this.opts.selection, r)) continue;
      for (const c of r.conflicts(fact.value)) {
        if (c.override && overrides.has(c.override)) continue;
        this.conflicts.push({ ...c, host: p.host, id: r.id });
        found++;
      }
    }
    return found;
  }

  /** session.runScript, reported to the exec event (-vvv) whether it succeeds or throws. */
  private async runScript(host: string, session: Session, script: string, opts: Parameters<Session['runScript']>[1]): ReturnType<Session['runScript']> {
    const t0 = Date.now();
    const info = (code: number | null, stderr: string): ExecInfo => ({ label: opts.label, scriptBytes: Buffer.byteLength(script), code, ms: Date.now() - t0, stderr });
    try {
      const res = await session.runScript(script, opts);
      this.opts.events?.exec?.(host, info(res.code, res.stderr));
      return res;
    } catch (err) {
      this.opts.events?.exec?.(host, info(null, err instanceof Error ? err.message : String(err)));
      throw err;
    }
  }

  /** Why this resource cannot be planned: its host or the host its probe runs on was not reached or read. */
  private unreadable(host: string, r: Resource): string | undefined {
    const on = r.probeHost ?? host;
    const down = [host, on].find((h) => this.unreachableHosts.has(h));
    if (down !== undefined) return `not planned: ${down} is unreachable`;
    if (this.factsFailed.has(on)) return `not planned: its facts could not be read on ${on} (see the error for ${on})`;
    return undefined;
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
    this.reportError(host, message, hint, unreachable);
  }

  private reportError(host: string, message: string, hint?: string, unreachable = false): void {
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
   * Run a host's probes in one read-only exec and read their facts. A probe that fails
   * puts the host in error (reported once per cause); undefined when nothing could run.
   */
  private async readProbes<K extends FactKey>(
    host: string,
    requests: Array<ProbeRequest<K>>,
    label: string,
  ): Promise<Map<K, { value: FactValue; raw: string }> | undefined> {
    const session = this.sessions.get(host);
    if (!session) return undefined;
    const plan = planFacts(requests);
    const nonce = newNonce();
    const pg = this.host(host).pg;
    let runs;
    if (plan.commands.length > 0) {
      const rep = this.reports.get(host);
      if (rep) rep.execs++;
      try {
        const res = await this.runScript(host, session, buildFactsScript(plan.commands, pg, nonce), { readOnly: true, label, timeoutMs: 120_000 });
        runs = parseFacts(res, nonce, plan.commands, pg);
      } catch (err) {
        this.failed = true;
        this.factsFailed.add(host);
        if (err instanceof UnreachableError) this.unreachable = true;
        this.hostError(host, err);
        return undefined;
      }
    }
    const values = readFacts(plan, runs ?? new Map());
    const out = new Map<K, { value: FactValue; raw: string }>();
    const failures: Array<{ probe: string; reason: string }> = [];
    for (const r of plan.requests) {
      const value = values.get(r.key);
      if (!value) continue;
      if (!value.ok) failures.push(value);
      const run = r.command === undefined ? undefined : runs?.get(r.command);
      out.set(r.key, { value, raw: run?.ok ? rawOutputText(run.out) : '' });
    }
    if (failures.length > 0) {
      this.failed = true;
      this.factsFailed.add(host);
      for (const m of failureMessages(host, failures)) {
        this.reportError(host, m, `nothing was planned or changed on ${host}; fix what the probe reports and re-run`);
      }
    }
    return out;
  }

  /**
   * Gather facts for the given resources: one read-only exec per probing host. With a
   * discovery round, each host's discovery probe runs in the same exec.
   */
  private async gather(indexes: number[], discovery?: DiscoveryRound<D>): Promise<void> {
    const byHost = new Map<string, number[]>();
    for (const i of indexes) {
      const p = this.resources[i];
      if (!p) continue;
      const probeHost = p.resource.probeHost ?? p.host;
      byHost.set(probeHost, [...(byHost.get(probeHost) ?? []), i]);
    }
    for (const h of discovery?.probes.keys() ?? []) if (!byHost.has(h)) byHost.set(h, []);
    await Promise.all(
      [...byHost].map(([hostName, idx]) =>
        this.limit(async () => {
          const failedBefore = this.factsFailed.has(hostName);
          const requests: Array<ProbeRequest<FactKey>> = [];
          for (const i of idx) {
            const r = this.resources[i]?.resource;
            if (r) requests.push({ key: i, probe: r.probe() });
          }
          const discoverProbe = discovery?.probes.get(hostName);
          if (discoverProbe !== undefined) requests.unshift({ key: 'discovery', probe: discoverProbe });
          const got = failedBefore ? undefined : await this.readProbes(hostName, requests, 'gather facts');
          for (const i of idx) {
            const v = got?.get(i)?.value;
            this.facts.set(i, v ?? { ok: false, probe: 'facts', reason: `the facts of ${hostName} could not be read` });
          }
          const d = got?.get('discovery');
          if (d?.value.ok && discovery) discovery.outputs.set(hostName, { raw: d.raw, value: d.value.value as D });
        }),
      ),
    );
  }

  /** Plan one host's resources of one phase: pure, from the facts in hand. */
  private planHost(host: string, phase: number): HostPlan {
    const plan: HostPlan = { items: [], handlers: [], skipped: [], deferred: [], blocked: new Map(), unplanned: new Map() };
    const defer = (i: number, r: Resource, change: Change, reason: string): void => {
      plan.deferred.push({ index: i, change, reason });
      // What it would have notified is pending too (a restart that would follow a write).
      for (const id of [r.id, ...(change.notify ?? [])]) if (!this.deferredIds.has(`${host}\0${id}`)) this.deferredIds.set(`${host}\0${id}`, change.summary);
    };
    const notified = new Set<string>();
    const selectedHost = hostSelected(this.opts.selection, host);
    const planOnly = this.opts.mode === 'plan';
    const mine = this.indexesWhere((p) => p.host === host && p.phase === phase);
    const planOne = (i: number, r: Resource, handler: boolean): Change | null => {
      const fact = this.facts.get(i);
      if (!fact?.ok) {
        plan.unplanned.set(i, `not planned: its facts could not be read on ${r.probeHost ?? host}`);
        return null;
      }
      try {
        const change = r.plan(fact.value, { notified, planOnly });
        if (!handler) for (const text of r.notes?.(fact.value) ?? []) this.notes.set(`${host}\0${r.id}\0${text}`, { host, id: r.id, text });
        return change;
      } catch (err) {
        // e.g. content that cannot be written safely: this resource fails, the others go on.
        plan.unplanned.set(i, `could not plan: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }
    };
    for (const i of mine) {
      const r = this.resources[i]?.resource;
      if (!r || r.handler) continue;
      if (!selectedHost || !resourceSelected(this.opts.selection, r)) {
        plan.skipped.push(i);
        continue;
      }
      const why = this.unreadable(host, r);
      if (why !== undefined) {
        plan.skipped.push(i);
        plan.blocked.set(i, why);
        continue;
      }
      const change = planOne(i, r, false);
      if (!change) continue;
      const reason = this.deferral(r, change);
      if (reason !== undefined) {
        defer(i, r, change, reason);
        continue;
      }
      plan.items.push({ index: i, change });
      change.notify?.forEach((n) => notified.add(n));
    }
    for (const i of mine) {
      const r = this.resources[i]?.resource;
      if (!r?.handler || !notified.has(r.id)) continue;
      const change = planOne(i, r, true);
      if (!change) continue;
      const reason = this.deferral(r, change);
      if (reason !== undefined) defer(i, r, change, reason);
      else plan.handlers.push({ index: i, change });
    }
    return plan;
  }

  private record(i: number, status: ResourceResult['status'], change?: Change, error?: string, durationMs?: number, reason?: string): void {
    const p = this.resources[i];
    if (!p) return;
    const r: ResourceResult = { host: p.host, phase: p.phase, id: p.resource.id, kind: p.resource.kind, status, change, error, durationMs };
    if (reason !== undefined) r.reason = reason;
    this.results.push(r);
    this.opts.events?.result?.(r);
  }

  private async runPhase(phase: number, hold: boolean): Promise<void> {
    const hosts = [...new Set(this.resources.filter((p) => p.phase === phase).map((p) => p.host))].filter((h) => !this.unreachableHosts.has(h));
    await Promise.all(hosts.map((h) => this.limit(() => this.runHostPhase(h, phase, hold))));
  }

  /**
   * Plan and (in an apply) run one host's phase. `hold`: another host failed before any
   * change and --keep-going is off, so what would change here is reported as skipped.
   */
  private async runHostPhase(host: string, phase: number, hold: boolean): Promise<void> {
    // A host whose facts could not be read is not planned: its host error says why.
    if (this.factsFailed.has(host)) return;
    for (let attempt = 0; ; attempt++) {
      const { items: planned, handlers, skipped, deferred, blocked, unplanned } = this.planHost(host, phase);
      // In an apply, a change whose content is only known after an earlier step has
      // nothing to run: never report it as done.
      const inert = (c: Change): boolean => this.opts.mode === 'apply' && Boolean(c.knownAfterApply) && !c.sh && !c.sql?.length && !c.secretSql?.length;
      const items = planned.filter((x) => !inert(x.change));
      for (const x of planned) if (inert(x.change)) unplanned.set(x.index, 'not applied: its content is only known after a step this run did not take');
      const changedIdx = new Set([...items, ...handlers, ...deferred].map((x) => x.index));
      const recordUnchanged = (): void => {
        for (const i of this.indexesWhere((p) => p.host === host && p.phase === phase)) {
          if (changedIdx.has(i) || unplanned.has(i) || this.resources[i]?.resource.handler) continue;
          this.record(i, skipped.includes(i) ? 'skipped' : 'ok', undefined, undefined, undefined, blocked.get(i));
        }
        for (const x of deferred) this.record(x.index, 'deferred', x.change, undefined, undefined, x.reason);
        for (const [i, why] of unplanned) {
          this.failed = true;
          this.record(i, 'failed', undefined, why);
        }
      };
      if (this.opts.mode === 'plan' || hold || items.length + handlers.length === 0) {
        recordUnchanged();
        for (const x of [...items, ...handlers]) {
          if (hold) this.record(x.index, 'skipped', x.change, undefined, undefined, 'not applied: another host failed before any change (--keep-going changes the other hosts)');
          else this.record(x.index, 'changed', x.change);
        }
        return;
      }
      const session = this.sessions.get(host);
      if (!session) return;
      const nonce = newNonce();
      const script = buildApplyScript(items, handlers, this.host(host).pg, nonce, this.opts.holder, this.opts.lockWaitSeconds);
      const rep = this.reports.get(host);
      if (rep) rep.execs++;
      this.applied = true;
      this.opts.events?.started?.(host, phase, [...items, ...handlers].map((x) => ({ id: this.resources[x.index]?.resource.id ?? '', change: x.change })));
      const t0 = Date.now();
      let res;
      try {
        res = await this.runScript(host, session, script, { readOnly: false, label: `apply phase ${this.play.phases[phase]}`, timeoutMs: 3_600_000 });
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
        if (this.factsFailed.has(host)) return;
        // What changed under us may be another owner's claim: check again before retrying.
        if (this.findConflicts(idx) > 0) {
          this.failed = true;
          this.reportError(host, 'refused: another cluster took over a name this deploy needs (see the conflicts)');
          return;
        }
        continue;
      }
      if (res.code === EXIT_LOCKED || res.code === EXIT_STALE) {
        this.locked = true;
        this.failed = true;
        this.reportError(
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
      if (this.factsFailed.has(host)) continue;
      for (let phase = 0; phase < this.play.phases.length; phase++) {
        const { items, unplanned } = this.planHost(host, phase);
        for (const [i, why] of unplanned) {
          this.failed = true;
          this.record(i, 'failed', undefined, `could not verify: ${why}`);
        }
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

/** One host's phase, planned. */
interface HostPlan {
  items: ApplyItem[];
  handlers: ApplyItem[];
  /** Not selected (--limit, --tags), or not plannable (see blocked). */
  skipped: number[];
  deferred: Array<ApplyItem & { reason: string }>;
  /** Why a skipped resource was not planned, when it was not the selection. */
  blocked: Map<number, string>;
  /** Resources that failed to plan (their fact is missing, or plan threw). */
  unplanned: Map<number, string>;
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
