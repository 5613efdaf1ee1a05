// The Ansible inventory for bench/ansible/deploy.yml, written from tpa-barman's resolved
// model of the cluster directory: the same inputs for both tools (what TPA's inventory
// and role defaults resolve to). Rendering, reading hosts, deciding and changing are
// left to Ansible.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadCluster } from '../src/config/load.js';
import { barmanRoleGrants } from '../playbooks/barman/grants.js';
import { resolveBarman } from '../playbooks/barman/inventory.js';
import type { BarmanServerSettings } from '../playbooks/barman/model.js';

function settingsVars(s: BarmanServerSettings): Record<string, unknown> {
  return {
    archiver: s.archiver,
    backup_method: s.backupMethod,
    compression: s.compression,
    reuse_backup: s.reuseBackup,
    parallel_jobs: s.parallelJobs,
    backup_options: s.backupOptions,
    immediate_checkpoint: s.immediateCheckpoint,
    network_compression: s.networkCompression,
    basebackup_retry_times: s.basebackupRetryTimes,
    basebackup_retry_sleep: s.basebackupRetrySleep,
    minimum_redundancy: s.minimumRedundancy,
    retention_policy: s.retentionPolicy,
    last_backup_maximum_age: s.lastBackupMaximumAge,
    pre_archive_retry_script: s.preArchiveRetryScript ?? null,
    post_backup_retry_script: s.postBackupRetryScript ?? null,
    post_backup_script: s.postBackupScript ?? null,
    streaming_wals_directory: s.streamingWalsDirectory ?? null,
  };
}

/** Write DIR/ansible-inventory.yml; returns its path and the number of hosts. */
export async function writeInventory(dir: string): Promise<{ path: string; hosts: number }> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const byName = new Map(cluster.hosts.map((h) => [h.name, h]));
  const conn = (name: string): Record<string, unknown> => {
    const h = byName.get(name);
    if (!h) throw new Error(`host ${name} is not in the inventory`);
    return { ansible_host: h.connectAddress, ansible_port: h.ssh.port, ansible_user: h.ssh.user, ip_address: h.ipAddress };
  };
  const inModel = new Set([...model.barmanHosts.map((b) => b.name), ...model.postgresHosts.map((p) => p.name)]);
  const barmanHosts: Record<string, unknown> = {};
  for (const b of model.barmanHosts) {
    const g = b.global;
    barmanHosts[b.name] = {
      ...conn(b.name),
      barman_user: b.user,
      barman_group: b.group,
      barman_home: b.home,
      barman_shared: b.shared,
      postgres_version: b.postgresVersion,
      barman_global: {
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
      },
      barman_servers: b.servers.map((s) => ({
        backup_name: s.backupName,
        pg_host: s.pgHost,
        slot_name: s.slotName,
        ssh_command: s.sshCommand,
        conninfo: s.conninfo,
        streaming_conninfo: s.streamingConninfo,
        cron_file_name: s.cronFileName,
        backup_interval: s.settings.backupInterval,
        settings: settingsVars(s.settings),
      })),
    };
  }
  const postgresHosts: Record<string, unknown> = {};
  for (const p of model.postgresHosts) {
    const grants = barmanRoleGrants(p.version);
    postgresHosts[p.name] = {
      ...conn(p.name),
      pg_user: p.user,
      pg_group: p.group,
      pg_port: p.port,
      pg_version: p.version,
      pg_cluster: p.clusterName,
      pg_conf_dir: p.confDir,
      pg_is_primary: p.isPrimary,
      pg_backup_to: p.barmanHosts.filter((b) => p.backupTo.includes(b.name)).map((b) => b.name),
      pg_barman_hosts: p.barmanHosts.map((b) => ({ name: b.name, ip: b.ipAddress })),
      pg_backup_functions: grants.functions,
      pg_backup_roles: grants.roles,
    };
  }
  const inventory = {
    all: {
      vars: {
        ansible_ssh_private_key_file: cluster.sshKeyFile,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${cluster.knownHostsFile} -o StrictHostKeyChecking=yes`,
        ansible_python_interpreter: '/usr/bin/python3',
        tpab_cluster: cluster.name,
        tpab_keys_dir: join(cluster.dir, 'keys'),
        tpab_secrets_dir: join(cluster.dir, 'secrets'),
        tpab_ssh_port: model.sshPort,
        tpab_pg_user: model.postgresHosts[0]?.user ?? 'postgres',
        tpab_barman_user: model.barmanHosts[0]?.user ?? 'barman',
        tpab_etc_hosts: cluster.hosts.filter((h) => inModel.has(h.name)).map((h) => ({ name: h.name, ip: h.ipAddress })),
      },
      children: {
        barman_hosts: { hosts: barmanHosts },
        postgres_hosts: { hosts: postgresHosts },
      },
    },
  };
  const path = join(dir, 'ansible-inventory.yml');
  writeFileSync(path, `# written by bench/avo-inventory.ts from tpa-barman's resolved model\n${stringify(inventory)}`);
  return { path, hosts: Object.keys(barmanHosts).length + Object.keys(postgresHosts).length };
}
