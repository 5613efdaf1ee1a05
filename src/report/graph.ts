// A two-column graph (sources on the left, targets on the right, labelled edges from left
// to right) and its Mermaid and Graphviz DOT renderings. SVG is in graph-svg.ts.

export interface GraphNode {
  /** Letters, digits and `_` only: used as an identifier in every format. */
  id: string;
  /** First line is the title; the others are details. */
  lines: string[];
  /** Drawn dashed (e.g. nothing points at or from it). */
  muted?: boolean;
}

export interface GraphGroup {
  id: string;
  label: string;
  nodes: GraphNode[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

export interface TwoColumnGraph {
  title: string;
  left: GraphGroup[];
  right: GraphGroup[];
  edges: GraphEdge[];
}

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws if an id is unusable or repeated, or an edge names an unknown node. */
export function checkGraph(g: TwoColumnGraph): void {
  const ids = new Set<string>();
  for (const grp of [...g.left, ...g.right]) {
    for (const id of [grp.id, ...grp.nodes.map((n) => n.id)]) {
      if (!ID_RE.test(id)) throw new Error(`internal error: bad graph id ${JSON.stringify(id)}`);
      if (ids.has(id)) throw new Error(`internal error: graph id ${id} used twice`);
      ids.add(id);
    }
  }
  for (const e of g.edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) throw new Error(`internal error: edge ${e.from} -> ${e.to} names an unknown node`);
  }
}

/** Mermaid text in a quoted label: entity codes for the characters Mermaid reads. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&|\\[\]{}()]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

export function toMermaid(g: TwoColumnGraph): string {
  checkGraph(g);
  const out = ['flowchart LR'];
  const node = (n: GraphNode, shape: 'box' | 'db'): string => {
    const label = `"${n.lines.map(mermaidText).join('<br/>')}"`;
    return shape === 'db' ? `${n.id}[(${label})]` : `${n.id}[${label}]`;
  };
  const groups = (list: GraphGroup[], shape: 'box' | 'db'): void => {
    for (const grp of list) {
      out.push(`  subgraph ${grp.id}["${mermaidText(grp.label)}"]`);
      for (const n of grp.nodes) out.push(`    ${node(n, shape)}`);
      out.push('  end');
    }
  };
  groups(g.left, 'box');
  groups(g.right, 'db');
  for (const e of g.edges) out.push(`  ${e.from} -->|"${mermaidText(e.label)}"| ${e.to}`);
  const muted = [...g.left, ...g.right].flatMap((grp) => grp.nodes.filter((n) => n.muted).map((n) => n.id));
  if (muted.length > 0) {
    out.push('  classDef muted stroke-dasharray: 5 5,color:#666');
    out.push(`  class ${muted.join(',')} muted`);
  }
  return `${out.join('\n')}\n`;
}

/** A DOT double-quoted string. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function toDot(g: TwoColumnGraph): string {
  checkGraph(g);
  const out = [
    `digraph ${dotString(g.title)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style="rounded", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const groups = (list: GraphGroup[], shape: string): void => {
    for (const grp of list) {
      out.push(`  subgraph ${dotString(`cluster_${grp.id}`)} {`, `    label=${dotString(grp.label)};`);
      for (const n of grp.nodes) {
        const style = n.muted ? ', style="rounded,dashed"' : '';
        out.push(`    ${n.id} [label=${dotString(n.lines.join('\n'))}${shape ? `, shape=${shape}` : ''}${style}];`);
      }
      out.push('  }');
    }
  };
  groups(g.left, '');
  groups(g.right, 'cylinder');
  for (const e of g.edges) out.push(`  ${e.from} -> ${e.to} [label=${dotString(e.label)}];`);
  out.push('}');
  return `${out.join('\n')}\n`;
}
