// What `tpaexec provision` writes into a cluster directory, for tests: a copy of a cluster
// directory plus inventory/00-<cluster_name>, inventory/host_vars/<Name>/01-instance_vars.yml
// and ssh_config, in TPA's format (platforms/common/inventory/{inventory.j2,ssh_config.j2,
// write.yml}, export_vars() and set_instance_defaults() in lib/filter_plugins/instances.py).
// Written from TPA's rules independently of src/config, so tests compare the loader with
// TPA's output rather than with itself.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** merged_defaults(): keys of `defaults` missing from `item`; dict values merged one level. */
function mergedDefaults(item: Dict, defaults: Dict, omit: string[]): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (omit.includes(k)) continue;
    const mine = k in item ? item[k] : v;
    out[k] = isDict(mine) && isDict(v) ? { ...v, ...mine } : mine;
  }
  return out;
}

export interface TpaInstance {
  Name: string;
  node: number;
  platform: string;
  raw: Dict;
}

/** set_instance_defaults(), enough of it for the inventory. */
export function tpaInstances(config: Dict): TpaInstance[] {
  const defaults = isDict(config['instance_defaults']) ? config['instance_defaults'] : {};
  const compat: Dict = { platform: 'aws' };
  const merged = { ...compat, ...defaults };
  const locations = Array.isArray(config['locations']) ? (config['locations'] as Dict[]) : [];
  return (config['instances'] as Dict[]).map((old) => {
    const inst: Dict = structuredClone(old);
    const tags: Dict = isDict(inst['tags']) ? inst['tags'] : {};
    const name = String(inst['Name'] ?? tags['Name'] ?? `${String(config['cluster_name'])}-${String(inst['node'])}`);
    inst['Name'] = name.replace(/_/g, '-').toLowerCase();
    inst['vars'] = inst['vars'] ?? {};
    Object.assign(inst, mergedDefaults(inst, merged, ['default_volumes']));
    const dv = Array.isArray(defaults['default_volumes']) ? (defaults['default_volumes'] as Dict[]) : [];
    const own = Array.isArray(inst['volumes']) ? (inst['volumes'] as Dict[]) : [];
    if (dv.length && (own.length > 0 || !('volumes' in inst))) {
      const byName = new Map<string, Dict>();
      for (const v of [...dv, ...own]) byName.set(String(v['device_name']).replace(/^\/dev\//, ''), v);
      inst['volumes'] = [...byName.keys()].sort().map((k) => byName.get(k));
    }
    const loc = inst['location'];
    const l = typeof loc === 'number' ? locations[loc] : locations.find((x) => x['Name'] === loc);
    if (l) Object.assign(inst, mergedDefaults(inst, l, ['Name']));
    for (const t of ['upstream', 'backup', 'role']) {
      if (t in tags) {
        inst[t] = tags[t];
        delete tags[t];
      }
    }
    let role = inst['role'] ?? [];
    if (!Array.isArray(role)) role = String(role).split(',').map((r) => r.trim());
    inst['role'] = role;
    return { Name: inst['Name'] as string, node: inst['node'] as number, platform: String(inst['platform']), raw: inst };
  });
}

function ipAddresses(inst: Dict): Dict {
  const out: Dict = {};
  for (const k of ['ip_address', 'public_ip', 'private_ip']) if (inst[k] !== undefined) out[k] = inst[k];
  return out;
}

function deployIp(inst: Dict): unknown {
  return inst['public_ip'] || inst['ip_address'] || inst['private_ip'];
}

/** export_vars(). */
function exportVars(inst: Dict): Dict {
  const out: Dict = { location: inst['location'] ?? null };
  for (const k of ['region', 'backup', 'upstream', 'ansible_host']) if (inst[k] !== undefined && inst[k] !== null) out[k] = inst[k];
  out['role'] = (inst['role'] as string[]).filter((r) => r !== 'postgres');
  const seen = new Set<unknown>();
  out['volumes'] = ((inst['volumes'] as Dict[] | undefined) ?? [])
    .filter((v) => isDict(v))
    .filter((v) => (seen.has(v['device_name']) ? false : (seen.add(v['device_name']), true)))
    .map((v) => ({ device: v['device_name'], ...(isDict(v['vars']) ? v['vars'] : {}) }));
  return { ...out, ...(inst['vars'] as Dict) };
}

export interface ProvisionOptions {
  /** The address `tpaexec provision` got for an aws instance (public IP). */
  awsAddress?: (name: string, node: number) => string;
  /** Text appended to the generated ssh_config (a hand-added bastion, say). */
  sshConfigExtra?: string;
  /** Replace the generated ssh_config entirely. */
  sshConfig?: string;
  /** Skip ssh_config. */
  noSshConfig?: boolean;
}

/** Copy a cluster directory into a new temporary directory (never into the repository). */
export function copyCluster(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-provisioned-'));
  cpSync(src, dir, { recursive: true });
  return dir;
}

/** Write TPA's provisioned inventory and ssh_config into `dir` (a copy of a cluster directory). */
export function provision(dir: string, opts: ProvisionOptions = {}): { instances: TpaInstance[] } {
  const config = parse(readFileSync(join(dir, 'config.yml'), 'utf8')) as Dict;
  const cluster = String(config['cluster_name']);
  const instances = tpaInstances(config);
  const lines = [`[tag_Cluster_${cluster}]`];
  const hostVarsOf = new Map<string, Dict>();
  const deployIps = new Map<string, unknown>();
  for (const i of instances) {
    const inst = i.raw;
    let vars: Dict;
    let deploy: unknown;
    if (i.platform === 'aws') {
      deploy = (opts.awsAddress ?? ((_n, node) => `198.51.100.${node}`))(i.Name, i.node);
      vars = exportVars(inst);
    } else {
      deploy = deployIp(inst);
      vars = { ...ipAddresses(inst), ...exportVars(inst) };
    }
    deployIps.set(i.Name, deploy);
    hostVarsOf.set(i.Name, vars);
    if (inst['provision_only'] === true) continue;
    if (i.platform === 'docker') lines.push(`${i.Name} ansible_connection=docker node=${i.node} platform=${i.platform}`);
    else lines.push(`${i.Name} ansible_host=${String(deploy)} node=${i.node} platform=${i.platform}`);
  }
  mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
  writeFileSync(join(dir, 'inventory', `00-${cluster}`), `${lines.join('\n')}\n`);
  for (const [name, vars] of hostVarsOf) {
    mkdirSync(join(dir, 'inventory', 'host_vars', name), { recursive: true });
    writeFileSync(join(dir, 'inventory', 'host_vars', name, '01-instance_vars.yml'), stringify(vars, { indent: 2 }));
  }
  if (!opts.noSshConfig) {
    const port = typeof config['cluster_ssh_port'] === 'number' ? config['cluster_ssh_port'] : 22;
    const key = String(config['ssh_key_file'] ?? `id_${cluster.toLowerCase()}`);
    const ssh = [
      'Host *',
      `    Port ${port}`,
      '    IdentitiesOnly yes',
      `    IdentityFile "${key}"`,
      '    UserKnownHostsFile known_hosts tpa_known_hosts',
      '    ServerAliveInterval 60',
      '',
    ];
    for (const i of instances) {
      ssh.push(`Host ${i.Name}`);
      const user = (hostVarsOf.get(i.Name) as Dict)['ansible_user'];
      if (user !== undefined) ssh.push(`    User ${String(user)}`);
      ssh.push(`    HostName ${String(deployIps.get(i.Name))}`);
    }
    writeFileSync(join(dir, 'ssh_config'), opts.sshConfig ?? `${ssh.join('\n')}\n${opts.sshConfigExtra ?? ''}`);
  }
  return { instances };
}
