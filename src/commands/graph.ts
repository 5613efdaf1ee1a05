// `tpa-barman graph DIR [DIR...] [--format mermaid|dot|svg|json]`: who is backed up where,
// drawn from the resolved inventories alone (no connection). Output on stdout; --json is
// --format json (the `graph` document).
import { loadCluster } from '../config/load.js';
import { ExitCode } from '../exit-codes.js';
import { header } from '../report/json.js';
import { toDot, toMermaid } from '../report/graph.js';
import { toSvg } from '../report/graph-svg.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { backupGraph, type GraphInput } from '../../playbooks/barman/graph.js';

export type GraphFormat = 'mermaid' | 'dot' | 'svg' | 'json';

export async function renderGraph(dirs: readonly string[], format: GraphFormat): Promise<string> {
  const { graph, clusters } = await buildGraph(dirs);
  if (format === 'json') return `${JSON.stringify({ ...header('graph', 'graph', ExitCode.Ok, clusters.length === 1 ? (clusters[0] ?? null) : null), clusters, graph }, null, 2)}\n`;
  return format === 'dot' ? toDot(graph) : format === 'svg' ? toSvg(graph) : toMermaid(graph);
}

async function buildGraph(dirs: readonly string[]): Promise<{ graph: ReturnType<typeof backupGraph>; clusters: string[] }> {
  const inputs: GraphInput[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    // Drawn from the files alone: the ssh key need not be on this machine.
    const cluster = await loadCluster(dir, { requireKeyFile: false });
    if (seen.has(cluster.dir)) continue;
    seen.add(cluster.dir);
    inputs.push({ cluster, model: resolveBarman(cluster) });
  }
  return { graph: backupGraph(inputs), clusters: inputs.map((i) => i.cluster.name) };
}

export async function runGraph(dirs: readonly string[], flags: { format?: GraphFormat; json?: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  out.write(await renderGraph(dirs, flags.json ? 'json' : (flags.format ?? 'mermaid')));
  return ExitCode.Ok;
}
