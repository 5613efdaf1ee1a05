// How each host is reached, once config.yml is resolved: the provisioned inventory
// (addresses of aws/docker instances, the docker connection, host_vars) and then the
// cluster's ssh_config (HostName/User/Port/IdentityFile/UserKnownHostsFile/ProxyJump).
//
// Precedence, as Ansible reads a provisioned cluster: host_vars > the inventory host line
// > group vars (cluster_vars). config.yml is what `tpaexec provision` wrote them from, so
// the two normally agree; where a value differs, config.yml changed since the last
// provision, and that is an error (TPA would deploy the old value without a word).
// ssh_config comes last: it is the file users edit to reach hosts (`ssh -F ssh_config`).
import { userInfo } from 'node:os';
import type { IssueCollector } from './issues.js';
import type { NormalInstance } from './normalise.js';
import { PROVISIONED_PLATFORMS } from './platforms.js';
import type { HostVar, ProvisionedInventory } from './provisioned.js';
import { lookupSshConfig, parseJumpSpec, type SshConfigFile, type SshHostConfig } from './ssh-config.js';
import type { HostSpec, JumpHost, SourcePos } from './types.js';
import { isAddress } from './checks/net.js';
import { showValue } from './printable.js';

const PROVISION_HINT = 'run `tpaexec provision` again so that inventory/ matches config.yml, or remove inventory/ if the cluster is bare';

function at(pos: SourcePos): string {
  return `${pos.file}:${pos.line}`;
}

/** Structural equality for YAML values. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function sameRoles(written: readonly string[], inventory: unknown): boolean {
  if (!Array.isArray(inventory)) return false;
  const a = new Set(written.filter((r) => r !== 'postgres'));
  const b = new Set(inventory.map(String).filter((r) => r !== 'postgres'));
  return a.size === b.size && [...a].every((r) => b.has(r));
}

function volumeKinds(v: unknown): string {
  const list = Array.isArray(v) ? v : [];
  return list
    .map((x) => (typeof x === 'object' && x !== null ? `${String((x as Record<string, unknown>)['device'])}=${String((x as Record<string, unknown>)['volume_for'] ?? '')}` : ''))
    .sort()
    .join(',');
}

interface OverlayInput {
  hosts: HostSpec[];
  instances: ReadonlyMap<string, NormalInstance>;
  inventory?: ProvisionedInventory;
  /** Instances left out because of provision_only (TPA does not list them). */
  skipped: ReadonlySet<string>;
  clusterName: string;
  inventoryLabel: string;
}

function noteFrom(h: HostSpec, setting: string, where: string): void {
  h.ssh.from = { ...h.ssh.from, [setting]: where };
}

/** Apply one host's host_vars over its config.yml variables. */
function overlayHostVars(h: HostSpec, inst: NormalInstance, hostVars: ReadonlyMap<string, HostVar>, issues: IssueCollector): void {
  for (const [key, hv] of hostVars) {
    const mine = h.vars[key];
    const configured = mine !== undefined && mine.source !== 'default' && mine.source !== 'cluster_vars';
    if (key === 'role') {
      if (!sameRoles(inst.roles, hv.value)) {
        issues.add(`the provisioned inventory gives ${h.name} role ${showValue(hv.value)}, but config.yml gives ${showValue(inst.roles)}`, { pos: hv.pos, hint: PROVISION_HINT });
      }
      continue;
    }
    if (key === 'volumes') {
      if (volumeKinds(hv.value) !== volumeKinds(mine?.value)) {
        issues.add(`the provisioned inventory's volumes of ${h.name} differ from config.yml's`, { pos: hv.pos, hint: PROVISION_HINT });
      }
      continue;
    }
    // export_vars writes `location: null` for an instance without one.
    if (hv.value === null && !configured) continue;
    if (configured) {
      if (!same(mine.value, hv.value)) {
        const where = mine.key ? ` (${mine.key}${mine.pos ? `, ${at(mine.pos)}` : ''})` : '';
        issues.add(`${key} of ${h.name} is ${showValue(hv.value)} in the provisioned inventory but ${showValue(mine.value)} in config.yml${where}`, { pos: hv.pos, hint: PROVISION_HINT });
      }
      continue;
    }
    h.vars[key] = { value: hv.value, source: 'inventory', pos: hv.pos, key: `${hv.file}:${key}` };
  }
}

/**
 * Overlay the provisioned inventory: every aws/docker host must be in it; a host it lists
 * gets its address (ansible_host), connection and host_vars from it.
 */
