// Semantic checks TPA makes after the structure is known to be right
// (platforms/common/validate.yml, platforms/bare/validate.yml, validate-topology.yml),
// plus the connection settings this tool itself relies on.
import { isAddress, isFqdn, isHostname, isIpAddress } from './checks/net.js';
import { UNIX_NAME, controlCharProblem } from './checks/strings.js';
import { closest, levenshtein } from './checks/levenshtein.js';
import type { IssueList } from './issues.js';
import { formatKeyPath } from './keypath.js';
import { findLocation, type NormalInstance } from './normalise.js';
import { KNOWN_PLATFORMS, KNOWN_TOP_KEYS, platformsAccepting, validInstanceKeys } from './platforms.js';
import { showValue } from './printable.js';
import type { VarDefinition } from './types.js';
import { volumeProblem } from './volumes.js';

const ROLE = /^[a-z][a-z0-9_-]{0,63}$/;
const IP_KEYS = ['ip_address', 'public_ip', 'private_ip'];

function checkNames(instances: NormalInstance[], issues: IssueList): void {
  const byName = new Map<string, NormalInstance>();
  const byNode = new Map<number, NormalInstance>();
  for (const inst of instances) {
    // TPA allows fully-qualified names on bare and docker instances only.
    const ok = isHostname(inst.name) || ((inst.platform === 'bare' || inst.platform === 'docker') && isFqdn(inst.name));
    if (!ok) {
      issues.at(inst.namePath, `invalid instance Name ${showValue(inst.name)}`, {
        hint: 'use lower-case letters, digits and "-" (at least two characters, not starting or ending with "-"); bare and docker instances may use a fully-qualified name',
      });
    }
    const sameName = byName.get(inst.name);
    if (sameName) {
      issues.at(inst.namePath, `duplicate instance Name ${showValue(inst.name)} (also ${formatKeyPath(sameName.path)})`, {
        hint: 'every instance needs a unique Name (compared lower-cased, with "_" read as "-")',
      });
    } else byName.set(inst.name, inst);
    const sameNode = byNode.get(inst.node);
    if (sameNode) {
      issues.at([...inst.path, 'node'], `duplicate node ${inst.node} (also ${formatKeyPath(sameNode.path)})`, {
        hint: 'every instance needs a unique node number',
      });
    } else byNode.set(inst.node, inst);
  }
}

/** TPA: "Please set a unique 'Name' for every location". */
function checkLocations(locations: Record<string, unknown>[], issues: IssueList): void {
  const seen = new Map<unknown, number>();
  locations.forEach((l, i) => {
    const first = seen.get(l['Name']);
    if (first !== undefined) issues.at(['locations', i, 'Name'], `duplicate location Name ${showValue(l['Name'])} (also locations[${first}])`);
    else seen.set(l['Name'], i);
  });
}

function checkRolesAndLinks(instances: NormalInstance[], locations: Record<string, unknown>[], issues: IssueList): void {
  const names = new Set(instances.map((i) => i.name));
  for (const inst of instances) {
    const role = inst.fields.get('role');
    if (role && !(typeof role.value === 'string' || (Array.isArray(role.value) && role.value.every((r) => typeof r === 'string')))) {
      issues.at(role.path, `role must be a list of roles or a comma-separated string, not ${showValue(role.value)}`);
    } else if (role) {
      for (const r of inst.roles) {
        if (!ROLE.test(r)) issues.at(role.path, `invalid role ${showValue(r)}`, { hint: 'roles are lower-case words such as primary, replica, barman' });
      }
    }
    const backup = inst.fields.get('backup');
    if (backup && !(typeof backup.value === 'string' || (Array.isArray(backup.value) && backup.value.length > 0 && backup.value.every((b) => typeof b === 'string')))) {
      issues.at(backup.path, `backup must be an instance Name or a list of them, not ${showValue(backup.value)}`);
    }
    const upstream = inst.fields.get('upstream');
    if (upstream && (typeof upstream.value !== 'string' || !names.has(upstream.value))) {
      const wanted = upstream.value;
      issues.at(upstream.path, `upstream ${showValue(wanted)} does not name an instance`, {
        hint: () => {
          const suggestion = typeof wanted === 'string' ? closest(wanted, names) : undefined;
          return suggestion ? `did you mean ${suggestion}?` : undefined;
        },
      });
    }
    const location = inst.fields.get('location');
    if (location && findLocation(locations, location.value) === undefined) {
      const known = locations.map((l) => l['Name']).filter((n): n is string => typeof n === 'string');
      issues.at(location.path, `location ${showValue(location.value)} does not name an entry in locations`, {
        hint: known.length ? `known locations: ${known.join(', ')}` : 'define it under the top-level locations: list',
      });
    }
  }
}

/** Addresses: bare instances need one in config.yml; aws and docker ones get theirs from `tpaexec provision`. */
function checkAddresses(instances: NormalInstance[], issues: IssueList): void {
  for (const inst of instances) {
    const has = (k: string): boolean => inst.fields.has(k) || inst.vars.has(k);
    const host = inst.fields.get('ansible_host');
    if (host && typeof host.value === 'string' && !isAddress(host.value)) {
      issues.at(host.path, `ansible_host ${showValue(host.value)} is not a host name or IP address`);
    }
    if (inst.platform === 'bare' && !IP_KEYS.some(has)) {
      issues.at(inst.path, `bare instance ${inst.name} needs at least one of ip_address, public_ip or private_ip`);
    }
  }
}

