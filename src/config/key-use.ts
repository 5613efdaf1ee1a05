// Which keys of config.yml tpa-barman reads, and which it only validates (for
// `inventory`): instance settings TPA uses only to provision (instance types, images,
// subnets, container options) and top-level settings of other parts of TPA.
import { formatKeyPath } from './keypath.js';
import { HONOURED_INSTANCE_KEYS, HONOURED_TOP_KEYS, PROVISIONING_TOP_KEYS } from './platforms.js';
import type { ConfigKeyUse } from './types.js';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Key paths by use; list entries are collapsed (`instances[*].type`), each path once,
 * in file order.
 */
export function configKeyUse(data: Dict): ConfigKeyUse {
  const honoured = new Set<string>();
  const provisioningOnly = new Set<string>();
  const notRead = new Set<string>();
  for (const key of Object.keys(data)) {
    if (HONOURED_TOP_KEYS.has(key)) honoured.add(key);
    else if (PROVISIONING_TOP_KEYS.has(key)) provisioningOnly.add(key);
    else notRead.add(key);
  }
  const instanceLike = (base: string, d: unknown, extraHonoured: readonly string[]): void => {
    if (!isDict(d)) return;
    for (const key of Object.keys(d)) {
      const path = `${base}${formatKeyPath(['x', key]).slice(1)}`;
      if (HONOURED_INSTANCE_KEYS.has(key) || extraHonoured.includes(key)) honoured.add(path);
      else provisioningOnly.add(path);
    }
  };
  instanceLike('instance_defaults', data['instance_defaults'], ['default_volumes']);
  for (const l of Array.isArray(data['locations']) ? data['locations'] : []) instanceLike('locations[*]', l, ['Name']);
  for (const inst of Array.isArray(data['instances']) ? data['instances'] : []) instanceLike('instances[*]', inst, []);
  return { honoured: [...honoured], provisioningOnly: [...provisioningOnly], notRead: [...notRead] };
}
