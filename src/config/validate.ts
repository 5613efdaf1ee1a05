// Semantic checks TPA makes after the structure is known to be right
// (platforms/common/validate.yml, platforms/bare/validate.yml, validate-topology.yml),
// plus the connection settings this tool itself relies on.
import { isAddress, isFqdn, isHostname, isIpAddress } from './checks/net.js';
import { UNIX_NAME, controlCharProblem } from './checks/strings.js';
import { closest } from './checks/levenshtein.js';
import type { IssueList } from './issues.js';
import { formatKeyPath } from './keypath.js';
import { findLocation, type NormalInstance } from './normalise.js';
import { showValue } from './printable.js';
import type { VarDefinition } from './types.js';

const ROLE = /^[a-z][a-z0-9_-]{0,63}$/;
const IP_KEYS = ['ip_address', 'public_ip', 'private_ip'];

function checkNames(instances: NormalInstance[], issues: IssueList): void {
  const byName = new Map<string, NormalInstance>();
  const byNode = new Map<number, NormalInstance>();
  for (const inst of instances) {
    const platform = inst.fields.get('platform')?.value ?? 'bare';
    const ok = isHostname(inst.name) || (platform === 'bare' && isFqdn(inst.name));
    if (!ok) {
      issues.at(inst.namePath, `invalid instance Name ${showValue(inst.name)}`, {
        hint: 'use lower-case letters, digits and "-" (at least two characters, not starting or ending with "-"); bare instances may use a fully-qualified name',
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

function checkAddresses(instances: NormalInstance[], issues: IssueList): void {
  for (const inst of instances) {
    const platform = inst.fields.get('platform')?.value ?? 'bare';
    const has = (k: string): boolean => inst.fields.has(k) || inst.vars.has(k);
    const host = inst.fields.get('ansible_host');
    if (host && typeof host.value === 'string' && !isAddress(host.value)) {
      issues.at(host.path, `ansible_host ${showValue(host.value)} is not a host name or IP address`);
    }
    if (platform === 'bare' && !IP_KEYS.some(has)) {
      issues.at(inst.path, `bare instance ${inst.name} needs at least one of ip_address, public_ip or private_ip`);
    } else if (!IP_KEYS.some(has) && !has('ansible_host')) {
      issues.at(inst.path, `instance ${inst.name} has no address to connect to (set ip_address or ansible_host)`);
    }
  }
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
  instances: NormalInstance[];
  locations: Record<string, unknown>[];
  varDefinitions: VarDefinition[];
}

export function checkSemantics(input: SemanticInput, issues: IssueList): void {
  checkLocations(input.locations, issues);
  checkNames(input.instances, issues);
  checkRolesAndLinks(input.instances, input.locations, issues);
  checkAddresses(input.instances, issues);
  checkConnectionVars(input.varDefinitions, issues);
}
