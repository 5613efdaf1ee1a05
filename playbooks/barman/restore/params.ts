// What the restore runner is told about one server: the restore host and how Barman
// reaches it, where PostgreSQL's binaries may be, the recovery target, the time limit.
import { shellQuote } from '../../../src/util/shell.js';
import type { BackupServerSpec, BarmanHostSpec, BarmanModel, PostgresHostSpec } from '../model.js';

export type RunnerMode = 'plan' | 'test' | 'restore';

/** A recovery target, checked by parseTarget(). */
export type RecoveryTarget = { kind: 'time'; value: string; epoch: number } | { kind: 'lsn'; value: string } | { kind: 'name'; value: string };

export interface RunnerParams {
  mode: RunnerMode;
  server: string;
  barman_host: string;
  restore: { host: string; user: string; ssh: string[] | null };
  /** `{M}` stands for the backup's PostgreSQL major; the runner keeps the first that matches. */
  bin_dirs: string[];
  /** Scratch directories go under this directory on the restore host; null: the user's home. */
  scratch_base: string | null;
  port_range: [number, number];
  target: RecoveryTarget | null;
  backup_id: string | null;
  /** Base64 of the user's SQL file, run on the restored copy. */
  sql_b64: string | null;
  /** restore mode: the destination directory, and whether an existing empty one is fine. */
  destination: string | null;
  force: boolean;
  /** Seconds the whole run may take (copy, recovery and checks); cleanup gets its own. */
  timeout: number;
  /** Scheduled runs write their result here (atomically) instead of printing it. */
  result_file: string | null;
}

/** Ports for the restored copy (it listens on a unix socket in its scratch directory only). */
export const SCRATCH_PORTS: [number, number] = [55432, 55531];

export const DEFAULT_RESTORE_TIMEOUT_S = 7200;

/** Where the scheduled test's program and results live on a Barman host. */
export const RESTORE_TEST_PROGRAM_DIR = '/etc/tpa/restore-test';

export function restoreTestProgramPath(server: BackupServerSpec): string {
  return `${RESTORE_TEST_PROGRAM_DIR}/${server.backupName}.py`;
}

export function restoreTestResultsDir(b: Pick<BarmanHostSpec, 'home'>): string {
  return `${b.home}/restore-tests`;
}

export function restoreTestResultPath(b: Pick<BarmanHostSpec, 'home'>, server: BackupServerSpec): string {
  return `${restoreTestResultsDir(b)}/${server.backupName}.json`;
}

/**
 * The ssh command Barman's remote restore (and the runner) use to reach `host` as its
 * PostgreSQL user: the key TPA's deploy accepts there. BatchMode: never a prompt.
 */
export function restoreSshCommand(host: PostgresHostSpec, sshPort: number): string[] {
  return ['ssh', '-q', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', `${host.user}@${host.name}`, '-p', String(sshPort)];
}

/** Candidate PostgreSQL bin directories: the instance's own, then the packages' layouts. */
export function binDirCandidates(host: PostgresHostSpec): string[] {
  return [...new Set([host.binDir, '/usr/lib/postgresql/{M}/bin', '/usr/pgsql-{M}/bin', '/usr/edb/as{M}/bin'])];
}

export interface ParamsOptions {
  mode: RunnerMode;
  target?: RecoveryTarget | null;
  backupId?: string | null;
  sql?: Buffer | null;
  timeoutSeconds?: number;
  resultFile?: string | null;
  /** restore mode: HOST and DIR of --to. */
  to?: { host: string; dir: string; force: boolean };
}

export function runnerParams(model: BarmanModel, server: BackupServerSpec, o: ParamsOptions): RunnerParams {
  const hostName = o.to?.host ?? server.restoreHost;
  const host = model.postgresHosts.find((p) => p.name === hostName);
  if (!host) throw new Error(`internal error: restore host ${hostName} is not a PostgreSQL instance of the model`);
  return {
    mode: o.mode,
    server: server.backupName,
    barman_host: server.barmanHost,
    restore: { host: host.name, user: host.user, ssh: restoreSshCommand(host, model.sshPort) },
    bin_dirs: binDirCandidates(host),
    scratch_base: null,
    port_range: SCRATCH_PORTS,
    target: o.target ?? null,
    backup_id: o.backupId ?? null,
    sql_b64: o.sql ? o.sql.toString('base64') : null,
    destination: o.to?.dir ?? null,
    force: o.to?.force ?? false,
    timeout: o.timeoutSeconds ?? DEFAULT_RESTORE_TIMEOUT_S,
    result_file: o.resultFile ?? null,
  };
}

/** The command that runs a runner program (on stdin) as the Barman user. */
export function runnerCommand(barmanUser: string): string {
  return `runuser -u ${shellQuote(barmanUser)} -- /usr/bin/python3 -`;
}
