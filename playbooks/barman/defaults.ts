// Default values of every variable the Barman playbook reads, as TPA's *code* has them
// (roles/barman/defaults/main.yml, roles/init/defaults/main.yml, roles/init/tasks/postgres.yml),
// not as its docs table says: barman_log_file is /var/log/barman/barman.log.

/**
 * The 18 `barman_*` settings of TPA's table, set on the backed-up instance (or in
 * cluster_vars) and passed to its /etc/barman.d/<backup_name>.conf with `barman_` removed.
 * `undefined` means unset: the key is only written when the user sets it. barman_log_file
 * is listed for completeness but only sets the global log_file, from the Barman host.
 */
export const BARMAN_SERVER_DEFAULTS = {
  barman_archiver: false,
  barman_log_file: '/var/log/barman/barman.log',
  barman_backup_method: 'rsync',
  barman_compression: 'pigz',
  barman_reuse_backup: 'link',
  barman_parallel_jobs: 1,
  barman_backup_options: 'concurrent_backup',
  barman_immediate_checkpoint: false,
  barman_network_compression: false,
  barman_basebackup_retry_times: 3,
  barman_basebackup_retry_sleep: 30,
  barman_minimum_redundancy: 3,
  barman_retention_policy: 'RECOVERY WINDOW OF 4 WEEKS',
  barman_last_backup_maximum_age: '1 WEEK',
  barman_pre_archive_retry_script: undefined,
  barman_post_backup_retry_script: undefined,
  barman_post_backup_script: undefined,
  barman_streaming_wals_directory: undefined,
} as const satisfies Record<string, string | number | boolean | undefined>;

export type BarmanServerVar = keyof typeof BARMAN_SERVER_DEFAULTS;

/** Default backup schedule: 04:00 every Wednesday and Saturday. */
export const DEFAULT_BACKUP_INTERVAL = '0 4 * * wed,sat';

/**
 * `default_barman_*`: the values of the global /etc/barman.conf, and the fallback of each
 * per-server `barman_X` (TPA computes `_barman_X = barman_X | default(default_barman_X)`).
 * Users override them in cluster_vars.
 */
export const DEFAULT_BARMAN_DEFAULTS = {
  default_barman_log_file: BARMAN_SERVER_DEFAULTS.barman_log_file,
  default_barman_archiver: BARMAN_SERVER_DEFAULTS.barman_archiver,
  default_barman_backup_method: BARMAN_SERVER_DEFAULTS.barman_backup_method,
  default_barman_parallel_jobs: BARMAN_SERVER_DEFAULTS.barman_parallel_jobs,
  default_barman_reuse_backup: BARMAN_SERVER_DEFAULTS.barman_reuse_backup,
  default_barman_backup_options: BARMAN_SERVER_DEFAULTS.barman_backup_options,
  default_barman_immediate_checkpoint: BARMAN_SERVER_DEFAULTS.barman_immediate_checkpoint,
  default_barman_compression: BARMAN_SERVER_DEFAULTS.barman_compression,
  default_barman_network_compression: BARMAN_SERVER_DEFAULTS.barman_network_compression,
  default_barman_basebackup_retry_times: BARMAN_SERVER_DEFAULTS.barman_basebackup_retry_times,
  default_barman_basebackup_retry_sleep: BARMAN_SERVER_DEFAULTS.barman_basebackup_retry_sleep,
  default_barman_minimum_redundancy: BARMAN_SERVER_DEFAULTS.barman_minimum_redundancy,
  default_barman_retention_policy: BARMAN_SERVER_DEFAULTS.barman_retention_policy,
  default_barman_last_backup_maximum_age: BARMAN_SERVER_DEFAULTS.barman_last_backup_maximum_age,
  default_barman_backup_interval: DEFAULT_BACKUP_INTERVAL,
} as const;

/**
 * The global `compression` when the user has not set default_barman_compression: TPA
 * detects pigz > bzip2 > gzip > none on each Barman host (roles/barman/tasks/server.yml).
 */
export const GLOBAL_COMPRESSION_AUTO = 'auto';

/** Barman host identity and install settings, plus instance-level backup settings. */
export const BARMAN_HOST_DEFAULTS = {
  barman_user: 'barman',
  barman_group: 'barman',
  barman_home: '/var/lib/barman',
  barman_shared: false,
  /** Unset: install the latest packages. */
  barman_package_version: undefined,
  barman_installation_method: 'pkg',
  barman_backup_interval: DEFAULT_BACKUP_INTERVAL,
  barman_client_dsn_attributes: '',
  /** Unset: falls back to barman_client_dsn_attributes. */
  streaming_barman_client_dsn_attributes: undefined,
} as const;

/**
 * PostgreSQL settings as roles/init sets them. postgres_version defaults to 13 as in TPA;
 * the project's lab config sets 15. User, group and port depend on the flavour
 * (FLAVOURS below); these are the community PostgreSQL values.
 */
