// tpa-barman graph: the backup graph from resolved inventories, and its three renderings
// checked against golden files (UPDATE_GOLDEN=1 rewrites them; review the diff).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGraph, type GraphFormat } from '../../../src/commands/graph.js';
import type { ClusterSpec } from '../../../src/config/types.js';
import { toDot, toMermaid, type TwoColumnGraph } from '../../../src/report/graph.js';
import { toSvg, xmlEscape } from '../../../src/report/graph-svg.js';
import { loadCluster } from '../../../src/config/load.js';
import { backupGraph } from '../../../playbooks/barman/graph.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'graph');
const EXT: Record<Exclude<GraphFormat, 'json'>, string> = { mermaid: 'mmd', dot: 'dot', svg: 'svg' };

const CASES: Array<{ name: string; dirs: string[] }> = [
  { name: 'two-barman', dirs: ['examples/two-barman'] },
  { name: 'shared-barman', dirs: ['examples/shared-barman/cluster-a', 'examples/shared-barman/cluster-b'] },
  { name: 'three-primaries', dirs: ['test/fixtures/config/good/three-primaries'] },
  { name: 'replica-unbacked', dirs: ['test/fixtures/config/good/shared-barman'] },
];

async function golden(name: string, text: string): Promise<string> {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(GOLDEN, { recursive: true });
    await writeFile(file, text);
  }
  return readFile(file, 'utf8');
}

describe('graph golden files', () => {
  for (const c of CASES) {
    for (const format of ['mermaid', 'dot', 'svg'] as const) {
      it(`${c.name} as ${format}`, async () => {
        const text = await renderGraph(c.dirs.map((d) => join(ROOT, d)), format);
        expect(text).toBe(await golden(`${c.name}.${EXT[format]}`, text));
      });
    }
  }
});

async function inputs(...dirs: string[]): Promise<Array<{ cluster: ClusterSpec; model: ReturnType<typeof resolveBarman> }>> {
  const out = [];
  for (const d of dirs) {
    const cluster = await loadCluster(join(ROOT, d));
    out.push({ cluster, model: resolveBarman(cluster) });
  }
  return out;
}

describe('backup graph', () => {
  it('two clusters sharing a Barman host draw one Barman node with both clusters\' servers', async () => {
    const g = backupGraph(await inputs('examples/shared-barman/cluster-a', 'examples/shared-barman/cluster-b'));
    expect(g.right).toHaveLength(1);
    expect(g.right[0]?.nodes).toEqual([{ id: 'b0', lines: ['backup-shared', '192.0.2.40', 'shared: cluster-a, cluster-b'] }]);
    expect(g.edges).toEqual([
      { from: 'c0_n0', to: 'b0', label: 'a-db1' },
      { from: 'c1_n0', to: 'b0', label: 'b-db1' },
    ]);
  });

  it('merges Barman hosts by address even when the clusters name them differently', async () => {
    const [a, b] = await inputs('examples/shared-barman/cluster-a', 'examples/shared-barman/cluster-b');
    if (!a || !b) throw new Error('fixtures');
    const renamed = structuredClone(b);
    for (const h of renamed.cluster.hosts) if (h.name === 'backup-shared') h.name = 'mybarman';
    for (const m of renamed.model.barmanHosts) m.name = 'mybarman';
    for (const s of renamed.model.backups) s.barmanHost = 'mybarman';
    const g = backupGraph([a, renamed]);
    expect(g.right[0]?.nodes.map((n) => n.lines[0])).toEqual(['backup-shared = mybarman']);
    expect(new Set(g.edges.map((e) => e.to))).toEqual(new Set(['b0']));
  });

  it('the same cluster directory given twice is drawn once', async () => {
    const once = await renderGraph([join(ROOT, 'examples/two-barman')], 'mermaid');
    const twice = await renderGraph([join(ROOT, 'examples/two-barman'), join(ROOT, 'examples/two-barman/')], 'mermaid');
    expect(twice).toBe(once);
  });

  it('an instance without backup is drawn muted with "no backup"', async () => {
    const g = backupGraph(await inputs('test/fixtures/config/good/shared-barman'));
    const replica = g.left[0]?.nodes.find((n) => n.lines[0] === 'second-replica');
    expect(replica).toMatchObject({ muted: true, lines: ['second-replica', 'replica, 10.213.0.42', 'no backup'] });
  });
});

describe('renderers escape text', () => {
  const nasty: TwoColumnGraph = {
    title: 'a <b> & "c"',
    left: [{ id: 'g0', label: 'cluster "x" <y>', nodes: [{ id: 'n0', lines: ['pg[1]|"2"', 'a\\b'] }] }],
    right: [{ id: 'g1', label: 'Barman', nodes: [{ id: 'n1', lines: ['b&1'] }] }],
    edges: [{ from: 'n0', to: 'n1', label: '<script>' }],
  };

  it('SVG: no raw markup from labels', () => {
    const svg = toSvg(nasty);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('cluster &quot;x&quot; &lt;y&gt;');
    expect(svg).toContain('b&amp;1');
    expect(xmlEscape(`'&`)).toBe('&#39;&amp;');
  });

  it('Mermaid: quotes, brackets and pipes become entity codes', () => {
    const m = toMermaid(nasty);
    expect(m).toContain('n0["pg#91;1#93;#124;#34;2#34;<br/>a#92;b"]');
    expect(m).toContain('n0 -->|"#60;script#62;"| n1');
  });

  it('DOT: quotes and backslashes escaped', () => {
    const d = toDot(nasty);
    expect(d).toContain('n0 [label="pg[1]|\\"2\\"\\na\\\\b"];');
    expect(d).toContain('digraph "a <b> & \\"c\\"" {');
  });

  it('refuses a graph whose edges name unknown nodes or whose ids are unsafe', () => {
    expect(() => toDot({ ...nasty, edges: [{ from: 'n0', to: 'zz', label: '' }] })).toThrow(/unknown node/);
    expect(() => toMermaid({ ...nasty, right: [{ id: 'g1', label: 'B', nodes: [{ id: 'n 1', lines: ['x'] }] }], edges: [] })).toThrow(/bad graph id/);
  });
});
