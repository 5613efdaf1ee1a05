// Who streams from whom, as TPA reads it from `upstream:` (its upstream_root and
// instance_with_backup_of filters), and the PostgreSQL commands that ship WAL to Barman
// (barman-wal-archive) and fetch it back (barman-wal-restore).
import type { ClusterIssues } from '../../src/config/issues.js';
import type { HostSpec } from '../../src/config/types.js';

export interface Topology {
  /** The root of each PostgreSQL host's `upstream:` chain (the host itself without one). */
  rootOf: ReadonlyMap<string, string>;
}

/** hostvars.upstream: the instance key, or `upstream` in its vars (which win, as in TPA). */
export function upstreamOf(h: HostSpec): string | undefined {
  const v = h.vars['upstream']?.value;
  return typeof v === 'string' && v !== '' ? v : h.upstream;
}

function upstreamWhere(h: HostSpec): { key: string; pos: HostSpec['pos'] } {
  const v = h.vars['upstream'];
  return { key: v?.key ?? `${h.key ?? h.name}.upstream`, pos: v?.pos ?? h.pos };
}

/**
 * Follow `upstream:` from every PostgreSQL host. Reports an upstream that names no
 * instance, one that is not PostgreSQL, a loop, and a backed-up replica without one
 * (its backups need the primary to switch WAL on).
 */
export function resolveTopology(cluster: { hosts: readonly HostSpec[] }, issues: ClusterIssues): Topology {
  const byName = new Map(cluster.hosts.map((h) => [h.name, h]));
  const bad = new Set<string>();
  for (const h of cluster.hosts) {
    const name = upstreamOf(h);
    if (name === undefined) continue;
    const up = byName.get(name);
    if (!up) {
      issues.add(`An instance with Name=${name} must exist, because of the 'upstream: ${name}' setting on instance ${h.name}`, upstreamWhere(h));
      bad.add(h.name);
    } else if (h.roles.includes('replica') && !up.roles.includes('postgres')) {
      issues.add(`replica ${h.name} has upstream: ${up.name}, which is not a PostgreSQL instance (role: ${up.roles.join(', ') || 'none'})`, upstreamWhere(h));
      bad.add(h.name);
    }
  }
  const rootOf = new Map<string, string>();
  const loops = new Set<string>();
  for (const h of cluster.hosts) {
    if (!h.roles.includes('postgres')) continue;
    const seen = [h.name];
    let cur = h;
    for (let up = upstreamOf(cur); up !== undefined && !bad.has(cur.name); up = upstreamOf(cur)) {
      const next = byName.get(up);
      if (!next) break;
      if (seen.includes(next.name)) {
        const loop = seen.slice(seen.indexOf(next.name));
        const id = [...loop].sort().join(' ');
        if (!loops.has(id)) issues.add(`upstream: settings form a loop: ${[...loop, next.name].join(' → ')}`, upstreamWhere(byName.get(next.name) ?? h));
        loops.add(id);
        for (const m of loop) bad.add(m);
        break;
      }
      seen.push(next.name);
      cur = next;
    }
    rootOf.set(h.name, cur.name);
    if (!h.roles.includes('replica') || h.backup.length === 0) continue;
    // Barman switches WAL on the primary to finish a backup of a replica.
    if (upstreamOf(h) === undefined) {
      const backup = h.vars['backup'];
      issues.add(`replica ${h.name} has backup: set but no upstream:`, { key: backup?.key, pos: backup?.pos ?? h.pos, hint: 'name the instance it streams from (upstream: <primary>)' });
    } else if (cur !== h && cur.roles.includes('replica') && !bad.has(cur.name)) {
      issues.add(`replica ${h.name} is backed up, but the top of its upstream: chain, ${cur.name}, is a replica too`, { ...upstreamWhere(cur), hint: `give ${cur.name} an upstream:, or make it the primary` });
    }
  }
  return { rootOf };
}

/**
 * TPA's upstream_backedup: the first instance (in config.yml order) that has `backup:`
 * and descends from `root`, preferring one in the same `region` as `host`.
 */
export function backedUpSource(hosts: readonly HostSpec[], topology: Topology, root: string, host: HostSpec, backedUp: (name: string) => boolean): string | undefined {
  const candidates = hosts.filter((h) => backedUp(h.name) && topology.rootOf.get(h.name) === root);
  const region = (h: HostSpec): unknown => h.vars['region']?.value;
  const same = region(host) === undefined ? undefined : candidates.find((c) => region(c) !== undefined && region(c) === region(host));
  return (same ?? candidates[0])?.name;
}

/** Where barman-cli installs its scripts (the barman-cli package we install). */
const BARMAN_CLI_BIN = '/usr/bin';

/**
 * barman_archiver's archive_command to one Barman host (deploy joins one per Barman host
 * with &&, all of which must succeed). Unlike TPA it names the Barman server by
 * backup_name (not the instance name) and the barman user (-U), and accepts a list in
 * `backup:`.
 */
export function archiveCommandTo(barmanHost: string, barmanUser: string, server: string, sshPort: number): string {
  return `${BARMAN_CLI_BIN}/barman-wal-archive -U ${barmanUser} --port ${sshPort} ${barmanHost} ${server} %p`;
}

/** TPA's restore_command for a replica: barman-wal-restore, gzip, 8 files in parallel. */
export function restoreCommand(barmanHost: string, barmanUser: string, server: string, sshPort: number): string {
  return `${BARMAN_CLI_BIN}/barman-wal-restore -U ${barmanUser} -z -p 8 --port ${sshPort} ${barmanHost} ${server} %f %p`;
}
