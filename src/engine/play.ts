// What a playbook hands the runner: hosts to reach and resources placed in phases.
import type { Probe } from './probe.js';
import type { Change, Placed } from './resource.js';
import type { PgAccess } from './scripts.js';

export interface HostTarget {
  /** Inventory name; the runner asks RunOptions.connector how to reach it. */
  name: string;
  /** Set on hosts whose resources (or probes) query PostgreSQL. */
  pg?: PgAccess;
}

/**
 * A play whose discovery gives a value of type D per host. D is typed like any fact: the
 * discovery probe's parse makes it, and a failed discovery is a host error.
 */
export interface Play<D = unknown> {
  name: string;
  hosts: HostTarget[];
  /** Phase names, index = phase number; a phase starts after the previous one ended everywhere. */
  phases: string[];
  /**
   * Optional read-only discovery probe per host (host keys, versions, settings), run
   * before the resources are built, for desired state that depends on what hosts are.
   * On a re-run it rides in the facts script (see RunOptions.discoveryCache).
   */
  discover?(host: string): Probe<D> | undefined;
  /** What a host's discovery stands for before anything was read (--list-tasks). */
  placeholder?(host: string): D | undefined;
  /** Build the resources, given each host's discovery (hosts whose discovery failed are missing). */
  build(discovered: ReadonlyMap<string, D>): Placed[];
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
