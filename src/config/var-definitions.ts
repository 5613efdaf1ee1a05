// Every `name: value` variable assignment in config.yml, with its key path and position.
import { formatKeyPath, type PathSeg } from './keypath.js';
import type { ConfigSource } from './source.js';
import type { VarDefinition, VarScope } from './types.js';

/** Top-level keys that are structure, not variables. */
const STRUCTURE = new Set(['cluster_name', 'cluster_vars', 'instance_defaults', 'locations', 'instances', 'ssh_key_file']);

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function collectVarDefinitions(data: Dict, source: ConfigSource): VarDefinition[] {
  const out: VarDefinition[] = [];
  const add = (scope: VarScope, base: PathSeg[], dict: unknown, skip?: ReadonlySet<string>): void => {
    if (!isDict(dict)) return;
    for (const [name, value] of Object.entries(dict)) {
      if (skip?.has(name)) continue;
      const path = [...base, name];
      out.push({ name, value, scope, key: formatKeyPath(path), pos: source.locate(path, 'key') });
    }
  };
  add('top', [], data, STRUCTURE);
  add('cluster_vars', ['cluster_vars'], data['cluster_vars']);
  const defaults = data['instance_defaults'];
  if (isDict(defaults)) add('instance_defaults', ['instance_defaults', 'vars'], defaults['vars']);
  const locations = Array.isArray(data['locations']) ? data['locations'] : [];
  locations.forEach((l, i) => isDict(l) && add('location', ['locations', i, 'vars'], l['vars']));
  const instances = Array.isArray(data['instances']) ? data['instances'] : [];
  instances.forEach((inst, i) => isDict(inst) && add('instance', ['instances', i, 'vars'], inst['vars']));
  return out;
}
