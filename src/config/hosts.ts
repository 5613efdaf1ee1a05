// Build HostSpecs from normalised instances: host variables with precedence
// cluster_vars < instance fields < instance vars (TPA's group_vars < host_vars), addresses
// and ssh settings.
import { formatKeyPath } from './keypath.js';
import { findLocation, type NormalInstance, type Sourced } from './normalise.js';
import { impliedRoles } from './roles.js';
import type { ConfigSource } from './source.js';
import type { HostSpec, ResolvedVar } from './types.js';
import type { MergedVolume } from './volumes.js';

/** Instance keys exported as host variables (TPA's export_vars plus the inventory host line). */
const EXPORTED_FIELDS = ['node', 'platform', 'ip_address', 'public_ip', 'private_ip', 'location', 'backup', 'upstream', 'ansible_host', 'region'];

export const DEFAULT_SSH_USER = 'root';
export const DEFAULT_SSH_PORT = 22;

function resolved(s: Sourced, source: ConfigSource): ResolvedVar {
  return { value: s.value, source: s.source, pos: source.locate(s.path, 'key'), key: formatKeyPath(s.path) };
}

function firstString(vars: Record<string, ResolvedVar>, keys: string[]): string {
  for (const k of keys) {
    const v = vars[k]?.value;
    if (typeof v === 'string' && v !== '') return v;
  }
  return '';
}

function flattenBackup(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((b): b is string => typeof b === 'string') : [];
}

/** cluster_vars as resolved variables, built once and shared by every host. */
export function resolveClusterVars(clusterVars: Record<string, unknown>, source: ConfigSource): Record<string, ResolvedVar> {
  const out: Record<string, ResolvedVar> = {};
  for (const [name, value] of Object.entries(clusterVars)) {
    const path = ['cluster_vars', name];
    out[name] = { value, source: 'cluster_vars', pos: source.locate(path, 'key'), key: formatKeyPath(path) };
  }
  return out;
}

/**
 * The `volumes` host variable as TPA writes it to host_vars (get_device_variables):
 * one `{device, ...vars}` per device name, first entry wins; bind-mount strings (docker)
 * are left out.
 */
function deviceVariables(volumes: MergedVolume[]): Array<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const out: Array<Record<string, unknown>> = [];
  for (const { volume } of volumes) {
    if (typeof volume !== 'object' || volume === null || Array.isArray(volume)) continue;
    const v = volume as Record<string, unknown>;
    if (v['volume_type'] === 'none' || seen.has(v['device_name'])) continue;
    seen.add(v['device_name']);
    const extra = typeof v['vars'] === 'object' && v['vars'] !== null && !Array.isArray(v['vars']) ? (v['vars'] as Record<string, unknown>) : {};
    out.push({ device: v['device_name'], ...extra });
  }
  return out;
}

export interface BuildContext {
  clusterVars: Record<string, ResolvedVar>;
  locations: Record<string, unknown>[];
  source: ConfigSource;
  /** Whether any instance has the pem-server role (PostgreSQL hosts then get pem-agent). */
  clusterHasPemServer: boolean;
}

export function buildHost(inst: NormalInstance, ctx: BuildContext): HostSpec {
  const { clusterVars, locations, source } = ctx;
  const vars: Record<string, ResolvedVar> = { ...clusterVars };
  for (const field of EXPORTED_FIELDS) {
    const s = inst.fields.get(field);
    if (s) vars[field] = resolved(s, source);
  }
  if (inst.volumes.length > 0) {
    const first = inst.volumes[0] as MergedVolume;
    const listPath = first.path.slice(0, -1);
    vars['volumes'] = { value: deviceVariables(inst.volumes), source: listPath[0] === 'instance_defaults' ? 'instance_defaults' : 'instance', pos: source.locate(listPath, 'key'), key: formatKeyPath(listPath) };
  }
  for (const [name, s] of inst.vars) vars[name] = resolved(s, source);
  const roles = impliedRoles(inst.roles, {
    failoverManager: vars['failover_manager']?.value,
    pauseInStandby: vars['bdr_node_pause_in_standby']?.value,
    clusterHasPemServer: ctx.clusterHasPemServer || vars['pem_server'] !== undefined,
  });
  const role = inst.fields.get('role');
  if (role && !inst.vars.has('role')) vars['role'] = { ...resolved(role, source), value: roles };

  const li = findLocation(locations, inst.fields.get('location')?.value);
  const locName = li === undefined ? undefined : locations[li]?.['Name'];
  const upstream = inst.fields.get('upstream')?.value;
  const user = vars['ansible_user']?.value;
  const port = vars['cluster_ssh_port']?.value;
  const host: HostSpec = {
    name: inst.name,
    node: inst.node,
    roles,
    platform: inst.platform,
    connectAddress: firstString(vars, ['ansible_host', 'public_ip', 'ip_address', 'private_ip']),
    ipAddress: firstString(vars, ['ip_address', 'private_ip', 'public_ip']),
    backup: flattenBackup(inst.fields.get('backup')?.value),
    vars,
    ssh: {
      user: typeof user === 'string' ? user : DEFAULT_SSH_USER,
      port: typeof port === 'number' ? port : DEFAULT_SSH_PORT,
    },
    pos: source.locate(inst.path),
    key: formatKeyPath(inst.path),
  };
  if (typeof locName === 'string') host.location = locName;
  if (inst.platformInferred) host.platformInferred = inst.platformInferred;
  if (typeof upstream === 'string') host.upstream = upstream;
  return host;
}
