// Our own SVG for a TwoColumnGraph (no Graphviz): groups of boxes stacked in two columns,
// straight arrows from left to right, each labelled on a white plate placed where it does
// not cover another label. Monospace text, so widths are known without measuring.
import { checkGraph, type GraphGroup, type GraphNode, type TwoColumnGraph } from './graph.js';

const FONT = 13;
const CHAR_W = FONT * 0.6;
const LINE_H = 17;
const PAD_X = 12;
const PAD_Y = 8;
const GROUP_PAD = 12;
const GROUP_HEAD = 22;
const NODE_GAP = 14;
const GROUP_GAP = 18;
const MARGIN = 20;
const LABEL_FONT = 11;
const LABEL_CHAR_W = LABEL_FONT * 0.6;
const LABEL_H = 16;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface PlacedNode extends Box {
  node: GraphNode;
}

interface PlacedGroup extends Box {
  group: GraphGroup;
  nodes: PlacedNode[];
}

/** Text for SVG character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);
}

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

function textWidth(s: string, charW = CHAR_W): number {
  return [...s].length * charW;
}

function nodeHeight(n: GraphNode): number {
  return PAD_Y * 2 + LINE_H * n.lines.length;
}

function columnWidth(groups: GraphGroup[]): number {
  const widths = groups.flatMap((g) => [textWidth(g.label) + 2 * GROUP_PAD, ...g.nodes.flatMap((n) => n.lines.map((l) => textWidth(l) + 2 * PAD_X + 2 * GROUP_PAD))]);
  return Math.ceil(Math.max(160, ...widths));
}

function stack(groups: GraphGroup[], x: number, y0: number, w: number): { placed: PlacedGroup[]; height: number } {
  let y = y0;
  const placed: PlacedGroup[] = [];
  for (const g of groups) {
    const top = y;
    let ny = y + GROUP_HEAD;
    const nodes: PlacedNode[] = g.nodes.map((n) => {
      const p = { node: n, x: x + GROUP_PAD, y: ny, w: w - 2 * GROUP_PAD, h: nodeHeight(n) };
      ny += p.h + NODE_GAP;
      return p;
    });
    const h = ny - NODE_GAP + GROUP_PAD - top;
    placed.push({ group: g, nodes, x, y: top, w, h });
    y = top + h + GROUP_GAP;
  }
  return { placed, height: Math.max(0, y - GROUP_GAP - y0) };
}

function shift(groups: PlacedGroup[], dy: number): void {
  for (const g of groups) {
    g.y += dy;
    for (const n of g.nodes) n.y += dy;
  }
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function groupSvg(g: PlacedGroup, kind: 'left' | 'right'): string[] {
  const out = [
    `  <g class="group" id="${xmlEscape(g.group.id)}">`,
    `    <rect x="${r1(g.x)}" y="${r1(g.y)}" width="${r1(g.w)}" height="${r1(g.h)}" rx="8" fill="none" stroke="#9aa5b1" stroke-dasharray="4 3"/>`,
    `    <text x="${r1(g.x + GROUP_PAD)}" y="${r1(g.y + 16)}" font-weight="bold" fill="#3e4c59">${xmlEscape(g.group.label)}</text>`,
  ];
  for (const n of g.nodes) {
    const fill = kind === 'left' ? '#e8f1fd' : '#fff3e0';
    const stroke = kind === 'left' ? '#3f72af' : '#c77700';
    const dash = n.node.muted ? ' stroke-dasharray="5 4"' : '';
    out.push(`    <g class="node" id="${xmlEscape(n.node.id)}">`);
    out.push(`      <rect x="${r1(n.x)}" y="${r1(n.y)}" width="${r1(n.w)}" height="${r1(n.h)}" rx="6" fill="${n.node.muted ? '#f5f5f5' : fill}" stroke="${stroke}"${dash}/>`);
    n.node.lines.forEach((line, i) => {
      const weight = i === 0 ? ' font-weight="bold"' : ' fill="#52606d"';
      out.push(`      <text x="${r1(n.x + PAD_X)}" y="${r1(n.y + PAD_Y + LINE_H * i + 13)}"${weight}>${xmlEscape(line)}</text>`);
    });
    out.push('    </g>');
  }
  out.push('  </g>');
  return out;
}

export function toSvg(g: TwoColumnGraph): string {
  checkGraph(g);
  const leftW = columnWidth(g.left);
  const rightW = columnWidth(g.right);
  const gap = Math.ceil(Math.max(180, ...g.edges.map((e) => textWidth(e.label, LABEL_CHAR_W) * 2 + 60)));
  const left = stack(g.left, MARGIN, MARGIN + 24, leftW);
  const right = stack(g.right, MARGIN + leftW + gap, MARGIN + 24, rightW);
  const bodyH = Math.max(left.height, right.height);
  shift(left.placed, (bodyH - left.height) / 2);
  shift(right.placed, (bodyH - right.height) / 2);
  const width = MARGIN * 2 + leftW + gap + rightW;
  const height = MARGIN * 2 + 24 + bodyH;
  const nodes = new Map<string, PlacedNode>();
  for (const grp of [...left.placed, ...right.placed]) for (const n of grp.nodes) nodes.set(n.node.id, n);

  const lines: string[] = [];
  const labels: string[] = [];
  const taken: Box[] = [];
  for (const e of g.edges) {
    const a = nodes.get(e.from);
    const b = nodes.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    lines.push(`  <line class="edge" x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="#52606d" stroke-width="1.5" marker-end="url(#arrow)"/>`);
    const w = textWidth(e.label, LABEL_CHAR_W) + 8;
    let box: Box = { x: 0, y: 0, w, h: LABEL_H };
    for (const t of [0.5, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85]) {
      const cx = x1 + (x2 - x1) * t;
      const cy = y1 + (y2 - y1) * t;
      box = { x: cx - w / 2, y: cy - LABEL_H / 2, w, h: LABEL_H };
      if (!taken.some((o) => overlaps(o, box))) break;
    }
    taken.push(box);
    labels.push(
      `  <g class="edge-label"><rect x="${r1(box.x)}" y="${r1(box.y)}" width="${r1(box.w)}" height="${LABEL_H}" rx="3" fill="#ffffff" stroke="#cbd2d9"/>` +
        `<text x="${r1(box.x + box.w / 2)}" y="${r1(box.y + 12)}" font-size="${LABEL_FONT}" text-anchor="middle">${xmlEscape(e.label)}</text></g>`,
    );
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${r1(height)}" viewBox="0 0 ${width} ${r1(height)}" font-family="monospace" font-size="${FONT}">`,
    `  <title>${xmlEscape(g.title)}</title>`,
    '  <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#52606d"/></marker></defs>',
    `  <rect width="${width}" height="${r1(height)}" fill="#ffffff"/>`,
    `  <text x="${MARGIN}" y="${MARGIN + 8}" font-weight="bold" font-size="15">${xmlEscape(g.title)}</text>`,
    ...left.placed.flatMap((p) => groupSvg(p, 'left')),
    ...right.placed.flatMap((p) => groupSvg(p, 'right')),
    ...lines,
    ...labels,
    '</svg>',
    '',
  ].join('\n');
}
