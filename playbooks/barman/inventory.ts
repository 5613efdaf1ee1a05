// resolveBarman(): ClusterSpec → BarmanModel, with TPA's defaults and precedence and every
// check that keeps config values from escaping into files, shell commands, SQL or cron.
//
// Precedence (TPA, reference §1.5): per-server `barman_X` comes from the *backed-up*
// instance's context (its vars, else cluster_vars), falling back to `default_barman_X`
// (same context), then the code default. The global /etc/barman.conf uses only
// `default_barman_*` and the Barman host's `barman_log_file`/`barman_home`/`barman_user`.
import { closest } from '../../src/config/checks/levenshtein.js';
import {
  absolutePath,
  bad,
  bool,
  cronSchedule,
  dsnAttributes,
  int,
  matching,
  ok,
  oneOf,
  text,
  unixName,
  type Rule,
} from '../../src/config/checks/rules.js';
import { ClusterIssues } from '../../src/config/issues.js';
import { POSTGRES_ROLES } from '../../src/config/roles.js';
import { volumeFor } from '../../src/config/volumes.js';
import { showValue } from '../../src/config/printable.js';
import type { ClusterSpec, HostSpec, ResolvedVar, VarDefinition } from '../../src/config/types.js';
import {
  BARMAN_HOST_DEFAULTS,
  BARMAN_SERVER_DEFAULTS,
  DEFAULT_BARMAN_DEFAULTS,
  DEFAULT_SSH_PORT,
  GLOBAL_COMPRESSION_AUTO,
  DEFAULT_BDR_DATABASE,
  DEFAULT_BDR_NODE_GROUP,
  FLAVOURS,
  POSTGRES_CLUSTER_NAME,
  POSTGRES_DEFAULTS,
  POSTGRES_FLAVOURS,
  POSTGRES_SERVICE_NAME,
  TOLERATED_BARMAN_VARS,
  clientPackages,
  defaultPostgresBinDir,
  defaultPostgresConfDir,
  familyOf,
  postgresPackageName,
  type PostgresFlavour,
} from './defaults.js';
import { archiveCommandTo, backedUpSource, resolveTopology, restoreCommand, upstreamOf, type Topology } from './replication.js';
import type {
  BackupServerSpec,
  BarmanGlobalSettings,
  Configured,
  BarmanHostSpec,
  BarmanModel,
  BarmanServerSettings,
  PostgresHostSpec,
  PostgresWalSettings,
} from './model.js';

// ---------------------------------------------------------------------------------------
// Value rules of the Barman variables (combinators in src/config/checks/rules.ts).

/** Homes that would hand Barman (and its recursive chown) a system directory. */
const SYSTEM_DIRS = new Set(['/', '/etc', '/usr', '/var', '/var/lib', '/home', '/root', '/tmp', '/bin', '/sbin', '/lib', '/boot', '/dev', '/proc', '/sys', '/opt', '/srv']);

/** backup_name names /etc/barman.d/<n>.conf, <barman_home>/<n>, a cron file and `barman backup <n>`. */
const backupName = text((s) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) {
    return bad(`has an invalid value ${showValue(s)}`, 'letters, digits, ".", "_" and "-", starting with a letter or digit (it names files and a Barman server)');
  }
  if (s.length > 63) return bad('is longer than 63 characters');
  if (['all', 'barman'].includes(s.toLowerCase())) return bad(`cannot be ${showValue(s)}: Barman reserves that name`);
  return ok(s);
});

/** conninfo's host/port/dbname/user are derived; attributes must not override them. */
const dsn = dsnAttributes(new Set(['host', 'hostaddr', 'port', 'dbname', 'user', 'replication']));
const path = absolutePath;
const cron = cronSchedule;

/** postgres_flavour as roles/init reads it: `2q` is the old name of pgextended. */
const flavour = text((s) => {
  const v = s === '2q' ? 'pgextended' : s;
  if ((POSTGRES_FLAVOURS as readonly string[]).includes(v)) return ok(v);
  const near = closest(s, POSTGRES_FLAVOURS);
  return bad(`must be one of ${POSTGRES_FLAVOURS.join(', ')}, not ${showValue(s)}`, near ? `did you mean ${near}?` : undefined);
});

