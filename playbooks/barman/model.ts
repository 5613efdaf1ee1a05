// The resolved Barman deployment: everything the Barman playbook needs, derived from a
// ClusterSpec with TPA's defaults and precedence (see playbooks/barman/inventory.ts).
import type { ResolvedVar } from '../../src/config/types.js';

/** Values for the global /etc/barman.conf, from `default_barman_*` and the Barman host. */
export interface BarmanGlobalSettings {
  barmanHome: string;
  barmanUser: string;
  logFile: string;
  backupMethod: string;
  parallelJobs: number;
  reuseBackup: string;
  backupOptions: string;
  immediateCheckpoint: boolean;
  /** `auto` means: detect pigz > bzip2 > gzip > none on the Barman host. */
  compression: string;
  networkCompression: boolean;
  basebackupRetryTimes: number;
  basebackupRetrySleep: number;
  minimumRedundancy: number;
  retentionPolicy: string;
  lastBackupMaximumAge: string;
  /** postgres_bin_dir of the cluster, so Barman uses the matching client binaries. */
  pathPrefix: string;
}

/** Per-server values, taken from the backed-up instance's context. */
export interface BarmanServerSettings {
  archiver: boolean;
  backupMethod: string;
  compression: string;
  reuseBackup: string;
  parallelJobs: number;
  backupOptions: string;
  immediateCheckpoint: boolean;
  networkCompression: boolean;
  basebackupRetryTimes: number;
  basebackupRetrySleep: number;
  minimumRedundancy: number;
  retentionPolicy: string;
  lastBackupMaximumAge: string;
  preArchiveRetryScript?: string;
  postBackupRetryScript?: string;
  postBackupScript?: string;
  streamingWalsDirectory?: string;
  /** Five-field cron schedule, e.g. `0 4 * * wed,sat`. */
  backupInterval: string;
}

/** One Barman server section: a backed-up instance on one of its Barman hosts. */
export interface BackupServerSpec {
  backupName: string;
  /** The backed-up instance (`target` in TPA's template). */
  pgHost: string;
  barmanHost: string;
  slotName: string;
  sshCommand: string;
  conninfo: string;
  streamingConninfo: string;
  settings: BarmanServerSettings;
  /** /etc/cron.d/<cronFileName>: backup_name up to its first dot. */
  cronFileName: string;
}

export interface BarmanHostSpec {
  name: string;
  user: string;
  group: string;
  home: string;
  /** barman_shared: true — key pair comes from <cluster>/keys, user/dirs not created. */
  shared: boolean;
  packageVersion?: string;
  postgresVersion: number;
  global: BarmanGlobalSettings;
  servers: BackupServerSpec[];
}

export interface PostgresHostSpec {
  name: string;
  ipAddress: string;
  version: number;
  port: number;
  /** OS user and group that own the cluster (postgres). */
  user: string;
  group: string;
  binDir: string;
  /** Debian cluster name (main) and config dir /etc/postgresql/<v>/<cluster>. */
  clusterName: string;
  confDir: string;
  /** Primaries (not replicas) get the roles, grants, pg_hba lines. */
  isPrimary: boolean;
  /** Barman hosts this instance is backed up to. */
  backupTo: string[];
  /** Every Barman host of the cluster (pg_hba lines are written for all of them). */
  barmanHosts: Array<{ name: string; ipAddress: string }>;
  barmanClientDsnAttributes: string;
  streamingBarmanClientDsnAttributes: string;
  packageVersion?: string;
}

export interface BarmanModel {
  clusterName: string;
  sshPort: number;
  barmanHosts: BarmanHostSpec[];
  postgresHosts: PostgresHostSpec[];
  backups: BackupServerSpec[];
  /**
   * Every Barman-relevant variable as resolved for each host (by host name), with where its
   * value came from: defaults, cluster_vars or instance vars. For `tpa-barman inventory`.
   */
  hostVars?: Record<string, Record<string, ResolvedVar>>;
}