export const POSTGRES_DEFAULTS = {
  postgres_version: 13,
  postgres_port: 5432,
  postgres_user: 'postgres',
  postgres_group: 'postgres',
  postgres_flavour: 'postgresql',
} as const;

/** The flavours roles/init accepts (`2q` is the old name of pgextended). */
export const POSTGRES_FLAVOURS = ['postgresql', 'pgextended', 'epas', 'postgresql-bdr', 'edbpge'] as const;
export type PostgresFlavour = (typeof POSTGRES_FLAVOURS)[number];

/** TPA groups flavours into families for its defaults (pgextended counts as postgresql). */
export type PostgresFamily = 'postgresql' | 'epas' | 'edbpge';

export function familyOf(flavour: PostgresFlavour): PostgresFamily {
  return flavour === 'epas' ? 'epas' : flavour === 'edbpge' ? 'edbpge' : 'postgresql';
}

/** Per-family defaults, Debian layout (roles/init/defaults/main.yml). */
export interface FlavourDefaults {
  user: string;
  port: number;
  home: string;
  socketDir: string;
  binDir: (version: number) => string;
}

export const FLAVOURS: Readonly<Record<PostgresFamily, FlavourDefaults>> = {
  postgresql: { user: 'postgres', port: 5432, home: '/var/lib/postgresql', socketDir: '/var/run/postgresql', binDir: (v) => `/usr/lib/postgresql/${v}/bin` },
  epas: { user: 'enterprisedb', port: 5444, home: '/var/lib/edb-as', socketDir: '/var/run/edb-as', binDir: (v) => `/usr/lib/edb-as/${v}/bin` },
  edbpge: { user: 'postgres', port: 5432, home: '/var/lib/postgresql', socketDir: '/var/run/edb-pge', binDir: (v) => `/usr/lib/edb-pge/${v}/bin` },
};

/** postgres_package_name (roles/init/tasks/postgres.yml). */
export function postgresPackageName(flavour: PostgresFlavour): string {
  if (flavour === 'postgresql' || flavour === 'pgextended') return 'postgresql';
  if (flavour === 'postgresql-bdr') return 'postgresql-bdr';
  return flavour === 'epas' ? 'edb-as' : 'edb-postgresextended';
}

/**
 * The client packages a Barman host installs for the cluster's PostgreSQL (Debian,
 * roles/postgres/pkg/defaults/main.yml postgres_client_packages): they carry the
 * pg_basebackup and pg_receivewal that Barman runs.
 */
export function clientPackages(flavour: PostgresFlavour, version: number): string[] {
  const name = postgresPackageName(flavour);
  const family = familyOf(flavour);
  if (family === 'epas') return [`${name}${String(version).replace('.', '')}-server-client`];
  if (family === 'edbpge') return [`${name}-client-${version}`, `${name}-libpq5-${version}`];
  return [`${name}-client-${version}`];
}

/**
 * Where a flavour's client packages come from when the distribution lacks that major:
 * PGDG for community PostgreSQL (Debian ships one major per release), EDB otherwise.
 */
export function clientPackageSource(flavour: PostgresFlavour): string {
  return familyOf(flavour) === 'postgresql' && flavour !== 'postgresql-bdr'
    ? 'the PostgreSQL Global Development Group repository (PGDG, https://apt.postgresql.org)'
    : "EDB's repositories (https://www.enterprisedb.com/repos, with an EDB subscription token)";
}

/** TPA names the service `postgres` for every flavour (postgres_service_name). */
export const POSTGRES_SERVICE_NAME = 'postgres';

/** Debian cluster name used for /etc/postgresql/<version>/<cluster>. */
export const POSTGRES_CLUSTER_NAME = 'main';

export function defaultPostgresBinDir(version: number, flavour: PostgresFlavour = 'postgresql'): string {
  return FLAVOURS[familyOf(flavour)].binDir(version);
}

export function defaultPostgresConfDir(version: number): string {
  return `/etc/postgresql/${version}/${POSTGRES_CLUSTER_NAME}`;
}

/** BDR: users are created once, in bdr_database, on the first BDR primary. */
export const DEFAULT_BDR_DATABASE = 'bdrdb';
export const DEFAULT_BDR_NODE_GROUP = 'bdrgroup';

/** The SSH port TPA uses when cluster_ssh_port is unset. */
export const DEFAULT_SSH_PORT = 22;

/** Settings TPA knows that this tool accepts but does not read (secrets, PEM, source builds). */
export const TOLERATED_BARMAN_VARS = [
  'barman_password',
  'barman_role_password',
  'streaming_barman_password',
  'barman_git_url',
  'barman_git_ref',
  'default_barman_role_attrs',
] as const;
