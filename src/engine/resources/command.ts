// A guarded command: runs only when its probe says so. Used for services, handlers
// and one-off steps (slot creation, first backup) whose need can be read from facts.
import { NO_PROBE, oneWord, shProbe, type Probe } from '../probe.js';
import type { Change, ChangeAction, Resource } from '../resource.js';

export interface CommandSpec<F> {
  id: string;
  kind?: string;
  tags: string[];
  probe: Probe<F>;
  /** From the fact: does the command need to run? */
  needed: (fact: F) => boolean;
  summary: string;
  details?: string[];
  run: string;
  action?: ChangeAction;
  handler?: boolean;
  probeHost?: string;
  notify?: string[];
  slow?: boolean;
  /** See Change.concurrent: neighbouring commands with the same key run at the same time. */
  concurrent?: string;
}

export class CommandResource<F> implements Resource<F> {
  readonly kind: string;
  readonly id: string;
  readonly tags: readonly string[];
  readonly handler?: boolean;
  readonly probeHost?: string;
  constructor(readonly spec: CommandSpec<F>) {
    this.kind = spec.kind ?? 'command';
    this.id = spec.id;
    this.tags = spec.tags;
    this.handler = spec.handler;
    this.probeHost = spec.probeHost;
  }
  probe(): Probe<F> {
    return this.spec.probe;
  }
  plan(fact: F): Change | null {
    if (!this.spec.handler && !this.spec.needed(fact)) return null;
    return {
      action: this.spec.action ?? 'run',
      summary: this.spec.summary,
      details: this.spec.details,
      sh: this.spec.run,
      notify: this.spec.notify,
      slow: this.spec.slow,
      concurrent: this.spec.concurrent,
    };
  }
}

/** A handler: runs once when a change on its host notifies it (reload, restart). */
export function handler(opts: { id: string; summary: string; details?: string[]; action: ChangeAction; run: string; tags: string[]; slow?: boolean }): CommandResource<undefined> {
  return new CommandResource({ ...opts, kind: 'handler', handler: true, probe: NO_PROBE, needed: () => false });
}

/** A service that must be running; started (never restarted) when it is not. */
export function serviceRunning(opts: { name: string; check: string; start: string; tags: string[] }): CommandResource<'running' | 'stopped'> {
  return new CommandResource({
    id: `service:${opts.name}`,
    kind: 'service',
    tags: opts.tags,
    probe: shProbe(`service ${opts.name}`, `if ${opts.check}; then echo running; else echo stopped; fi`, (out) => oneWord(out, ['running', 'stopped'] as const)),
    needed: (state) => state !== 'running',
    summary: `start service ${opts.name}`,
    run: opts.start,
    action: 'start',
  });
}