export function applyInventory(input: OverlayInput, issues: IssueCollector, configIssue: (inst: NormalInstance, message: string, hint?: string) => void): void {
  const inv = input.inventory;
  const unprovisioned: HostSpec[] = [];
  for (const h of input.hosts) {
    const inst = input.instances.get(h.name) as NormalInstance;
    const line = inv?.hosts.get(h.name);
    if (!line) {
      if (PROVISIONED_PLATFORMS.has(h.platform)) {
        if (inv) configIssue(inst, `instance ${h.name} (platform ${h.platform}) is not in ${input.inventoryLabel}: not provisioned yet: run \`tpaexec provision\` first`, 'tpaexec provision adds it to the inventory with its address');
        else unprovisioned.push(h);
      }
      continue;
    }
    const lv = line.vars;
    if (lv['node'] !== undefined && lv['node'] !== String(h.node)) {
      issues.add(`${input.inventoryLabel} gives ${h.name} node=${lv['node']}, config.yml node ${h.node}`, { pos: line.pos, hint: PROVISION_HINT });
    }
    if (lv['platform'] !== undefined && lv['platform'] !== h.platform) {
      issues.add(`${input.inventoryLabel} gives ${h.name} platform=${lv['platform']}, config.yml platform ${h.platform}${h.platformInferred ? ` (${h.platformInferred})` : ''}`, { pos: line.pos, hint: PROVISION_HINT });
    }
    const hostVars = inv?.hostVars.get(h.name) ?? new Map<string, HostVar>();
    const connection = (hostVars.get('ansible_connection')?.value as string | undefined) ?? lv['ansible_connection'] ?? 'ssh';
    const hostLineAddress = hostVars.get('ansible_host')?.value ?? lv['ansible_host'];
    if (connection === 'docker') {
      h.ssh.transport = 'docker';
      const container = hostVars.get('ansible_docker_host')?.value ?? hostLineAddress ?? h.name;
      h.ssh.container = String(container);
      noteFrom(h, 'transport', at(line.pos));
    } else if (connection !== 'ssh' && connection !== 'smart' && connection !== 'paramiko') {
      issues.add(`ansible_connection=${connection} for ${h.name} is not supported (tpa-barman connects with ssh, or docker exec for TPA's docker platform)`, { pos: line.pos });
    } else if (hostLineAddress !== undefined) {
      const address = String(hostLineAddress);
      if (!isAddress(address)) {
        issues.add(`ansible_host ${showValue(address)} of ${h.name} is not a host name or IP address`, { pos: line.pos });
      } else if (h.connectAddress !== '' && h.connectAddress !== address) {
        issues.add(`${input.inventoryLabel} connects to ${h.name} at ${address}, but config.yml gives ${h.connectAddress}`, { pos: line.pos, hint: PROVISION_HINT });
      } else if (h.connectAddress === '') {
        h.connectAddress = address;
        h.vars['ansible_host'] = { value: address, source: 'inventory', pos: line.pos, key: `${input.inventoryLabel}:${h.name}` };
        noteFrom(h, 'address', at(line.pos));
      }
    }
    overlayHostVars(h, inst, hostVars, issues);
    const user = h.vars['ansible_user']?.value ?? lv['ansible_user'];
    if (typeof user === 'string' && user !== h.ssh.user) h.ssh.user = user;
    const port = lv['ansible_port'] !== undefined ? Number(lv['ansible_port']) : undefined;
    if (port !== undefined && Number.isInteger(port) && port >= 1 && port <= 65535) {
      h.ssh.port = port;
      noteFrom(h, 'port', at(line.pos));
    }
    if (h.ipAddress === '') {
      // roles/init: private_ip defaults to the EC2 private address, else ansible_host;
      // ip_address to private_ip. Without EC2's API, ansible_host is what is known.
      h.ipAddress = h.connectAddress;
      if (h.platform === 'aws') {
        (h.notes ??= []).push(`ip_address is taken from ansible_host ${h.connectAddress}: TPA reads the private address from EC2 at deploy time; set private_ip on the instance if the hosts talk over a private network`);
      }
    }
  }
  if (unprovisioned.length > 0) {
    const platforms = [...new Set(unprovisioned.map((h) => h.platform))].join(' and ');
    const first = input.instances.get((unprovisioned[0] as HostSpec).name) as NormalInstance;
    configIssue(
      first,
      `cluster ${input.clusterName} is not provisioned yet: run \`tpaexec provision\` first (${platforms} instances ${unprovisioned.map((h) => h.name).join(', ')} get their addresses from ${input.inventoryLabel}, which does not exist)`,
      `tpaexec provision ${input.clusterName} writes inventory/00-${input.clusterName} and ssh_config; tpa-barman reads both`,
    );
  }
  for (const [name, line] of inv?.hosts ?? []) {
    if (input.instances.has(name)) continue;
    const why = input.skipped.has(name) ? ' (it is provision_only there)' : '';
    issues.add(`${input.inventoryLabel} lists host ${name}, which config.yml does not deploy${why}`, { pos: line.pos, hint: PROVISION_HINT });
  }
}

