import { barmanRoleGrants } from '../../../playbooks/barman/grants.js';
import type { BackupServerSpec, BarmanGlobalSettings, BarmanHostSpec, BarmanServerSettings } from '../../../playbooks/barman/model.js';
import { grantExecuteSql, grantRoleSql } from '../../../src/postgres/sql.js';

/** The GRANT statements the deploy runs for barmanRoleGrants(pgVersion), as the resources build them. */
export function barmanRoleGrantStatements(pgVersion: number, role = 'barman_role'): string[] {
  const g = barmanRoleGrants(pgVersion);
  return [...g.functions.map((f) => grantExecuteSql(f, role)), ...g.roles.map((r) => grantRoleSql(r, role))];
}

/** Statements as a script: each ends with `;` and a newline. */
export function sqlScript(statements: readonly string[]): string {
  return statements.map((s) => `${s};\n`).join('');
}

/** TPA's defaults for /etc/barman.conf (compression auto-detected). */
export function defaultGlobal(over: Partial<BarmanGlobalSettings> = {}): BarmanGlobalSettings {
  return {
    barmanHome: '/var/lib/barman',
    barmanUser: 'barman',
    logFile: '/var/log/barman/barman.log',
    backupMethod: 'rsync',
    parallelJobs: 1,
    reuseBackup: 'link',
    backupOptions: 'concurrent_backup',
    immediateCheckpoint: false,
    compression: 'auto',
    networkCompression: false,
    basebackupRetryTimes: 3,
    basebackupRetrySleep: 30,
    minimumRedundancy: 3,
    retentionPolicy: 'RECOVERY WINDOW OF 4 WEEKS',
    lastBackupMaximumAge: '1 WEEK',
    pathPrefix: '/usr/lib/postgresql/15/bin',
    ...over,
  };
}

/** TPA's per-server defaults (barman_* falling back to the role defaults). */
export function defaultSettings(over: Partial<BarmanServerSettings> = {}): BarmanServerSettings {
  return {
    archiver: false,
    backupMethod: 'rsync',
    compression: 'pigz',
    reuseBackup: 'link',
    parallelJobs: 1,
    backupOptions: 'concurrent_backup',
    immediateCheckpoint: false,
    networkCompression: false,
    basebackupRetryTimes: 3,
    basebackupRetrySleep: 30,
    minimumRedundancy: 3,
    retentionPolicy: 'RECOVERY WINDOW OF 4 WEEKS',
    lastBackupMaximumAge: '1 WEEK',
    backupInterval: '0 4 * * wed,sat',
    ...over,
  };
}

/** Instance `name` backed up to Barman host `two`, everything default. */
export function server(name: string, over: Partial<BackupServerSpec> = {}, settings: Partial<BarmanServerSettings> = {}): BackupServerSpec {
  return {
    backupName: name,
    pgHost: name,
    barmanHost: 'two',
    slotName: 'backup_two',
    sshCommand: `ssh -q postgres@${name} -p 22`,
    conninfo: `host=${name} port=5432 dbname=postgres user=barman`,
    streamingConninfo: `host=${name} port=5432 dbname=postgres user=streaming_barman`,
    cronFileName: name,
    fromReplica: false,
    restoreHost: name,
    ...over,
    settings: defaultSettings(settings),
  };
}

export function barmanHost(over: Partial<BarmanHostSpec> = {}, global: Partial<BarmanGlobalSettings> = {}): BarmanHostSpec {
  return {
    name: 'two',
    user: 'barman',
    group: 'barman',
    home: '/var/lib/barman',
    shared: false,
    postgresVersion: 15,
    postgresFlavour: 'postgresql',
    clientPackages: ['postgresql-client-15'],
    volumeMountable: false,
    postgresRoles: [],
    configured: {},
    servers: [server('one')],
    ...over,
    global: defaultGlobal(global),
  };
}