const BARMAN_SERVER_RULES: Record<string, Rule> = {
  barman_archiver: bool,
  barman_log_file: path(),
  barman_backup_method: oneOf(['rsync', 'postgres', 'local-rsync']),
  // Barman's compression options, plus `none` which TPA writes when no compressor exists.
  barman_compression: oneOf(['gzip', 'bzip2', 'pigz', 'pygzip', 'pybzip2', 'xz', 'lz4', 'zstd', 'snappy', 'custom', 'none']),
  barman_reuse_backup: oneOf(['off', 'copy', 'link']),
  barman_parallel_jobs: int(1, 128),
  barman_backup_options: matching(
    /^(exclusive_backup|concurrent_backup|external_configuration)(,(exclusive_backup|concurrent_backup|external_configuration))*$/,
    'concurrent_backup, exclusive_backup or external_configuration (comma-separated, no spaces)',
  ),
  barman_immediate_checkpoint: bool,
  barman_network_compression: bool,
  barman_basebackup_retry_times: int(0, 1000),
  barman_basebackup_retry_sleep: int(0, 86400),
  barman_minimum_redundancy: int(0, 1000),
  barman_retention_policy: matching(
    /^(REDUNDANCY [1-9][0-9]{0,3}|RECOVERY WINDOW OF [1-9][0-9]{0,3} (DAY|WEEK|MONTH)S?)$/i,
    'Barman\'s grammar: "REDUNDANCY n" or "RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS"',
  ),
  barman_last_backup_maximum_age: matching(/^[1-9][0-9]{0,3} (DAY|WEEK|MONTH)S?$/i, '"n DAYS", "n WEEKS" or "n MONTHS", e.g. "1 WEEK"'),
  barman_pre_archive_retry_script: path(),
  barman_post_backup_retry_script: path(),
  barman_post_backup_script: path(),
  barman_streaming_wals_directory: path(),
  barman_backup_interval: cron,
  // Ours (TPA has no restore tests): where restore tests run, and their schedule.
  barman_restore_host: text((s) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) ? ok(s) : bad(`has an invalid value ${showValue(s)}`, 'the Name of a PostgreSQL instance of this cluster'))),
  barman_restore_test_interval: cron,
};