/**
 * TPA's key check, made after instance_defaults and the location are merged in: the
 * common keys plus the instance's platform's. A key written in instance_defaults is
 * reported once, where it is written.
 */
function checkPlatformKeys(instances: NormalInstance[], issues: IssueList): void {
  for (const inst of instances) {
    if (!KNOWN_PLATFORMS.includes(inst.platform)) {
      const p = inst.fields.get('platform');
      issues.at(p?.path ?? inst.path, `unknown platform ${showValue(inst.platform)}`, {
        hint: () => {
          const near = closest(inst.platform, KNOWN_PLATFORMS);
          return `${near ? `did you mean ${near}? ` : ''}TPA's platforms are ${KNOWN_PLATFORMS.join(', ')}`;
        },
      });
      continue;
    }
    const valid = validInstanceKeys(inst.platform);
    for (const [key, s] of inst.fields) {
      if (valid.has(key)) continue;
      const elsewhere = platformsAccepting(key);
      const platformHint = inst.platformInferred ? ` (${inst.platformInferred})` : '';
      issues.at(s.path, `Unrecognised key ${key} for platform ${inst.platform} (should it be under vars:?)`, {
        target: 'key',
        hint: () => {
          if (elsewhere.length > 0) return `${key} is a setting of platform ${elsewhere.join(' and ')}; instance ${inst.name} is on ${inst.platform}${platformHint}`;
          const near = closest(key, [...valid]);
          return near ? `did you mean ${near}?` : undefined;
        },
      });
    }
  }
}

/** TPA fails provisioning on malformed volumes and on unknown volume_for values. */
function checkVolumes(instances: NormalInstance[], issues: IssueList): void {
  for (const inst of instances) {
    // Docker volumes are bind-mount strings; TPA checks nothing about them.
    if (inst.platform === 'docker') continue;
    for (const v of inst.volumes) {
      const p = volumeProblem(v.volume);
      if (p) issues.at([...v.path, ...p.at], p.problem, { hint: p.at.includes('volume_for') ? 'volume_for is one of barman_data, postgres_data, postgres_wal, postgres_tablespace' : undefined });
    }
  }
}

/** TPA: "Please define an upstream node for witness X" (BDR witnesses excepted). */
function checkWitnesses(instances: NormalInstance[], issues: IssueList): void {
  for (const inst of instances) {
    if (!inst.roles.includes('witness') || inst.roles.includes('bdr') || inst.fields.has('upstream')) continue;
    issues.at(inst.fields.get('role')?.path ?? inst.path, `witness ${inst.name} has no upstream`, { hint: 'set upstream: to the primary this witness belongs to' });
  }
}

/** Top-level names within two edits of a known key are typos TPA would silently ignore. */
function checkTopLevel(data: Record<string, unknown>, issues: IssueList): void {
  const structural = ['cluster_name', 'cluster_vars', 'instance_defaults', 'instances', 'locations', 'ssh_key_file'];
  for (const key of Object.keys(data)) {
    if (KNOWN_TOP_KEYS.has(key)) continue;
    const near = closest(key, structural);
    if (near && levenshteinWithin(key, near, 2)) {
      issues.at([key], `Unrecognised top-level key ${key}`, { target: 'key', hint: `did you mean ${near}?` });
    }
  }
}

function levenshteinWithin(a: string, b: string, max: number): boolean {
  return levenshtein(a.toLowerCase(), b.toLowerCase()) <= max;
}

/** Variables this tool uses to connect, wherever they are set. */
function checkConnectionVars(defs: VarDefinition[], issues: IssueList): void {
  for (const def of defs) {
    const v = def.value;
    const at = (message: string, hint?: string): void => issues.atPos(def.pos, message, def.key, hint);
    switch (def.name) {
      case 'cluster_ssh_port':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
          at(`cluster_ssh_port must be an integer from 1 to 65535, not ${showValue(v)}`);
        }
        break;
      case 'ansible_user':
        if (typeof v !== 'string' || !UNIX_NAME.test(v)) {
          at(
            `ansible_user must be a unix user name, not ${showValue(v)}`,
            'lower-case letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters',
          );
        }
        break;
      case 'ansible_host':
        if (typeof v !== 'string' || !isAddress(v)) at(`ansible_host ${showValue(v)} is not a host name or IP address`);
        break;
      case 'ip_address':
      case 'public_ip':
      case 'private_ip':
        if (def.scope !== 'top' && (typeof v !== 'string' || !isIpAddress(v))) {
          at(`${showValue(v)} is not an IPv4 or IPv6 address`);
        }
        break;
      default:
        if (typeof v === 'string' && def.name.startsWith('ansible_')) {
          const ctl = controlCharProblem(v);
          if (ctl) at(`${def.name} ${ctl}`);
        }
    }
  }
}

export interface SemanticInput {
  data: Record<string, unknown>;
  instances: NormalInstance[];
  locations: Record<string, unknown>[];
  varDefinitions: VarDefinition[];
}

export function checkSemantics(input: SemanticInput, issues: IssueList): void {
  checkTopLevel(input.data, issues);
  checkLocations(input.locations, issues);
  checkNames(input.instances, issues);
  checkPlatformKeys(input.instances, issues);
  checkVolumes(input.instances, issues);
  checkRolesAndLinks(input.instances, input.locations, issues);
  checkWitnesses(input.instances, issues);
  checkAddresses(input.instances, issues);
  checkConnectionVars(input.varDefinitions, issues);
}
