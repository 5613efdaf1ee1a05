// `tpa-barman inventory DIR [--json]`: load and resolve the cluster without connecting
// anywhere, and show hosts, who backs up where, and every Barman value with its origin.
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import type { BackupServerSpec, BarmanHostSpec, BarmanModel } from '../../playbooks/barman/model.js';
import { loadCluster } from '../config/load.js';
import { printable } from '../config/printable.js';
import type { ClusterSpec, HostSpec, ResolvedVar } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

export interface InventoryOptions {
  json: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return String(value);
}

function sortedVars(vars: Record<string, ResolvedVar> | undefined): Array<[string, ResolvedVar]> {
  return Object.entries(vars ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

function hostDocument(h: HostSpec, model: BarmanModel): Json {
  const vars = sortedVars(model.hostVars?.[h.name]);
  const doc: { [key: string]: Json } = {
    name: h.name,
    node: h.node,
    roles: h.roles,
    platform: h.platform,
    ip_address: h.ipAddress,
    ansible_host: h.connectAddress,
    ansible_user: h.ssh.user,
    ansible_port: h.ssh.port,
    backup: h.backup,
  };
  if (h.location !== undefined) doc['location'] = h.location;
  if (h.upstream !== undefined) doc['upstream'] = h.upstream;
  doc['vars'] = Object.fromEntries(vars.map(([k, v]) => [k, toJson(v.value)]));
  doc['sources'] = Object.fromEntries(vars.map(([k, v]) => [k, v.source]));
  return doc;
}

/** The per-server settings under Barman's own key names. */
function serverSettingsDocument(s: BackupServerSpec): Json {
  const t = s.settings;
  const doc: { [key: string]: Json } = {
    archiver: t.archiver,
    backup_method: t.backupMethod,
    compression: t.compression,
    reuse_backup: t.reuseBackup,
    parallel_jobs: t.parallelJobs,
    backup_options: t.backupOptions,
    immediate_checkpoint: t.immediateCheckpoint,
    network_compression: t.networkCompression,
    basebackup_retry_times: t.basebackupRetryTimes,
    basebackup_retry_sleep: t.basebackupRetrySleep,
    minimum_redundancy: t.minimumRedundancy,
    retention_policy: t.retentionPolicy,
    last_backup_maximum_age: t.lastBackupMaximumAge,
  };
  if (t.preArchiveRetryScript !== undefined) doc['pre_archive_retry_script'] = t.preArchiveRetryScript;
  if (t.postBackupRetryScript !== undefined) doc['post_backup_retry_script'] = t.postBackupRetryScript;
  if (t.postBackupScript !== undefined) doc['post_backup_script'] = t.postBackupScript;
  if (t.streamingWalsDirectory !== undefined) doc['streaming_wals_directory'] = t.streamingWalsDirectory;
  return doc;
}

function barmanDocument(b: BarmanHostSpec): Json {
  const g = b.global;
  const doc: { [key: string]: Json } = {
    name: b.name,
    barman_user: b.user,
    barman_group: b.group,
    barman_home: b.home,
    barman_shared: b.shared,
    postgres_version: b.postgresVersion,
  };
  if (b.packageVersion !== undefined) doc['barman_package_version'] = b.packageVersion;
  doc['global'] = {
    barman_home: g.barmanHome,
    barman_user: g.barmanUser,
    log_file: g.logFile,
    backup_method: g.backupMethod,
    parallel_jobs: g.parallelJobs,
    reuse_backup: g.reuseBackup,
    backup_options: g.backupOptions,
    immediate_checkpoint: g.immediateCheckpoint,
    compression: g.compression,
    network_compression: g.networkCompression,
    basebackup_retry_times: g.basebackupRetryTimes,
    basebackup_retry_sleep: g.basebackupRetrySleep,
    minimum_redundancy: g.minimumRedundancy,
    retention_policy: g.retentionPolicy,
    last_backup_maximum_age: g.lastBackupMaximumAge,
    path_prefix: g.pathPrefix,
  };
  doc['backups'] = b.servers.map((s) => ({
    backup_name: s.backupName,
    target: s.pgHost,
    config_file: `/etc/barman.d/${s.backupName}.conf`,
    slot_name: s.slotName,
    ssh_command: s.sshCommand,
    conninfo: s.conninfo,
    streaming_conninfo: s.streamingConninfo,
    cron_file: `/etc/cron.d/${s.cronFileName}`,
    backup_interval: s.settings.backupInterval,
    settings: serverSettingsDocument(s),
  }));
  return doc;
}

/** The stable JSON document of `inventory --json` (keys use TPA's variable names). */
export function inventoryDocument(cluster: ClusterSpec, model: BarmanModel): Json {
  return {
    cluster_name: cluster.name,
    cluster_ssh_port: model.sshPort,
    hosts: cluster.hosts.map((h) => hostDocument(h, model)),
    barman_servers: model.barmanHosts.map(barmanDocument),
  };
}

// ---------------------------------------------------------------------------------------
// Human view.

function show(value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  if (value === '') return '""';
  if (Array.isArray(value)) return value.map((v) => show(v)).join(', ');
  return printable(typeof value === 'string' ? value : JSON.stringify(value));
}

function origin(v: ResolvedVar): string {
  return v.source === 'default' ? 'default' : `${v.source}${v.key ? ` (${v.key})` : ''}`;
}

function table(rows: string[][], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function inventoryText(cluster: ClusterSpec, model: BarmanModel): string {
  const out: string[] = [`Cluster ${printable(cluster.name)}  (${printable(cluster.configFile)})`];
  if (cluster.sshKeyFile) out.push(`  ssh key: ${printable(cluster.sshKeyFile)}`);
  out.push(`  known hosts: ${printable(cluster.knownHostsFile)}`, '', 'Hosts');
  out.push(
    ...table(
      [
        ['NAME', 'NODE', 'ROLES', 'IP ADDRESS', 'CONNECT', 'BACKUP TO'],
        ...cluster.hosts.map((h) => [
          h.name,
          String(h.node),
          h.roles.join(','),
          h.ipAddress || '-',
          `${h.ssh.user}@${h.connectAddress}:${h.ssh.port}`,
          h.backup.join(', ') || '-',
        ]),
      ],
      '  ',
    ),
  );

  for (const b of model.barmanHosts) {
    out.push('', `Barman host ${b.name}${b.shared ? ' (shared)' : ''}: ${b.servers.length} server(s)`);
    for (const s of b.servers) {
      out.push(`  [${printable(s.backupName)}] backs up ${s.pgHost}`);
      out.push(
        ...table(
          [
            ['slot_name', s.slotName],
            ['ssh_command', printable(s.sshCommand)],
            ['conninfo', printable(s.conninfo)],
            ['streaming_conninfo', printable(s.streamingConninfo)],
            ['cron', `/etc/cron.d/${printable(s.cronFileName)}: ${printable(s.settings.backupInterval)}`],
          ],
          '    ',
        ),
      );
    }
  }

  for (const h of cluster.hosts) {
    const vars = sortedVars(model.hostVars?.[h.name]);
    if (!vars.length) continue;
    out.push('', `Variables of ${h.name}`);
    out.push(...table(vars.map(([k, v]) => [k, show(v.value), origin(v)]), '  '));
  }
  return `${out.join('\n')}\n`;
}

/** Load, resolve and print the inventory. Returns the exit code (5 on a config error). */
export async function runInventory(clusterDir: string, opts: InventoryOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  try {
    const cluster = await loadCluster(clusterDir);
    const model = resolveBarman(cluster);
    out.write(opts.json ? `${JSON.stringify(inventoryDocument(cluster, model), null, 2)}\n` : inventoryText(cluster, model));
    return ExitCode.Ok;
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
