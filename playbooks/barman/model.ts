// The resolved Barman deployment: everything the Barman playbook needs, derived from a
// ClusterSpec with TPA's defaults and precedence (see playbooks/barman/inventory.ts).
import type { ResolvedVar } from '../../src/config/types.js';
import type { PostgresServerFacts } from '../../src/engine/postgres-server.js';
import type { PostgresManager } from '../../src/engine/postgres-service.js';

/** A value config.yml itself sets (not a default), and where, for messages. */
export interface Configured<T> {
  value: T;
  /** `config.yml:12:5 (cluster_vars.postgres_version)` */
  where: string;
}

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
  /** The backed-up instance is a replica: Barman copies from it, its upstream is the primary. */
  fromReplica: boolean;
  /** Set when the backed-up instance is a replica (a backup from a standby). */
  standby?: StandbySource;
  /** Where restore tests of this server run: barman_restore_host, else the backed-up instance. */
  restoreHost: string;
  /** barman_restore_test_interval: five-field cron schedule of the scheduled restore test, if any. */
  restoreTestInterval?: string;
}

/**
 * A replica's server: Barman backs up the standby and switches WAL on its root
 * primary through `primary_conninfo` (Barman 3.1+), so a backup's end is archived.
 */
export interface StandbySource {
  /** The root of the replica's `upstream:` chain. */
  primaryHost: string;
  /** conninfo of that primary for the barman user. */
  primaryConninfo: string;
  /** ssh to the primary as its postgres user (a checkpoint there before the first backup). */
  primarySshCommand: string;
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
  /** postgres_flavour of the cluster, in this host's context. */
  postgresFlavour: string;
  /** The PostgreSQL client packages Barman needs (pg_basebackup, pg_receivewal) for that flavour. */
  clientPackages: string[];
  /**
   * A `volume_for: barman_data` volume is declared (TPA's barman_volume_mountable): the
   * barman-home check then asks findmnt, so an unmounted volume stops backups.
   */
  volumeMountable: boolean;
  /**
   * PostgreSQL roles this host also has (TPA's default M1 puts barman and a witness on
   * one host); empty for a Barman-only host. The host is then in postgresHosts too.
   */
  postgresRoles: string[];
  global: BarmanGlobalSettings;
  servers: BackupServerSpec[];
  /** What config.yml sets itself in this host's context (the rest follows the servers it backs up). */
  configured: { version?: Configured<number>; binDir?: Configured<string> };
}

export interface PostgresHostSpec {
  name: string;
  ipAddress: string;
  version: number;
  port: number;
  /** postgresql, pgextended, epas, postgresql-bdr or edbpge (legacy names mapped). */
  flavour: string;
  /** OS user and group that own the cluster (postgres; enterprisedb for EPAS). */
  user: string;
  group: string;
  /** The OS user's home by the flavour's default (discovery reads the real one). */
  home: string;
  /** The flavour's default unix socket directory. */
  socketDir: string;
  /** TPA's service name (`postgres` for every flavour) and package name prefix. */
  serviceName: string;
  packageName: string;
  binDir: string;
  /** Debian cluster name (main) and config dir /etc/postgresql/<v>/<cluster>. */
  clusterName: string;
  confDir: string;
  /** Not a replica (primaries, witnesses, BDR nodes): gets the pg_hba lines and settings. */
  isPrimary: boolean;
  /** Roles as resolved (primary, replica, witness, bdr, postgres, ...). */
  roles: string[];
  upstream?: string;
  /** For a replica (or witness), the primary at the top of its upstream chain. */
  upstreamPrimary?: string;
  /**
   * TPA creates barman_role, barman and streaming_barman here: on every non-replica, but
   * in a BDR group only on its first_bdr_primary (the others get them by replication).
   */
  createsUsers: boolean;
  /** The database those users are created from (bdr_database for BDR, else postgres). */
  usersDatabase: string;
  /** Barman hosts this instance is backed up to. */
  backupTo: string[];
  /** Every Barman host of the cluster (pg_hba lines are written for all of them). */
  barmanHosts: Array<{ name: string; ipAddress: string }>;
  barmanClientDsnAttributes: string;
  streamingBarmanClientDsnAttributes: string;
  packageVersion?: string;
  /** PostgreSQL settings that WAL archiving and restoring through Barman need here. */
  wal: PostgresWalSettings;
  /** What config.yml sets itself (not defaults): checked against the running server. */
  configured: ConfiguredPostgres;
  /**
   * What the running server says and how the host runs it, once discovery read it. Then
   * version, binDir and confDir above are the server's (see server-model.ts).
   */
  server?: PostgresServer;
}

export interface ConfiguredPostgres {
  version?: Configured<number>;
  port?: Configured<number>;
  dataDir?: Configured<string>;
  confDir?: Configured<string>;
  binDir?: Configured<string>;
}

/** A PostgreSQL instance as it runs. */
export interface PostgresServer {
  facts: PostgresServerFacts;
  manager: PostgresManager;
  /** The include directory our settings go into: the last one postgresql.conf reads, if any. */
  includeDir?: string;
  /** The OS user's home, read from the host. */
  home: string;
}

/** TPA's archive_command (barman_archiver) and restore_command (replicas) for one instance. */
export interface PostgresWalSettings {
  /** barman_archiver: true. */
  archive?: {
    /** `on`; `always` on a replica (a standby archives only then). */
    mode: 'on' | 'always';
    /**
     * barman-wal-archive to every Barman host of the instance, in order; undefined when
     * config.yml sets archive_command (TPA keeps the user's, so do we: left alone).
     */
    command?: string;
    /** The parts of `command`, one per Barman host, in the order of `barmanHosts`. */
    commands?: string[];
    barmanHosts: string[];
  };
  /** A replica (PostgreSQL 12+) whose cluster is backed up: fetch missing WAL from Barman. */
  restore?: {
    command: string;
    barmanHost: string;
    /** The Barman server (backup_name) the WAL comes from. */
    server: string;
    /** The backed-up instance of that server (TPA's upstream_backedup). */
    source: string;
  };
  /** What the plan should tell about this instance that tpa-barman leaves to the user. */
  notes: string[];
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
