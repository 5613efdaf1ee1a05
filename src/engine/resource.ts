// The resource model. A resource describes desired state; it never talks to a host.
// The engine gathers every resource's facts in one batched script per host (see
// probe.ts: each resource declares a typed Probe), asks each resource to plan (a pure
// function of desired state and its typed fact), and runs the planned snippets in one
// batched script per host.
import type { Conflict } from './ownership.js';
import type { Probe } from './probe.js';

export type ChangeAction = 'create' | 'update' | 'remove' | 'run' | 'install' | 'start' | 'stop' | 'restart' | 'reload' | 'grant' | 'alter' | 'drop';

export interface Change {
  action: ChangeAction;
  /** One line, e.g. "create /etc/barman.conf (root:root 0644)". Never holds a secret. */
  summary: string;
  /** Unified diff or full content for the plan; already masked where secret. */
  diff?: string;
  /** Extra plan details (SQL with secrets masked, packages with versions, ...). */
  details?: string[];
  /** Apply snippet, POSIX sh, run as root inside the host's apply script. */
  sh?: string;
  /** SQL statements, run in the host's single transaction. */
  sql?: string[];
  /** SQL that carries a secret (a SCRAM verifier): run with statement logging off. */
  secretSql?: string[];
  /** Handlers (by id) to run after this host's changes. */
  notify?: string[];
  /** The outcome depends on an earlier step; the plan cannot show it exactly. */
  knownAfterApply?: boolean;
  /** Compare-and-swap guard: the file must still have this sha256 ('-' = absent) at apply time. */
  guard?: { path: string; sha256: string };
  /** Long-running (package install, backup): shown with elapsed time. */
  slow?: boolean;
  /**
   * Changes next to each other in a host's apply script with the same key run at the
   * same time (each in its own subshell, its output kept apart); the script waits for
   * all of them before going on. For independent slow steps, e.g. one per Barman server.
   */
  concurrent?: string;
}

export interface PlanContext {
  /** Handlers notified so far on this host (for handler resources). */
  notified: ReadonlySet<string>;
  /** Plan mode: never generate anything, mark unknowns as known after apply. */
  planOnly: boolean;
}

/**
 * A resource whose fact is of type F. plan, notes and conflicts only ever see a fact its
 * own probe produced; a probe that fails never reaches them (its host is in error).
 * plan may throw (e.g. a file too large to edit): the resource is then reported failed.
 */
export interface Resource<F = unknown> {
  /** Unique on its host, e.g. `file:/etc/barman.conf`. */
  readonly id: string;
  /** Resource type, e.g. `file`, `package`, `pg_role`. */
  readonly kind: string;
  /** Selector tags (`barman`, `ssh`, `pkg`, `config`, `pgpass`, `first-backup`). */
  readonly tags: readonly string[];
  /** A handler only runs when notified by a change on the same host. */
  readonly handler?: boolean;
  /** Host whose facts script runs the probe, when not the resource's own host. */
  readonly probeHost?: string;
  /**
   * Resources (by host and id) this one only makes sense after: when one of them is
   * deferred in a run (RunOptions.defer), this one is deferred too.
   */
  readonly waitsFor?: ReadonlyArray<{ host: string; id: string }>;
  probe(): Probe<F>;
  plan(fact: F, ctx: PlanContext): Change | null;
  /** Things worth telling the user that we deliberately leave alone (never changes). */
  notes?(fact: F): string[];
  /**
   * What a change here would take from another owner (a shared host). The runner checks
   * every selected resource on every host before the first change, and refuses on any.
   */
  conflicts?(fact: F): Conflict[];
}

/** A resource placed on a host in a phase of a play. */
export interface Placed {
  host: string;
  phase: number;
  resource: Resource;
}
