// A parsed config.yml with the means to turn a key path into `config.yml:LINE:COL`.
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { codeFrame } from './frame.js';
import type { PathSeg } from './keypath.js';
import type { SourcePos } from './types.js';

/** Which end of a `key: value` pair a message should point at. */
export type PosTarget = 'key' | 'value';

export class ConfigSource {
  /** Key → pair per mapping, built on first use: lookups must not be linear in map size. */
  private readonly pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    /** The file name as shown to the user (the cluster dir as given, plus config.yml). */
    readonly file: string,
    readonly text: string,
    private readonly lines: LineCounter,
    private readonly doc?: Document.Parsed,
  ) {}

  /** 1-based line/column of a character offset. */
  posAt(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, col };
  }

  frame(pos: SourcePos): string {
    return codeFrame(this.text, pos.line, pos.col);
  }

  /**
   * Position of the node at `path`. Falls back to the deepest ancestor that exists (values
   * that came through an alias or merge key have no node of their own at that path).
   */
  locate(path: readonly PathSeg[], target: PosTarget = 'value'): SourcePos {
    const offset = this.doc ? this.offsetOf(path, target) : 0;
    return this.posAt(offset);
  }

  private offsetOf(path: readonly PathSeg[], target: PosTarget): number {
    let node: unknown = this.doc?.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      node = this.deref(node);
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.pairOf(node, String(seg));
        if (!pair) return offset;
        const keyStart = rangeStart(pair.key);
        if (last && target === 'key' && keyStart !== undefined) return keyStart;
        node = pair.value;
        // `key:` with no value has a null node positioned after the colon; the key reads better.
        offset = isNode(pair.value) && !isEmptyScalar(pair.value) ? (rangeStart(pair.value) ?? offset) : (keyStart ?? offset);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return offset;
        node = item;
        offset = rangeStart(item) ?? offset;
      } else {
        return offset;
      }
    }
    return offset;
  }

  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.pairIndex.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) {
        const k = isPair(p) ? keyText(p.key) : undefined;
        if (k !== undefined && !index.has(k)) index.set(k, p);
      }
      this.pairIndex.set(map, index);
    }
    return index.get(key);
  }

  private deref(node: unknown): unknown {
    return isAlias(node) && this.doc ? node.resolve(this.doc) : node;
  }
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && !!node.range && node.range[0] === node.range[1];
}
