// What a run is given (RunOptions, with the connector seam and the events it reports
// to) and what it gives back (RunResult). runner.ts runs it.
import type { ExitCodeValue } from '../exit-codes.js';
import type { Connector, ConnectionCounters } from '../transport/connector.js';
import type { ResourceResult } from './play.js';
import type { Conflict } from './ownership.js';
import type { Change, ChangeAction } from './resource.js';
import type { Selection } from './selection.js';

export interface RunOptions {
  mode: 'apply' | 'plan';
  forks: number;
  /** How to reach each host of the play (ssh2 for real hosts; a local shell in unit tests). */
  connector: (host: string) => Connector;
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

/** Each host's raw discovery output (rawOutputText), as kept between runs. */
export interface DiscoveryCache {
  load(): ReadonlyMap<string, string> | undefined;
  save(outputs: ReadonlyMap<string, string>): void;
}

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
