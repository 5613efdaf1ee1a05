// A guarded command: runs only when its probe says so. Used for services, handlers
// and one-off steps (slot creation, first backup) whose need can be read from facts.
import type { Change, ChangeAction, Fact, ProbeSpec, Resource } from '../resource.js';

export interface CommandSpec {
  id: string;
  kind?: string;
  tags: string[];
  probe: ProbeSpec;
  /** From the facts: does the command need to run? */
  needed: (fact: Fact) => boolean;
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

export class CommandResource implements Resource {
  readonly kind: string;
  readonly id: string;
  readonly tags: readonly string[];
  readonly handler?: boolean;
  readonly probeHost?: string;
  constructor(readonly spec: CommandSpec) {
    this.kind = spec.kind ?? 'command';
    this.id = spec.id;
    this.tags = spec.tags;
    this.handler = spec.handler;
    this.probeHost = spec.probeHost;
  }
  probe(): ProbeSpec {
    return this.spec.probe;
  }
  plan(fact: Fact): Change | null {
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

/** A service that must be running; started (never restarted) when it is not. */
export function serviceRunning(opts: { name: string; check: string; start: string; tags: string[] }): CommandResource {
  return new CommandResource({
    id: `service:${opts.name}`,
    kind: 'service',
    tags: opts.tags,
    probe: { sh: `if ${opts.check}; then echo running; else echo stopped; fi` },
    needed: (f) => f.sh.trim() !== 'running',
    summary: `start service ${opts.name}`,
    run: opts.start,
    action: 'start',
  });
}
