// Instance volumes as TPA merges and checks them (lib/filter_plugins/instances.py):
// instance_defaults.default_volumes merged with the instance's own volumes by device
// name, `volume_type: none` dropped, and `vars.volume_for` checked. This tool reads only
// one thing from them: whether a `barman_data` volume is mounted on the Barman home.

/** TPA's volume_for values, with the mount point each implies. */
export const VOLUME_MOUNTPOINTS: Readonly<Record<string, string>> = {
  barman_data: '/var/lib/barman',
  postgres_data: '/opt/postgres',
  postgres_wal: '/opt/postgres/wal',
  postgres_tablespace: '/opt/postgres/tablespaces/<tablespace_name>',
};

import type { PathSeg } from './keypath.js';

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One volume, with where it was written (for messages). */
export interface MergedVolume {
  volume: unknown;
  path: PathSeg[];
}

/** A list as written, with its key path. */
export interface VolumeList {
  value: unknown;
  path: PathSeg[];
}

function deviceKey(v: unknown): string | undefined {
  if (!isDict(v) || typeof v['device_name'] !== 'string') return undefined;
  const name = v['device_name'];
  return name.startsWith('/dev/') ? name.slice(5) : name;
}

/**
 * TPA's update_instance_volume_defaults(): with default_volumes, entries of the
 * instance's volumes replace defaults of the same device name; an explicit empty
 * `volumes: []` drops the defaults. The result is sorted by device name, as TPA does.
 * Docker volumes (bind-mount strings) are taken as they are.
 */
export function mergeVolumes(own: VolumeList | undefined, defaults: VolumeList | undefined): MergedVolume[] {
  const listed = (l: VolumeList | undefined): MergedVolume[] =>
    l && Array.isArray(l.value) ? l.value.map((volume: unknown, i) => ({ volume, path: [...l.path, i] })) : [];
  const mine = listed(own);
  const fallback = listed(defaults);
  if (fallback.length === 0 || (own !== undefined && mine.length === 0)) return mine;
  const byName = new Map<string, MergedVolume>();
  const unnamed: MergedVolume[] = [];
  const all = [...fallback, ...mine];
  for (const v of all) {
    const key = deviceKey(v.volume);
    if (key === undefined) unnamed.push(v);
    else byName.set(key, v);
  }
  return [...[...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v), ...unnamed];
}

/** Why a (non-docker) volume entry would make TPA fail, if it would. */
export function volumeProblem(volume: unknown): { problem: string; at: string[] } | undefined {
  if (!isDict(volume)) return { problem: 'a volume must be a mapping with a device_name', at: [] };
  if (typeof volume['device_name'] !== 'string' || volume['device_name'] === '') {
    return { problem: 'a volume needs a device_name (e.g. /dev/xvdf or root)', at: [] };
  }
  if (volume['volume_type'] === 'none') return undefined;
  const vars = volume['vars'];
  if (vars === undefined) return undefined;
  if (!isDict(vars)) return { problem: 'a volume\'s vars must be a mapping', at: ['vars'] };
  const forWhat = vars['volume_for'];
  if (forWhat !== undefined && (typeof forWhat !== 'string' || !(forWhat in VOLUME_MOUNTPOINTS))) {
    return { problem: `volume ${String(volume['device_name'])} has unrecognised volume_for=${JSON.stringify(forWhat)}`, at: ['vars', 'volume_for'] };
  }
  if (forWhat === 'postgres_tablespace' && !vars['tablespace_name']) {
    return { problem: `volume ${String(volume['device_name'])} is postgres_tablespace; it must define tablespace_name`, at: ['vars'] };
  }
  return undefined;
}

/** The volume_for of a volume entry, if it has one (and is not dropped as type none). */
export function volumeFor(volume: unknown): string | undefined {
  if (!isDict(volume) || volume['volume_type'] === 'none') return undefined;
  const vars = volume['vars'];
  // host_vars (provisioned inventory) hold the translated form: volume_for at the top.
  const v = isDict(vars) ? vars['volume_for'] : volume['volume_for'];
  return typeof v === 'string' ? v : undefined;
}
