// TPA's set_instance_defaults() (lib/filter_plugins/instances.py), keeping track of where
// every value came from so later messages can point at the line that set it.
//
// Precedence, exactly as TPA merges: instance > instance_defaults > top-level
// cluster_ssh_user/ec2_ami_user (TPA's compat_defaults) > location. (TPA merges
// instance_defaults first and the location second, each only filling keys still missing,
// so a location cannot override instance_defaults.) Dict values (vars, tags) merge one level.
import type { PathSeg } from './keypath.js';
import { inferPlatform } from './platforms.js';
import type { VarSource } from './types.js';
import { mergeVolumes, type MergedVolume } from './volumes.js';

/** A value plus where it was written. */
export interface Sourced {
  value: unknown;
  source: VarSource;
  path: PathSeg[];
}

export interface NormalInstance {
  index: number;
  path: PathSeg[];
  /** Normalised Name: lowercased, `_` → `-`, default `<cluster_name>-<node>`. */
  name: string;
  /** Where Name was written; the instance itself if it was defaulted. */
  namePath: PathSeg[];
  node: number;
  /** Merged instance keys other than vars/tags (tags.role/backup/upstream already lifted). */
  fields: Map<string, Sourced>;
  vars: Map<string, Sourced>;
  /** Role names as written (split on commas), before implicit roles are added. */
  roles: string[];
  platform: string;
  /** Set when the platform was not written and had to be inferred. */
  platformInferred?: string;
  /** default_volumes merged with the instance's volumes, as TPA merges them. */
  volumes: MergedVolume[];
}

const DICT_KEYS = new Set(['vars', 'tags']);
const LIFTED_TAGS = ['upstream', 'backup', 'role'];

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fill keys of `into` that are still missing from one layer (defaults or a location). */
function fillFrom(
  fields: Map<string, Sourced>,
  dicts: Map<string, Map<string, Sourced>>,
  layer: Dict,
  source: VarSource,
  base: PathSeg[],
  omit: ReadonlySet<string>,
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (omit.has(key)) continue;
    if (DICT_KEYS.has(key) && isDict(value)) {
      const into = dicts.get(key) ?? new Map<string, Sourced>();
      // An instance's own `vars:` rank above its other settings (TPA's host_vars order).
      const subSource: VarSource = source === 'instance' && key === 'vars' ? 'instance_vars' : source;
      for (const [sub, v] of Object.entries(value)) {
        if (!into.has(sub)) into.set(sub, { value: v, source: subSource, path: [...base, key, sub] });
      }
      dicts.set(key, into);
    } else if (!fields.has(key) && !dicts.has(key)) {
      fields.set(key, { value, source, path: [...base, key] });
    }
  }
}

export interface NormaliseInput {
  clusterName: string;
  instances: Dict[];
  instanceDefaults: Dict;
  locations: Dict[];
  /** Top-level keys TPA maps onto instances (cluster_ssh_user, ec2_ami_user → vars.ansible_user). */
  topLevel?: Dict;
}

/** TPA's compat_defaults: a top-level cluster_ssh_user or ec2_ami_user is a default vars.ansible_user. */
function compatUser(top: Dict): { value: unknown; key: string } | undefined {
  // TPA applies ec2_ami_user, then cluster_ssh_user over it.
  for (const key of ['cluster_ssh_user', 'ec2_ami_user']) {
    if (top[key] !== undefined) return { value: top[key], key };
  }
  return undefined;
}

/** Find the location an instance names (by Name, or by index as TPA still allows). */
export function findLocation(locations: Dict[], ref: unknown): number | undefined {
  if (typeof ref === 'number') return Number.isInteger(ref) && ref >= 0 && ref < locations.length ? ref : undefined;
  const i = locations.findIndex((l) => l['Name'] === ref);
  return i >= 0 ? i : undefined;
}

export function splitRoles(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((r) => String(r));
  if (typeof value === 'string') return value.split(',').map((r) => r.trim());
  return [];
}

export function normaliseInstances(input: NormaliseInput): NormalInstance[] {
  const omitDefaults = new Set(['default_volumes']);
  const omitLocation = new Set(['Name']);
  const compat = compatUser(input.topLevel ?? {});
  return input.instances.map((raw, index) => {
    const path: PathSeg[] = ['instances', index];
    const ownTags = isDict(raw['tags']) ? raw['tags'] : {};
    const fields = new Map<string, Sourced>();
    const dicts = new Map<string, Map<string, Sourced>>();
    for (const key of DICT_KEYS) dicts.set(key, new Map());
    fillFrom(fields, dicts, raw, 'instance', path, new Set());
    fillFrom(fields, dicts, input.instanceDefaults, 'instance_defaults', ['instance_defaults'], omitDefaults);
    if (compat) {
      const vars = dicts.get('vars') ?? new Map<string, Sourced>();
      if (!vars.has('ansible_user')) vars.set('ansible_user', { value: compat.value, source: 'instance_defaults', path: [compat.key] });
      dicts.set('vars', vars);
    }

    const loc = fields.get('location');
    const li = loc ? findLocation(input.locations, loc.value) : undefined;
    const location = li === undefined ? undefined : input.locations[li];
    if (li !== undefined && location) fillFrom(fields, dicts, location, 'location', ['locations', li], omitLocation);

    const tags = dicts.get('tags') ?? new Map<string, Sourced>();
    for (const t of LIFTED_TAGS) {
      const tagged = tags.get(t);
      if (tagged) {
        fields.set(t, tagged);
        tags.delete(t);
      }
    }

    const node = fields.get('node')?.value;
    const nameField = fields.get('Name') ?? (ownTags['Name'] !== undefined ? { value: ownTags['Name'], source: 'instance' as const, path: [...path, 'tags', 'Name'] } : undefined);
    const rawName = typeof nameField?.value === 'string' ? nameField.value : `${input.clusterName}-${String(node)}`;
    const platformField = fields.get('platform')?.value;
    const inferred = typeof platformField === 'string' ? undefined : inferPlatform(new Set(fields.keys()));
    const own = fields.get('volumes');
    const volumes = mergeVolumes(
      own ? { value: own.value, path: own.path } : undefined,
      input.instanceDefaults['default_volumes'] === undefined ? undefined : { value: input.instanceDefaults['default_volumes'], path: ['instance_defaults', 'default_volumes'] },
    );
    const out: NormalInstance = {
      index,
      path,
      name: rawName.replace(/_/g, '-').toLowerCase(),
      namePath: nameField?.path ?? path,
      node: typeof node === 'number' ? node : -1,
      fields,
      vars: dicts.get('vars') ?? new Map(),
      roles: splitRoles(fields.get('role')?.value),
      platform: typeof platformField === 'string' ? platformField : (inferred?.platform ?? 'aws'),
      volumes,
    };
    if (inferred) out.platformInferred = inferred.reason;
    return out;
  });
}
