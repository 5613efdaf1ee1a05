// `tpa-barman graph DIR [DIR...] [--format mermaid|dot|svg]`: who is backed up where,
// drawn from the resolved inventories alone (no connection). Output on stdout.
import { loadCluster } from '../config/load.js';
import { ExitCode } from '../exit-codes.js';
import { toDot, toMermaid } from '../report/graph.js';
import { toSvg } from '../report/graph-svg.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { backupGraph, type GraphInput } from '../../playbooks/barman/graph.js';

export type GraphFormat = 'mermaid' | 'dot' | 'svg';

export async function renderGraph(dirs: readonly string[], format: GraphFormat): Promise<string> {
  const inputs: GraphInput[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    // Drawn from the files alone: the ssh key need not be on this machine.
    const cluster = await loadCluster(dir, { requireKeyFile: false });
    if (seen.has(cluster.dir)) continue;
    seen.add(cluster.dir);
    inputs.push({ cluster, model: resolveBarman(cluster) });
  }
  const graph = backupGraph(inputs);
  return format === 'dot' ? toDot(graph) : format === 'svg' ? toSvg(graph) : toMermaid(graph);
}

export async function runGraph(dirs: readonly string[], flags: { format?: GraphFormat }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  out.write(await renderGraph(dirs, flags.format ?? 'mermaid'));
  return ExitCode.Ok;
}
