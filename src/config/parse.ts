// Hostile-input-safe YAML parsing of config.yml: size cap, nesting pre-scan, YAML 1.2 only,
// unique keys, no custom tags, bounded aliases, one document, mapping at the top.
import { LineCounter, isAlias, isMap, isNode, isScalar, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { IssueList } from './issues.js';
import { showValue } from './printable.js';
import { findExcessiveNesting } from './nesting.js';
import { ConfigSource } from './source.js';

// TPA configs are a few KB; yaml needs about 1.5 s for 1 MiB of hostile input, so stop there.
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_NESTING = 64;
export const MAX_ALIAS_COUNT = 100;

/** Tags a config.yml may carry explicitly: YAML's core schema, nothing that builds objects. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

export interface ParsedConfig {
  source: ConfigSource;
  data: Record<string, unknown>;
}

/** The first line of yaml's message, without its own "at line N" suffix and frame. */
function yamlMessage(err: YAMLError): string {
  const first = err.message.split('\n')[0] ?? err.message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

export interface ParseOptions {
  /** Local tags to accept as plain strings (host_vars may hold `!vault` values). */
  allowTags?: readonly string[];
}

/** Parse config text or throw ConfigError naming `file:LINE:COL`. */
export function parseConfigText(text: string, file: string, opts: ParseOptions = {}): ParsedConfig {
  const bare = new ConfigSource(file, text, lineCounterFor(text));
  const early = new IssueList(bare);
  const deep = findExcessiveNesting(text, MAX_NESTING);
  if (deep !== undefined) {
    early.atPos(bare.posAt(deep), `nesting deeper than ${MAX_NESTING} levels; refusing to parse`);
    early.throwIfAny();
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    version: '1.2',
    merge: true,
    // yaml's own duplicate check compares each key with every earlier one (quadratic in the
    // size of a mapping); checkDuplicateKeys does the same job with a set.
    uniqueKeys: false,
    prettyErrors: true,
    strict: true,
    keepSourceTokens: false,
  });
  const source = new ConfigSource(file, text, lines, doc);
  const issues = new IssueList(source);
  for (const err of [...doc.errors, ...doc.warnings]) {
    // checkTags reports unknown tags itself, with a clearer message.
    if (err.code === 'TAG_RESOLVE_FAILED') continue;
    issues.atPos(source.posAt(err.pos[0]), `YAML ${err.code}: ${yamlMessage(err)}`);
  }
  checkDirectives(doc, source, issues);
  checkTags(doc, source, issues, new Set(opts.allowTags ?? []));
  checkDuplicateKeys(doc, source, issues);
  issues.throwIfAny();

  if (!isMap(doc.contents)) {
    const what = opts.allowTags ? 'the top level must be a mapping of variables' : 'the top level of config.yml must be a mapping (cluster_name:, instances:, ...)';
    issues.atPos(source.posAt(doc.contents?.range?.[0] ?? 0), what);
    issues.throwIfAny();
  }
  return { source, data: toData(doc, source, issues) };
}

function lineCounterFor(text: string): LineCounter {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lc.addNewLine(i + 1);
  return lc;
}

/** A `%YAML 1.1` directive would switch on 1.1 booleans/octals and merge keys: refuse it. */
function checkDirectives(doc: Document.Parsed, source: ConfigSource, issues: IssueList): void {
  const yaml = doc.directives?.yaml;
  if (yaml?.explicit && yaml.version !== '1.2') {
    issues.atPos(source.posAt(0), `%YAML ${yaml.version} is not supported; config.yml is read as YAML 1.2`);
  }
}

/** Where the tag in front of a node starts (nodes' ranges exclude their tag and anchor). */
function tagOffset(text: string, valueStart: number): number {
  const before = text.slice(Math.max(0, valueStart - 512), valueStart);
  const m = /(![^\s]*)(?:\s+&[^\s]+)?\s*$/.exec(before);
  return m ? valueStart - before.length + m.index : valueStart;
}

function checkTags(doc: Document.Parsed, source: ConfigSource, issues: IssueList, allowed: ReadonlySet<string>): void {
  visit(doc, (_key, node) => {
    if (!isNode(node) || isAlias(node) || typeof node.tag !== 'string') return;
    if (!CORE_TAGS.has(node.tag) && !allowed.has(node.tag)) {
      const at = tagOffset(source.text, node.range?.[0] ?? 0);
      issues.atPos(source.posAt(at), `tag ${node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in config.yml`);
    }
  });
}

/** Duplicate keys are an error, as in TPA (PyYAML would silently keep the last). */
function checkDuplicateKeys(doc: Document.Parsed, source: ConfigSource, issues: IssueList): void {
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined || key === '<<') continue;
        if (seen.has(key)) {
          const at = isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
          issues.atPos(source.posAt(at), `YAML DUPLICATE_KEY: duplicate key ${showValue(key)}; map keys must be unique`);
        }
        seen.add(key);
      }
    },
  });
}

/** Convert to plain data, turning an alias bomb into a positioned error. */
function toData(doc: Document.Parsed, source: ConfigSource, issues: IssueList): Record<string, unknown> {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    let at = 0;
    visit(doc, {
      Alias(_k, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    issues.atPos(source.posAt(at), `too many alias expansions (limit ${MAX_ALIAS_COUNT}): ${err.message}`);
    issues.throwIfAny();
    throw err;
  }
}
