// What a playbook hands the runner: hosts to reach and resources placed in phases.
import type { SshTarget } from '../transport/connection.js';
import type { Change, Placed, ProbeSpec } from './resource.js';
import type { PgAccess } from './scripts.js';

export interface HostTarget {
  name: string;
  ssh: SshTarget;
  /** Set on hosts whose resources (or probes) query PostgreSQL. */
  pg?: PgAccess;
}

export interface Play {
  name: string;
  hosts: HostTarget[];
  /** Phase names, index = phase number; a phase starts after the previous one ended everywhere. */
  phases: string[];
  /**
   * Optional read-only discovery probe per host (host keys, versions, settings), run once
   * before the resources are built, for desired state that depends on other hosts. What
   * `build` gets for a host is the probe's shell output, then, when it has SQL, a line
   * `@@sql` and the SQL's result (see discoveryText): the SQL shares the host's one psql.
   */
  discover?: (host: string) => ProbeSpec | undefined;
  /** Build the resources, given what discovery printed on each host. */
  build: (discovered: ReadonlyMap<string, string>) => Placed[];
}

/** `deferred`: a change left for a later run (RunOptions.defer), with the reason why. */
export type ResultStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'deferred';

export interface ResourceResult {
  host: string;
  phase: number;
  id: string;
  kind: string;
  status: ResultStatus;
  change?: Change;
  error?: string;
  durationMs?: number;
  /** Why a resource was skipped or deferred, when it was not the selection. */
  reason?: string;
}