/** Resolve a ProxyJump chain through ssh_config (each hop may have its own ProxyJump). */
function resolveJumps(cfg: SshConfigFile, clusterDir: string, hops: readonly string[], pos: SourcePos, issues: IssueCollector, seen: ReadonlySet<string>): JumpHost[] | undefined {
  const out: JumpHost[] = [];
  for (const spec of hops) {
    const parsed = parseJumpSpec(spec);
    if (!parsed || !isAddress(parsed.host)) {
      issues.add(`ssh_config: ProxyJump ${JSON.stringify(spec)} is not [user@]host[:port]`, { pos });
      return undefined;
    }
    if (seen.has(parsed.host.toLowerCase())) {
      issues.add(`ssh_config: ProxyJump loops through ${parsed.host}`, { pos, hint: `exclude the bastion from the pattern that sets ProxyJump, e.g. Host * !${parsed.host}` });
      return undefined;
    }
    const c: SshHostConfig = lookupSshConfig(cfg, parsed.host, clusterDir, issues);
    if (c.proxyJump) {
      const inner = resolveJumps(cfg, clusterDir, c.proxyJump.value, c.proxyJump.pos, issues, new Set([...seen, parsed.host.toLowerCase()]));
      if (!inner) return undefined;
      out.push(...inner);
    }
    const hop: JumpHost = {
      spec,
      address: c.hostName?.value ?? parsed.host,
      port: parsed.port ?? c.port?.value ?? 22,
      // ssh's default login name is the local user's.
      user: parsed.user ?? c.user?.value ?? userInfo().username,
      identityFiles: c.identityFiles.map((f) => f.value),
    };
    if (c.knownHostsFiles) hop.knownHostsFiles = c.knownHostsFiles.value;
    out.push(hop);
  }
  return out;
}

/** Apply ssh_config's settings for each ssh host (the alias is the instance Name). */
export function applySshConfig(hosts: HostSpec[], cfg: SshConfigFile, clusterDir: string, issues: IssueCollector): void {
  const label = 'ssh_config';
  for (const h of hosts) {
    if (h.ssh.transport === 'docker') continue;
    const c = lookupSshConfig(cfg, h.name, clusterDir, issues);
    if (c.hostName) {
      if (!isAddress(c.hostName.value)) {
        issues.add(`ssh_config: HostName ${showValue(c.hostName.value)} is not a host name or IP address`, { pos: c.hostName.pos });
      } else {
        h.connectAddress = c.hostName.value;
        noteFrom(h, 'address', `${label}:${c.hostName.pos.line}`);
      }
    }
    if (c.user) {
      h.ssh.user = c.user.value;
      noteFrom(h, 'user', `${label}:${c.user.pos.line}`);
    }
    if (c.port) {
      h.ssh.port = c.port.value;
      noteFrom(h, 'port', `${label}:${c.port.pos.line}`);
    }
    if (c.identityFiles.length > 0) {
      h.ssh.identityFiles = c.identityFiles.map((f) => f.value);
      noteFrom(h, 'identity', `${label}:${(c.identityFiles[0] as { pos: SourcePos }).pos.line}`);
    }
    if (c.knownHostsFiles) {
      h.ssh.knownHostsFiles = c.knownHostsFiles.value;
      noteFrom(h, 'known_hosts', `${label}:${c.knownHostsFiles.pos.line}`);
    }
    if (c.proxyJump) {
      const jumps = resolveJumps(cfg, clusterDir, c.proxyJump.value, c.proxyJump.pos, issues, new Set([h.name, h.connectAddress.toLowerCase()]));
      if (jumps) {
        h.ssh.jumps = jumps;
        noteFrom(h, 'proxy_jump', `${label}:${c.proxyJump.pos.line}`);
      }
    }
  }
}