const VAR_RULES: Record<string, Rule> = {
  ...BARMAN_SERVER_RULES,
  // default_barman_X takes the same values as barman_X.
  ...Object.fromEntries(Object.entries(BARMAN_SERVER_RULES).map(([k, r]) => [`default_${k}`, r])),
  backup_name: backupName,
  barman_user: unixName,
  barman_group: unixName,
  barman_home: path((s) => (SYSTEM_DIRS.has(s) ? `must not be the system directory ${s}` : undefined)),
  barman_shared: bool,
  barman_package_version: matching(/^[0-9A-Za-z.+~:*][0-9A-Za-z.+~:*-]{0,63}$/, 'an apt/yum version such as 3.10.0-1 or 3.10.*'),
  barman_installation_method: text((s) => (s === 'pkg' ? ok(s) : bad(`must be pkg, not ${showValue(s)}`, 'tpa-barman installs Barman from packages only'))),
  barman_client_dsn_attributes: dsn,
  streaming_barman_client_dsn_attributes: dsn,
  postgres_version: int(10, 99),
  postgres_port: int(1, 65535),
  postgres_user: unixName,
  postgres_group: unixName,
  postgres_bin_dir: path(),
  postgres_conf_dir: path(),
  postgres_data_dir: path(),
  postgres_flavour: flavour,
  // The name TPA used before postgres_flavour; still read when that is unset.
  postgresql_flavour: flavour,
  bdr_database: matching(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a database name: letters, digits and "_"'),
  // Set by the user, TPA keeps them, and so do we (left alone on the server).
  archive_command: text((s) => (s.trim() === '' ? bad('is empty') : ok(s))),
  restore_command: text((s) => (s.trim() === '' ? bad('is empty') : ok(s))),
};

const KNOWN_BARMAN_VARS: readonly string[] = [...Object.keys(VAR_RULES), ...TOLERATED_BARMAN_VARS].filter((n) => /barman/.test(n));

function isBarmanVarName(name: string): boolean {
  return name.startsWith('barman_') || name.startsWith('default_barman_');
}

// ---------------------------------------------------------------------------------------
// Checking variable definitions where they are written.

/** Definitions from the loader, or rebuilt from host vars for a hand-made ClusterSpec. */
function definitionsOf(cluster: ClusterSpec): VarDefinition[] {
  if (cluster.varDefinitions) return cluster.varDefinitions;
  const seen = new Map<string, VarDefinition>();
  for (const h of cluster.hosts) {
    for (const [name, v] of Object.entries(h.vars)) {
      const key = v.key ?? `${h.key ?? h.name}.vars.${name}`;
      if (!seen.has(key) && v.pos) seen.set(key, { name, value: v.value, scope: v.source === 'cluster_vars' ? 'cluster_vars' : 'instance', key, pos: v.pos });
    }
  }
  return [...seen.values()];
}

function checkDefinitions(cluster: ClusterSpec, issues: ClusterIssues): void {
  for (const def of definitionsOf(cluster)) {
    const rule = VAR_RULES[def.name];
    const where = { key: def.key, pos: def.pos };
    if (def.scope === 'top' && (isBarmanVarName(def.name) || def.name === 'backup_name')) {
      issues.add(`${def.name} is set at the top level of config.yml, where it is not a variable`, { ...where, hint: 'move it under cluster_vars: (or an instance\'s vars:)' });
      continue;
    }
    if (!rule) {
      if (isBarmanVarName(def.name) && !KNOWN_BARMAN_VARS.includes(def.name)) {
        const hint = (): string => {
          const near = closest(def.name, KNOWN_BARMAN_VARS);
          return near ? `did you mean ${near}?` : 'see the barman_* variables in the documentation';
        };
        issues.add(`unknown Barman setting ${def.name}`, { ...where, hint });
      }
      continue;
    }
    const checked = rule(def.value);
    if (!checked.ok) issues.add(`${def.name} ${checked.problem}`, { ...where, hint: checked.hint });
  }
}

// ---------------------------------------------------------------------------------------
// Resolving values in one host's context.

/** The first of `names` set for `host` (normalised by its rule), else the default. */
function pick(host: HostSpec, names: readonly string[], fallback: unknown): ResolvedVar {
  for (const name of names) {
    const v = host.vars[name];
    if (v === undefined || v.value === undefined || v.value === null) continue;
    const rule = VAR_RULES[name];
    const checked = rule ? rule(v.value) : ok(v.value);
    // Invalid values were reported by checkDefinitions; resolve to the default meanwhile.
    if (checked.ok) return { ...v, value: checked.value };
  }
  return { value: fallback, source: 'default' };
}

/** barman_X, else default_barman_X, else the code default — all in `host`'s context. */
function barmanSetting(host: HostSpec, name: keyof typeof BARMAN_SERVER_RULES): ResolvedVar {
  const fallback = name === 'barman_backup_interval' ? BARMAN_HOST_DEFAULTS.barman_backup_interval : BARMAN_SERVER_DEFAULTS[name as keyof typeof BARMAN_SERVER_DEFAULTS];
  return pick(host, [name, `default_${name}`], fallback);
}

function defaultSetting(host: HostSpec, name: keyof typeof DEFAULT_BARMAN_DEFAULTS): ResolvedVar {
  return pick(host, [name], DEFAULT_BARMAN_DEFAULTS[name]);
}

const str = (v: ResolvedVar): string => String(v.value);
const num = (v: ResolvedVar): number => Number(v.value);
const flag = (v: ResolvedVar): boolean => v.value === true;
const optional = (v: ResolvedVar): string | undefined => (v.value === undefined ? undefined : String(v.value));

interface PostgresContext {
  flavour: ResolvedVar;
  version: ResolvedVar;
  port: ResolvedVar;
  user: ResolvedVar;
  group: ResolvedVar;
  binDir: ResolvedVar;
  confDir: ResolvedVar;
  dataDir: ResolvedVar;
  sshPort: ResolvedVar;
  dsn: ResolvedVar;
  streamingDsn: ResolvedVar;
  packageVersion: ResolvedVar;
}

/**
 * A host's PostgreSQL settings, with TPA's per-flavour defaults (roles/init/tasks/
 * postgres.yml): EPAS runs as enterprisedb on 5444 from /usr/lib/edb-as/<v>/bin.
 */
function postgresContext(host: HostSpec): PostgresContext {
  const flavour = pick(host, ['postgres_flavour', 'postgresql_flavour'], POSTGRES_DEFAULTS.postgres_flavour);
  const f = FLAVOURS[familyOf(flavour.value as PostgresFlavour)];
  const version = pick(host, ['postgres_version'], POSTGRES_DEFAULTS.postgres_version);
  const dsn = pick(host, ['barman_client_dsn_attributes'], BARMAN_HOST_DEFAULTS.barman_client_dsn_attributes);
  const user = pick(host, ['postgres_user'], f.user);
  return {
    flavour,
    version,
    port: pick(host, ['postgres_port'], f.port),
    user,
    // TPA: postgres_group defaults to the flavour's user name, not to postgres_user.
    group: pick(host, ['postgres_group'], f.user),
    binDir: pick(host, ['postgres_bin_dir'], defaultPostgresBinDir(num(version), flavour.value as PostgresFlavour)),
    confDir: pick(host, ['postgres_conf_dir'], defaultPostgresConfDir(num(version))),
    dataDir: pick(host, ['postgres_data_dir'], undefined),
    sshPort: pick(host, ['cluster_ssh_port'], DEFAULT_SSH_PORT),
    dsn,
    // streaming_barman_client_dsn_attributes defaults to barman_client_dsn_attributes.
    streamingDsn: pick(host, ['streaming_barman_client_dsn_attributes', 'barman_client_dsn_attributes'], dsn.value),
    packageVersion: pick(host, ['barman_package_version'], undefined),
  };
}

/** Per-server settings for `pg`'s /etc/barman.d file, with each value's origin. */
function serverSettings(pg: HostSpec): { settings: BarmanServerSettings; vars: Record<string, ResolvedVar> } {
  const v = Object.fromEntries(
    Object.keys(BARMAN_SERVER_RULES)
      .filter((n) => n !== 'barman_log_file' && n !== 'barman_restore_host' && n !== 'barman_restore_test_interval')
      .map((n) => [n, barmanSetting(pg, n)]),
  ) as Record<string, ResolvedVar>;
  const get = (n: string): ResolvedVar => v[n] as ResolvedVar;
  const settings: BarmanServerSettings = {
    archiver: flag(get('barman_archiver')),
    backupMethod: str(get('barman_backup_method')),
    compression: str(get('barman_compression')),
    reuseBackup: str(get('barman_reuse_backup')),
    parallelJobs: num(get('barman_parallel_jobs')),
    backupOptions: str(get('barman_backup_options')),
    immediateCheckpoint: flag(get('barman_immediate_checkpoint')),
    networkCompression: flag(get('barman_network_compression')),
    basebackupRetryTimes: num(get('barman_basebackup_retry_times')),
    basebackupRetrySleep: num(get('barman_basebackup_retry_sleep')),
    minimumRedundancy: num(get('barman_minimum_redundancy')),
    retentionPolicy: str(get('barman_retention_policy')),
    lastBackupMaximumAge: str(get('barman_last_backup_maximum_age')),
    backupInterval: str(get('barman_backup_interval')),
  };
  const scripts = {
    preArchiveRetryScript: 'barman_pre_archive_retry_script',
    postBackupRetryScript: 'barman_post_backup_retry_script',
    postBackupScript: 'barman_post_backup_script',
    streamingWalsDirectory: 'barman_streaming_wals_directory',
  } as const;
  for (const [field, name] of Object.entries(scripts) as Array<[keyof typeof scripts, string]>) {
    const value = optional(get(name));
    if (value === undefined) delete v[name];
    else settings[field] = value;
  }
  return { settings, vars: v };
}

/** Global /etc/barman.conf values for one Barman host. */
function globalSettings(barman: HostSpec, pg: PostgresContext): { global: BarmanGlobalSettings; vars: Record<string, ResolvedVar> } {
  const d = (n: keyof typeof DEFAULT_BARMAN_DEFAULTS): ResolvedVar => defaultSetting(barman, n);
  const home = pick(barman, ['barman_home'], BARMAN_HOST_DEFAULTS.barman_home);
  const user = pick(barman, ['barman_user'], BARMAN_HOST_DEFAULTS.barman_user);
  const logFile = pick(barman, ['barman_log_file', 'default_barman_log_file'], BARMAN_SERVER_DEFAULTS.barman_log_file);
  // Compression: the user's default_barman_compression, else detected on the host ("auto").
  const compressionSet = d('default_barman_compression');
  const compression = compressionSet.source === 'default' ? { value: GLOBAL_COMPRESSION_AUTO, source: 'default' as const } : compressionSet;
  const vars: Record<string, ResolvedVar> = {
    barman_home: home,
    barman_user: user,
    barman_log_file: logFile,
    default_barman_backup_method: d('default_barman_backup_method'),
    default_barman_parallel_jobs: d('default_barman_parallel_jobs'),
    default_barman_reuse_backup: d('default_barman_reuse_backup'),
    default_barman_backup_options: d('default_barman_backup_options'),
    default_barman_immediate_checkpoint: d('default_barman_immediate_checkpoint'),
    default_barman_compression: compression,
    default_barman_network_compression: d('default_barman_network_compression'),
    default_barman_basebackup_retry_times: d('default_barman_basebackup_retry_times'),
    default_barman_basebackup_retry_sleep: d('default_barman_basebackup_retry_sleep'),
    default_barman_minimum_redundancy: d('default_barman_minimum_redundancy'),
    default_barman_retention_policy: d('default_barman_retention_policy'),
    default_barman_last_backup_maximum_age: d('default_barman_last_backup_maximum_age'),
    postgres_bin_dir: pg.binDir,
  };
  const g = (n: string): ResolvedVar => vars[n] as ResolvedVar;
  const global: BarmanGlobalSettings = {
    barmanHome: str(home),
    barmanUser: str(user),
    logFile: str(logFile),
    backupMethod: str(g('default_barman_backup_method')),
    parallelJobs: num(g('default_barman_parallel_jobs')),
    reuseBackup: str(g('default_barman_reuse_backup')),
    backupOptions: str(g('default_barman_backup_options')),
    immediateCheckpoint: flag(g('default_barman_immediate_checkpoint')),
    compression: str(compression),
    networkCompression: flag(g('default_barman_network_compression')),
    basebackupRetryTimes: num(g('default_barman_basebackup_retry_times')),
    basebackupRetrySleep: num(g('default_barman_basebackup_retry_sleep')),
    minimumRedundancy: num(g('default_barman_minimum_redundancy')),
    retentionPolicy: str(g('default_barman_retention_policy')),
    lastBackupMaximumAge: str(g('default_barman_last_backup_maximum_age')),
    pathPrefix: str(pg.binDir),
  };
  return { global, vars };
}

/** `{ [field]: { value, where } }` when config.yml sets the variable itself, else `{}`. */
function configured<K extends string, T>(field: K, v: ResolvedVar, conv: (v: ResolvedVar) => T): { [P in K]?: Configured<T> } {
  if (v.source === 'default' || v.source === 'derived' || v.value === undefined) return {};
  const at = v.pos ? `${v.pos.file}:${v.pos.line}:${v.pos.col}` : v.source;
  const where = v.key ? `${at}, ${v.key}` : at;
  return { [field]: { value: conv(v), where } } as { [P in K]?: Configured<T> };
}

// ---------------------------------------------------------------------------------------
// Derived names.

/** TPA's backup_slot_name filter: `backup_` + host up to the first '.', '-' → '_'. */
export function slotNameFor(barmanHost: string): string {
  return `backup_${(barmanHost.split('.')[0] ?? barmanHost).replace(/-/g, '_')}`;
}

/** /etc/cron.d/<name>: cron ignores files with dots in their names, so TPA cuts at the first. */
export function cronFileNameFor(backupName: string): string {
  return backupName.split('.')[0] ?? backupName;
}

/**
 * `host=<pg> port=<port> dbname=postgres user=<user> <attrs>`. TPA leaves a trailing space
 * inside the quotes when there are no attributes (quirk §11.13); we trim it.
 */
export function conninfoFor(pgHost: string, port: number, user: string, attributes: string): string {
  return `host=${pgHost} port=${port} dbname=postgres user=${user} ${attributes}`.trim();
}

// ---------------------------------------------------------------------------------------
// Topology checks and assembly.

function where(h: HostSpec, name: string): { key: string; pos: HostSpec['pos'] } {
  const v = h.vars[name];
  return { key: v?.key ?? `${h.key ?? h.name}.${name}`, pos: v?.pos ?? h.pos };
}

/** Names for a message, at most ten of them. */
function nameList(names: string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

/** Every `backup:` must name one instance with the barman role; backed-up hosts run Postgres. */
function checkBackupTargets(cluster: ClusterSpec, issues: ClusterIssues): Map<string, string[]> {
  const byName = new Map(cluster.hosts.map((h) => [h.name, h]));
  const barmanNames = cluster.hosts.filter((h) => h.roles.includes('barman')).map((h) => h.name);
  const referrers = new Map<string, HostSpec[]>();
  const valid = new Map<string, string[]>();
  for (const h of cluster.hosts) {
    if (h.backup.length === 0) continue;
    if (!h.roles.includes('postgres')) {
      issues.add(`instance ${h.name} has backup: set but no postgres role (role: ${h.roles.join(', ') || 'none'})`, {
        ...where(h, 'backup'),
        hint: 'only PostgreSQL instances (primary, replica, witness, bdr or postgres) can be backed up',
      });
      continue;
    }
    const targets: string[] = [];
    for (const t of h.backup) {
      if (targets.includes(t)) {
        issues.add(`backup lists ${t} twice`, where(h, 'backup'));
        continue;
      }
      targets.push(t);
      const list = referrers.get(t) ?? [];
      list.push(h);
      referrers.set(t, list);
    }
    valid.set(h.name, targets);
  }
  for (const [target, hosts] of referrers) {
    const found = byName.get(target);
    if (found?.roles.includes('barman')) continue;
    const first = hosts[0] as HostSpec;
    const hint = (): string => {
      if (found) return `${target} exists but its role is [${found.roles.join(', ')}]; add barman to its role`;
      const near = closest(target, barmanNames);
      if (near) return `did you mean ${near}?`;
      return barmanNames.length ? `Barman instances: ${barmanNames.slice(0, 10).join(', ')}` : 'add an instance with role: [barman]';
    };
    issues.add(`An instance with Name=${target} and 'barman' in role must exist, because of the 'backup: ${target}' setting on instance(s) ${nameList(hosts.map((h) => h.name))}`, { ...where(first, 'backup'), hint });
    for (const h of hosts) valid.set(h.name, (valid.get(h.name) ?? []).filter((t) => t !== target));
  }
  return valid;
}

/** barman_shared only makes sense on the Barman instance itself (TPA docs, §6). */
function checkShared(cluster: ClusterSpec, issues: ClusterIssues): void {
  for (const h of cluster.hosts) {
    const v = h.vars['barman_shared'];
    if (!v || h.roles.includes('barman') || pick(h, ['barman_shared'], false).value !== true) continue;
    issues.add(`barman_shared is true for ${h.name}, which has no barman role`, { key: v.key, pos: v.pos ?? h.pos, hint: 'set barman_shared: true in the vars: of the shared Barman instance only' });
  }
}

/** barman_restore_host must name a PostgreSQL instance: it needs the server binaries and the ssh keys. */
function checkRestoreHosts(cluster: ClusterSpec, issues: ClusterIssues): void {
  const byName = new Map(cluster.hosts.map((h) => [h.name, h]));
  const pgNames = cluster.hosts.filter((h) => h.roles.includes('postgres')).map((h) => h.name);
  const reported = new Set<string>();
  for (const h of cluster.hosts) {
    for (const name of ['barman_restore_host', 'default_barman_restore_host']) {
      const v = h.vars[name];
      const value = v?.value;
      if (!v || typeof value !== 'string') continue;
      // A cluster_vars value is in every host's vars: report its definition once.
      const key = v.key ?? `${h.name}.${name}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const target = byName.get(value);
      if (target?.roles.includes('postgres')) continue;
      const hint = (): string => {
        if (target) return `${value} has role [${target.roles.join(', ')}]; a restore host needs PostgreSQL server binaries and the postgres user's ssh keys`;
        const near = closest(value, pgNames);
        return near ? `did you mean ${near}?` : `PostgreSQL instances: ${pgNames.slice(0, 10).join(', ')}`;
      };
      issues.add(`${name} ${showValue(value)} must name a PostgreSQL instance of this cluster`, { key: v.key, pos: v.pos ?? h.pos, hint });
    }
  }
}

/** On one Barman host, server names and cron files must not collide. */
function checkServerNames(hosts: ReadonlyMap<string, HostSpec>, barman: string, servers: BackupServerSpec[], issues: ClusterIssues): void {
  const byName = new Map<string, BackupServerSpec>();
  const byCron = new Map<string, BackupServerSpec>();
  for (const s of servers) {
    const at = where(hosts.get(s.pgHost) as HostSpec, 'backup_name');
    const sameName = byName.get(s.backupName.toLowerCase());
    if (sameName) {
      issues.add(`backup_name ${s.backupName} is used by both ${sameName.pgHost} and ${s.pgHost} on Barman host ${barman}`, { ...at, hint: 'set a unique backup_name in the vars: of one of them' });
      continue;
    }
    byName.set(s.backupName.toLowerCase(), s);
    const sameCron = byCron.get(s.cronFileName);
    if (sameCron) {
      issues.add(`backup names ${sameCron.backupName} and ${s.backupName} would share the cron file /etc/cron.d/${s.cronFileName} on ${barman}`, { ...at, hint: 'the cron file is named after backup_name up to its first "."; make that part unique' });
      continue;
    }
    byCron.set(s.cronFileName, s);
  }
}

/** A backed-up replica's primary, for Barman's primary_conninfo. */
interface PrimaryOf {
  host: HostSpec;
  ctx: PostgresContext;
}

function buildServer(pg: HostSpec, barmanHost: string, ctx: PostgresContext, primary?: PrimaryOf): { server: BackupServerSpec; vars: Record<string, ResolvedVar> } {
  const name = pick(pg, ['backup_name'], pg.name);
  const restoreHost = pick(pg, ['barman_restore_host', 'default_barman_restore_host'], pg.name);
  const { settings, vars } = serverSettings(pg);
  const backupName = str(name);
  const server: BackupServerSpec = {
    backupName,
    pgHost: pg.name,
    barmanHost,
    slotName: slotNameFor(barmanHost),
    sshCommand: `ssh -q ${str(ctx.user)}@${pg.name} -p ${num(ctx.sshPort)}`,
    conninfo: conninfoFor(pg.name, num(ctx.port), 'barman', str(ctx.dsn)),
    streamingConninfo: conninfoFor(pg.name, num(ctx.port), 'streaming_barman', str(ctx.streamingDsn)),
    settings,
    cronFileName: cronFileNameFor(backupName),
    fromReplica: pg.roles.includes('replica'),
    restoreHost: str(restoreHost),
  };
  if (primary) {
    // The replica's DSN attributes (TPA renders the server file in its context).
    server.standby = {
      primaryHost: primary.host.name,
      primaryConninfo: conninfoFor(primary.host.name, num(primary.ctx.port), 'barman', str(ctx.dsn)),
      primarySshCommand: `ssh -q ${str(primary.ctx.user)}@${primary.host.name} -p ${num(ctx.sshPort)}`,
    };
  }
  const restoreVars: Record<string, ResolvedVar> = { barman_restore_host: restoreHost };
  const interval = pick(pg, ['barman_restore_test_interval', 'default_barman_restore_test_interval'], undefined);
  if (interval.value !== undefined) {
    server.restoreTestInterval = str(interval);
    restoreVars['barman_restore_test_interval'] = interval;
  }
  return { server, vars: { backup_name: name, ...vars, ...restoreVars } };
}

function postgresVars(ctx: PostgresContext): Record<string, ResolvedVar> {
  const out: Record<string, ResolvedVar> = {
    postgres_flavour: ctx.flavour,
    postgres_version: ctx.version,
    postgres_port: ctx.port,
    postgres_user: ctx.user,
    postgres_group: ctx.group,
    postgres_bin_dir: ctx.binDir,
    cluster_ssh_port: ctx.sshPort,
    barman_client_dsn_attributes: ctx.dsn,
    streaming_barman_client_dsn_attributes: ctx.streamingDsn,
  };
  if (ctx.packageVersion.value !== undefined) out['barman_package_version'] = ctx.packageVersion;
  return out;
}

/** Slot names are per Barman host; two Barman hosts of one instance must not share one. */
function checkSlots(pg: HostSpec, targets: string[], issues: ClusterIssues): void {
  const seen = new Map<string, string>();
  for (const t of targets) {
    const slot = slotNameFor(t);
    const other = seen.get(slot);
    if (other) issues.add(`Barman hosts ${other} and ${t} would both use replication slot ${slot} on ${pg.name}`, { ...where(pg, 'backup'), hint: 'slot names come from the Barman host name up to its first "."' });
    seen.set(slot, t);
  }
}

/** TPA's barman_volume_mountable: the host declares a `volume_for: barman_data` volume. */
function hasBarmanVolume(b: HostSpec): ResolvedVar {
  const v = b.vars['volumes'];
  const list = Array.isArray(v?.value) ? (v.value as unknown[]) : [];
  const found = list.some((x) => volumeFor(x) === 'barman_data');
  return v && found ? { ...v, value: true, source: 'derived' } : { value: false, source: 'default' };
}

/**
 * TPA's first_bdr_primary per bdr_node_group: preferred_first_bdr_primary if set, else
 * the first BDR primary of the group (inventory order) that is no replica, readonly,
 * subscriber-only or witness node.
 */
function firstBdrPrimaries(pgHosts: HostSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  const excluded = ['replica', 'readonly', 'subscriber-only', 'witness'];
  for (const h of pgHosts) {
    if (!h.roles.includes('bdr') || !h.roles.includes('primary')) continue;
    const group = String(h.vars['bdr_node_group']?.value ?? DEFAULT_BDR_NODE_GROUP);
    const preferred = h.vars['preferred_first_bdr_primary']?.value;
    if (typeof preferred === 'string' && !out.has(group)) out.set(group, preferred);
    if (!out.has(group) && !excluded.some((r) => h.roles.includes(r))) out.set(group, h.name);
  }
  return out;
}

interface WalContext {
  cluster: ClusterSpec;
  topology: Topology;
  targetsOf: ReadonlyMap<string, string[]>;
  backups: readonly BackupServerSpec[];
  barmanHosts: readonly BarmanHostSpec[];
}

/**
 * archive_mode/archive_command (barman_archiver, TPA's roles/init) and restore_command
 * (replicas, TPA's roles/postgres/config) for one PostgreSQL instance.
 */
function walSettings(pg: HostSpec, ctx: PostgresContext, w: WalContext): PostgresWalSettings {
  const out: PostgresWalSettings = { notes: [] };
  const userSet = (name: string): boolean => pick(pg, [name], undefined).value !== undefined;
  const userOf = (barman: string): string => w.barmanHosts.find((b) => b.name === barman)?.user ?? BARMAN_HOST_DEFAULTS.barman_user;
  const isReplica = pg.roles.includes('replica');
  const own = w.backups.filter((s) => s.pgHost === pg.name);
  if (own.length > 0 && pick(pg, ['failover_manager'], undefined).value === 'patroni') {
    // TPA lists these in Patroni's bootstrap.dcs.ignore_slots; Patroni drops slots it does not know.
    const slots = own.map((s) => s.slotName).join(', ');
    out.notes.push(`Patroni manages replication slots here: keep ${slots} in ignore_slots (type: physical) of Patroni's DCS configuration, or Patroni drops ${own.length === 1 ? 'it' : 'them'}`);
  }
  const first = own[0];
  if (first?.settings.archiver) {
    const barmanHosts = own.map((s) => s.barmanHost);
    out.archive = { mode: isReplica ? 'always' : 'on', barmanHosts };
    if (!userSet('archive_command')) {
      out.archive.commands = barmanHosts.map((b) => archiveCommandTo(b, userOf(b), first.backupName, num(ctx.sshPort)));
      out.archive.command = out.archive.commands.join(' && ');
    }
  }
  if (!isReplica || userSet('restore_command')) return out;
  const root = w.topology.rootOf.get(pg.name) ?? pg.name;
  const source = backedUpSource(w.cluster.hosts, w.topology, root, pg, (n) => (w.targetsOf.get(n) ?? []).length > 0);
  const server = source === undefined ? undefined : w.backups.find((s) => s.pgHost === source);
  if (!server) return out;
  if (num(ctx.version) < 12) {
    out.notes.push(`restore_command is not set: PostgreSQL ${num(ctx.version)} keeps it in recovery.conf, which tpa-barman does not manage`);
    return out;
  }
  out.restore = {
    command: restoreCommand(server.barmanHost, userOf(server.barmanHost), server.backupName, num(ctx.sshPort)),
    barmanHost: server.barmanHost,
    server: server.backupName,
    source: server.pgHost,
  };
  return out;
}

/**
 * Resolve everything the Barman playbook needs from a loaded cluster. Throws ConfigError
 * (exit 5) listing every problem at once.
 */
export function resolveBarman(cluster: ClusterSpec): BarmanModel {
  const issues = new ClusterIssues(cluster);
  checkDefinitions(cluster, issues);
  const targetsOf = checkBackupTargets(cluster, issues);
  checkShared(cluster, issues);
  checkRestoreHosts(cluster, issues);
  const topology = resolveTopology(cluster, issues);
  const hostsByName = new Map(cluster.hosts.map((h) => [h.name, h]));

  const hostVars: Record<string, Record<string, ResolvedVar>> = {};
  const addVars = (host: string, vars: Record<string, ResolvedVar>): void => {
    hostVars[host] = { ...hostVars[host], ...vars };
  };

  const pgHosts = cluster.hosts.filter((h) => h.roles.includes('postgres'));
  const barmanSpecs = cluster.hosts.filter((h) => h.roles.includes('barman'));
  const backups: BackupServerSpec[] = [];
  for (const pg of pgHosts) {
    const ctx = postgresContext(pg);
    addVars(pg.name, postgresVars(ctx));
    const targets = targetsOf.get(pg.name) ?? [];
    checkSlots(pg, targets, issues);
    const root = hostsByName.get(topology.rootOf.get(pg.name) ?? pg.name);
    const primary = pg.roles.includes('replica') && root && root !== pg ? { host: root, ctx: postgresContext(root) } : undefined;
    for (const t of targets) {
      const { server, vars } = buildServer(pg, t, ctx, primary);
      backups.push(server);
      addVars(pg.name, vars);
    }
  }

  const serversOf = new Map<string, BackupServerSpec[]>();
  for (const s of backups) {
    const list = serversOf.get(s.barmanHost) ?? [];
    list.push(s);
    serversOf.set(s.barmanHost, list);
  }
  const barmanHosts: BarmanHostSpec[] = barmanSpecs.map((b) => {
    const ctx = postgresContext(b);
    const { global, vars } = globalSettings(b, ctx);
    const group = pick(b, ['barman_group'], BARMAN_HOST_DEFAULTS.barman_group);
    const shared = pick(b, ['barman_shared'], BARMAN_HOST_DEFAULTS.barman_shared);
    const servers = serversOf.get(b.name) ?? [];
    checkServerNames(hostsByName, b.name, servers, issues);
    const mountable = hasBarmanVolume(b);
    addVars(b.name, { ...vars, barman_group: group, barman_shared: shared, postgres_version: ctx.version, postgres_flavour: ctx.flavour, barman_volume_mountable: mountable });
    if (ctx.packageVersion.value !== undefined) addVars(b.name, { barman_package_version: ctx.packageVersion });
    const spec: BarmanHostSpec = {
      name: b.name,
      user: global.barmanUser,
      group: str(group),
      home: global.barmanHome,
      shared: flag(shared),
      postgresVersion: num(ctx.version),
      postgresFlavour: str(ctx.flavour),
      clientPackages: clientPackages(ctx.flavour.value as PostgresFlavour, num(ctx.version)),
      volumeMountable: mountable.value === true,
      postgresRoles: b.roles.filter((r) => POSTGRES_ROLES.includes(r)),
      global,
      servers,
      configured: {
        ...configured('version', ctx.version, num),
        ...configured('binDir', ctx.binDir, str),
      },
    };
    const version = optional(ctx.packageVersion);
    if (version !== undefined) spec.packageVersion = version;
    return spec;
  });

  issues.throwIfAny();

  const barmanAddresses = barmanSpecs.map((b) => ({ name: b.name, ipAddress: b.ipAddress }));
  const firstBdr = firstBdrPrimaries(pgHosts);
  const postgresHosts: PostgresHostSpec[] = pgHosts.map((pg) => {
    const ctx = postgresContext(pg);
    const f = ctx.flavour.value as PostgresFlavour;
    const bdrGroup = pg.roles.includes('bdr') ? String(pg.vars['bdr_node_group']?.value ?? DEFAULT_BDR_NODE_GROUP) : undefined;
    const isPrimary = !pg.roles.includes('replica');
    const spec: PostgresHostSpec = {
      name: pg.name,
      ipAddress: pg.ipAddress,
      version: num(ctx.version),
      port: num(ctx.port),
      flavour: f,
      user: str(ctx.user),
      group: str(ctx.group),
      home: FLAVOURS[familyOf(f)].home,
      socketDir: FLAVOURS[familyOf(f)].socketDir,
      serviceName: POSTGRES_SERVICE_NAME,
      packageName: postgresPackageName(f),
      binDir: str(ctx.binDir),
      clusterName: POSTGRES_CLUSTER_NAME,
      confDir: str(ctx.confDir),
      isPrimary,
      roles: pg.roles,
      // TPA creates users on every non-replica, but only once per BDR group.
      createsUsers: isPrimary && (bdrGroup === undefined || firstBdr.get(bdrGroup) === pg.name),
      usersDatabase: bdrGroup === undefined ? 'postgres' : str(pick(pg, ['bdr_database'], DEFAULT_BDR_DATABASE)),
      backupTo: targetsOf.get(pg.name) ?? [],
      barmanHosts: barmanAddresses,
      barmanClientDsnAttributes: str(ctx.dsn),
      streamingBarmanClientDsnAttributes: str(ctx.streamingDsn),
      wal: walSettings(pg, ctx, { cluster, topology, targetsOf, backups, barmanHosts }),
      configured: {
        ...configured('version', ctx.version, num),
        ...configured('port', ctx.port, num),
        ...configured('dataDir', ctx.dataDir, str),
        ...configured('confDir', ctx.confDir, str),
        ...configured('binDir', ctx.binDir, str),
      },
    };
    const version = optional(ctx.packageVersion);
    if (version !== undefined) spec.packageVersion = version;
    const upstream = upstreamOf(pg);
    if (upstream !== undefined) spec.upstream = upstream;
    const root = topology.rootOf.get(pg.name);
    if (root !== undefined && root !== pg.name) spec.upstreamPrimary = root;
    return spec;
  });

  const clusterPort = cluster.clusterVars['cluster_ssh_port'];
  return {
    clusterName: cluster.name,
    sshPort: typeof clusterPort === 'number' ? clusterPort : DEFAULT_SSH_PORT,
    barmanHosts,
    postgresHosts,
    backups,
    hostVars,
  };
}
