// `tpa-barman inventory DIR [--json]`: load and resolve the cluster without connecting
// anywhere, and show hosts, who backs up where, and every Barman value with its origin.
import { keyUsers } from '../../playbooks/barman/deploy.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import type { BackupServerSpec, BarmanHostSpec, BarmanModel, PostgresHostSpec } from '../../playbooks/barman/model.js';
import { assertKeyPairs } from '../controller/keys.js';
import { loadCluster } from '../config/load.js';
import { printable } from '../config/printable.js';
import type { ClusterSpec, HostSpec, ResolvedVar, SshSettings } from '../config/types.js';
import { ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { header } from '../report/json.js';
import { makeColors, type Colors } from '../report/style.js';
import { reportFailure } from './failure.js';

export interface InventoryOptions {
  json: boolean;
  /** --color / --no-color (default: on a terminal, unless NO_COLOR). */
  color?: boolean;
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

/** How the host is reached, when that is more than config.yml's user@address:port. */
function connectionDocument(ssh: SshSettings): Json | undefined {
  const doc: { [key: string]: Json } = {};
  if (ssh.transport === 'docker') {
    doc['transport'] = 'docker';
    if (ssh.container !== undefined) doc['container'] = ssh.container;
  }
  if (ssh.identityFiles) doc['identity_files'] = ssh.identityFiles;
  if (ssh.knownHostsFiles) doc['known_hosts_files'] = ssh.knownHostsFiles;
  if (ssh.jumps) doc['proxy_jump'] = ssh.jumps.map((j) => ({ spec: j.spec, address: j.address, port: j.port, user: j.user }));
  if (ssh.from) doc['from'] = { ...ssh.from };
  return Object.keys(doc).length ? doc : undefined;
}

function postgresDocument(p: PostgresHostSpec): Json {
  const doc: { [key: string]: Json } = {
    flavour: p.flavour,
    version: p.version,
    user: p.user,
    group: p.group,
    port: p.port,
    bin_dir: p.binDir,
    socket_dir: p.socketDir,
    service: p.serviceName,
    package: p.packageName,
    creates_users: p.createsUsers,
    users_database: p.usersDatabase,
    backup_to: p.backupTo,
  };
  if (p.upstreamPrimary !== undefined) doc['upstream_primary'] = p.upstreamPrimary;
  return doc;
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
  if (h.platformInferred !== undefined) doc['platform_inferred'] = h.platformInferred;
  if (h.location !== undefined) doc['location'] = h.location;
  if (h.upstream !== undefined) doc['upstream'] = h.upstream;
  const connection = connectionDocument(h.ssh);
  if (connection !== undefined) doc['connection'] = connection;
  const pg = model.postgresHosts.find((p) => p.name === h.name);
  if (pg) doc['postgres'] = postgresDocument(pg);
  if (h.notes?.length) doc['notes'] = h.notes;
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
    postgres_flavour: b.postgresFlavour,
    client_packages: b.clientPackages,
    volume_mountable: b.volumeMountable,
    postgres_roles: b.postgresRoles,
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
    from_replica: s.fromReplica,
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
  const doc: { [key: string]: Json } = {
    ...(header('inventory', 'inventory', ExitCode.Ok, cluster.name) as unknown as { [key: string]: Json }),
    cluster_name: cluster.name,
    cluster_ssh_port: model.sshPort,
  };
  if (cluster.sshKeyFile !== undefined) doc['ssh_key_file'] = { path: cluster.sshKeyFile, exists: !cluster.sshKeyMissing };
  if (cluster.inventoryFile !== undefined) doc['provisioned_inventory'] = cluster.inventoryFile;
  if (cluster.sshConfigFile !== undefined) doc['ssh_config'] = { path: cluster.sshConfigFile, ignored_options: cluster.sshConfigIgnored ?? [] };
  doc['hosts'] = cluster.hosts.map((h) => hostDocument(h, model));
  if (cluster.skippedInstances?.length) doc['skipped_instances'] = cluster.skippedInstances.map((s) => ({ name: s.name, reason: s.reason }));
  doc['barman_servers'] = model.barmanHosts.map(barmanDocument);
  if (cluster.configKeys) {
    doc['config_keys'] = {
      honoured: cluster.configKeys.honoured,
      provisioning_only: cluster.configKeys.provisioningOnly,
      not_read: cluster.configKeys.notRead,
    };
  }
  return doc;
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

export function inventoryText(cluster: ClusterSpec, model: BarmanModel, c: Colors = makeColors(process.stdout, false)): string {
  const out: string[] = [c.bold(`Cluster ${printable(cluster.name)}`) + `  (${printable(cluster.configFile)})`];
  if (cluster.sshKeyFile) out.push(`  ssh key: ${printable(cluster.sshKeyFile)}${cluster.sshKeyMissing ? '  (not found: ping and deploy need it)' : ''}`);
  out.push(`  known hosts: ${printable(cluster.knownHostsFile)}`);
  if (cluster.inventoryFile) out.push(`  provisioned inventory: ${printable(cluster.inventoryFile)}`);
  if (cluster.sshConfigFile) {
    const ignored = cluster.sshConfigIgnored?.length ? `  (ignored: ${cluster.sshConfigIgnored.map(printable).join(', ')})` : '';
    out.push(`  ssh_config: ${printable(cluster.sshConfigFile)}${ignored}`);
  }
  for (const s of cluster.skippedInstances ?? []) out.push(`  skipped ${printable(s.name)}: ${s.reason}`);
  out.push('', c.bold('Hosts'));
  out.push(
    ...table(
      [
        ['NAME', 'NODE', 'ROLES', 'IP ADDRESS', 'CONNECT', 'BACKUP TO'],
        ...cluster.hosts.map((h) => [
          h.name,
          String(h.node),
          h.roles.join(','),
          h.ipAddress || '-',
          connectText(h),
          h.backup.join(', ') || '-',
        ]),
      ],
      '  ',
    ),
  );

  const notes = cluster.hosts.flatMap((h) => [...(h.platformInferred ? [`${h.name}: ${h.platformInferred}`] : []), ...(h.notes ?? []).map((n) => `${h.name}: ${n}`)]);
  if (notes.length) out.push('', c.bold('Notes'), ...notes.map((n) => `  ${printable(n)}`));

  for (const b of model.barmanHosts) {
    const alsoPg = b.postgresRoles.length ? `; also PostgreSQL (${b.postgresRoles.join(', ')})` : '';
    out.push('', c.bold(`Barman host ${b.name}${b.shared ? ' (shared)' : ''}: ${b.servers.length} server(s)${alsoPg}`));
    out.push(`  barman_home ${printable(b.home)}${b.volumeMountable ? ' (barman_data volume: checked with findmnt)' : ''}; client packages: ${b.clientPackages.join(' ')}`);
    for (const s of b.servers) {
      out.push(`  [${printable(s.backupName)}] backs up ${s.pgHost}${s.fromReplica ? ' (a replica)' : ''}`);
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
    out.push('', c.bold(`Variables of ${h.name}`));
    out.push(...table(vars.map(([k, v]) => [k, show(v.value), origin(v)]), '  '));
  }
  const keys = cluster.configKeys;
  if (keys) {
    out.push('', 'config.yml keys');
    out.push(`  read:              ${keys.honoured.map(printable).join(', ') || '-'}`);
    out.push(`  provisioning only: ${keys.provisioningOnly.map(printable).join(', ') || '-'}  (validated, then ignored)`);
    out.push(`  not read:          ${keys.notRead.map(printable).join(', ') || '-'}  (settings of other parts of TPA)`);
  }
  return `${out.join('\n')}\n`;
}

/** `user@address:port`, or how else the host is reached. */
function connectText(h: HostSpec): string {
  if (h.ssh.transport === 'docker') return `docker exec ${h.ssh.container ?? h.name}`;
  const via = h.ssh.jumps?.length ? ` via ${h.ssh.jumps.map((j) => `${j.user}@${j.address}:${j.port}`).join(',')}` : '';
  return `${h.ssh.user}@${h.connectAddress}:${h.ssh.port}${via}`;
}

/** Load, resolve and print the inventory. Returns the exit code (5 on a config error). */
export async function runInventory(clusterDir: string, opts: InventoryOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  try {
    // No connection is made: a key file that is not on this machine is shown, not refused.
    const cluster = await loadCluster(clusterDir, { requireKeyFile: false });
    const model = resolveBarman(cluster);
    await assertKeyPairs(cluster.dir, keyUsers(model));
    out.write(opts.json ? `${JSON.stringify(inventoryDocument(cluster, model), null, 2)}\n` : inventoryText(cluster, model, makeColors(out, opts.color)));
    return ExitCode.Ok;
  } catch (e) {
    if (e instanceof ToolError) return reportFailure('inventory', e, { json: opts.json, out, err });
    throw e;
  }
}
