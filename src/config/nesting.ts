// Measure how deeply a YAML text nests *before* composing it. yaml's composer recurses,
// and after one stack overflow a second deep parse in the same process can abort Node
// (reliability-and-security.md §4.7), so deep documents must never reach parseDocument.
// The lexer is iterative and cheap; we stop at the first token past the limit.
import { CST, Lexer } from 'yaml';

/** Lexer tokens that are markers, not source text. */
const CONTROL = new Set(['\u0002', '\u0018', '\u001f']);
const SCALAR_MARK = '\u001f';

/** Tokens that start a node in block context (a key, a value, an entry). */
const NODE_START = new Set<string>([
  'seq-item-ind',
  'explicit-key-ind',
  'alias',
  'anchor',
  'tag',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'flow-map-start',
  'flow-seq-start',
]);

/**
 * Offset of the first point where nesting exceeds `max`, or undefined. Depth is an upper
 * bound: block levels (indentation columns and compact `- - x` entries, counting a scalar
 * value on a key's line as a level) plus nested flow brackets, so a false alarm needs a
 * genuinely deep document.
 */
export function findExcessiveNesting(text: string, max: number): number | undefined {
  const columns: number[] = [];
  let flow = 0;
  let offset = 0;
  let lineStart = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    if (CONTROL.has(token)) {
      if (token === SCALAR_MARK) scalarNext = true;
      continue;
    }
    const type = scalarNext ? 'scalar' : CST.tokenType(token);
    scalarNext = false;
    if (type === 'doc-start') {
      columns.length = 0;
      flow = 0;
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      flow = Math.max(0, flow - 1);
    } else if (flow === 0 && (type === 'scalar' || (type !== null && NODE_START.has(type)))) {
      const col = offset - lineStart;
      while (columns.length && (columns[columns.length - 1] ?? 0) >= col) columns.pop();
      columns.push(col);
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    // The outermost flow collection was already counted as a block node.
    if (columns.length + Math.max(0, flow - 1) > max) return offset;
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    if (nl >= 0) lineStart = offset - token.length + nl + 1;
  }
  return undefined;
}
