// Which PostgreSQL instances are backed up to which Barman servers, from resolved
// inventories only. Several clusters can be drawn together: Barman instances that are the
// same machine (same name, or same ip_address, as with `barman_shared: true` in a second
// cluster) become one Barman node.
import type { ClusterSpec, HostSpec } from '../../src/config/types.js';
import type { GraphEdge, GraphGroup, GraphNode, TwoColumnGraph } from '../../src/report/graph.js';
import type { BarmanModel } from './model.js';

export interface GraphInput {
  cluster: ClusterSpec;
  model: BarmanModel;
}

const PG_ROLES = ['primary', 'replica', 'witness', 'bdr'];

function pgRole(h: HostSpec): string {
  return h.roles.find((r) => PG_ROLES.includes(r)) ?? 'postgres';
}

interface BarmanEntry {
  cluster: string;
  name: string;
  ip: string;
  shared: boolean;
}

/** Union-find over Barman entries that share a name (case-insensitive) or an address. */
function mergeBarman(entries: BarmanEntry[]): number[] {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    return r;
  };
  const byKey = new Map<string, number>();
  entries.forEach((e, i) => {
    for (const key of [`name:${e.name.toLowerCase()}`, `ip:${e.ip}`]) {
      const j = byKey.get(key);
      if (j === undefined) byKey.set(key, i);
      else {
        const [a, b] = [find(i), find(j)];
        // The earlier entry stays the representative, so ids follow first appearance.
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  return entries.map((_, i) => find(i));
}

export function backupGraph(inputs: readonly GraphInput[]): TwoColumnGraph {
  const entries: BarmanEntry[] = [];
  for (const { cluster, model } of inputs) {
    for (const b of model.barmanHosts) {
      const h = cluster.hosts.find((x) => x.name === b.name);
      entries.push({ cluster: cluster.name, name: b.name, ip: h?.ipAddress ?? '', shared: b.shared });
    }
  }
  const roots = mergeBarman(entries);
  const nodeIdOfRoot = new Map<number, string>();
  for (const r of roots) if (!nodeIdOfRoot.has(r)) nodeIdOfRoot.set(r, `b${nodeIdOfRoot.size}`);

  const barmanNodes: GraphNode[] = [...nodeIdOfRoot].map(([root, id]) => {
    const members = entries.filter((_, i) => roots[i] === root);
    const names = [...new Set(members.map((m) => m.name))];
    const clusters = [...new Set(members.map((m) => m.cluster))];
    const ips = [...new Set(members.map((m) => m.ip).filter(Boolean))];
    const lines = [names.join(' = '), ips.join(', ')];
    if (members.some((m) => m.shared) || clusters.length > 1) lines.push(`shared: ${clusters.join(', ')}`);
    return { id, lines: lines.filter(Boolean) };
  });

  const left: GraphGroup[] = [];
  const edges: GraphEdge[] = [];
  let entry = 0;
  inputs.forEach(({ cluster, model }, ci) => {
    const barmanId = new Map<string, string>();
    for (const b of model.barmanHosts) barmanId.set(b.name, nodeIdOfRoot.get(roots[entry++] ?? -1) ?? '');
    const nodes: GraphNode[] = model.postgresHosts.map((p, pi) => {
      const id = `c${ci}_n${pi}`;
      const h = cluster.hosts.find((x) => x.name === p.name);
      const role = h ? pgRole(h) : 'postgres';
      const backed = model.backups.filter((s) => s.pgHost === p.name);
      for (const s of backed) {
        const to = barmanId.get(s.barmanHost);
        if (to) edges.push({ from: id, to, label: s.backupName });
      }
      const node: GraphNode = { id, lines: [p.name, `${role}, ${p.ipAddress}`] };
      if (backed.length === 0) {
        node.lines.push('no backup');
        node.muted = true;
      }
      return node;
    });
    left.push({ id: `c${ci}`, label: `cluster ${cluster.name}`, nodes });
  });

  const names = inputs.map((i) => i.cluster.name);
  return {
    title: `Barman backups: ${names.join(', ')}`,
    left,
    right: barmanNodes.length > 0 ? [{ id: 'barman', label: 'Barman', nodes: barmanNodes }] : [],
    edges,
  };
}
