// Line-managed files (authorized_keys, known_hosts, .pgpass, /etc/hosts, pg_hba.conf):
// only our lines change; every other byte is kept. The new content is computed here
// and written with a compare-and-swap guard, so a concurrent writer is never lost.
import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { attrsDiffer, fileProbe, normMode, parseFileState, writeSnippet } from './file-state.js';
import { KNOWN_AFTER_APPLY, type MaybeKnown } from './file.js';

export interface LineEntry {
  /** A line is ours if it starts with (or, for `contains`, includes) this text. */
  match: string;
  line: MaybeKnown<string>;
  /** What the plan shows instead of the line (secrets masked). */
  display?: string;
}

export interface LinesSpec {
  path: string;
  owner: string;
  group: string;
  mode: string;
  entries: LineEntry[];
  matchMode: 'prefix' | 'contains';
  /** Where missing lines go: after leading comments at the top (pg_hba), or at the end. */
  insert: 'top' | 'bottom';
  secret?: boolean;
  tags: string[];
  notify?: string[];
  /** Name shown in plans, e.g. "authorized_keys of barman". */
  label?: string;
}

function isOurs(line: string, match: string, mode: LinesSpec['matchMode']): boolean {
  return mode === 'prefix' ? line.startsWith(match) : line.includes(match);
}

/** Pure: the file content with our entries present exactly once each, others untouched. */
export function editLines(before: string, entries: Array<{ match: string; line: string }>, mode: LinesSpec['matchMode'], insert: LinesSpec['insert']): string {
  const hadTrailingNewline = before === '' || before.endsWith('\n');
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const placed = new Set<number>();
  const result: string[] = [];
  for (const line of lines) {
    const idx = entries.findIndex((e) => isOurs(line, e.match, mode));
    if (idx < 0) {
      result.push(line);
    } else if (!placed.has(idx)) {
      placed.add(idx);
      result.push(entries[idx]?.line ?? line);
    }
    // a second line matching the same entry is a duplicate of ours: dropped
  }
  const missing = entries.filter((_, i) => !placed.has(i)).map((e) => e.line);
  if (missing.length > 0) {
    if (insert === 'bottom') {
      result.push(...missing);
    } else {
      let at = 0;
      while (at < result.length && /^\s*(#|$)/.test(result[at] ?? '')) at++;
      result.splice(at, 0, ...missing);
    }
  }
  return result.join('\n') + (result.length > 0 && (hadTrailingNewline || missing.length > 0) ? '\n' : '');
}

export class LinesResource implements Resource {
  readonly kind = 'lines';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: LinesSpec) {
    this.id = `lines:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): ProbeSpec {
    return { sh: fileProbe(this.spec.path) };
  }

  plan(fact: Fact): Change | null {
    const s = this.spec;
    const state = parseFileState(fact.sh);
    const label = s.label ?? s.path;
    const unknown = s.entries.filter((e) => e.line === KNOWN_AFTER_APPLY);
    if (unknown.length > 0) {
      return {
        action: state.exists ? 'update' : 'create',
        summary: `${label}: add ${s.entries.length} line(s) (content known after apply)`,
        knownAfterApply: true,
        notify: s.notify,
      };
    }
    const entries = s.entries.map((e) => ({ match: e.match, line: e.line as string }));
    const before = state.content ?? '';
    const after = editLines(before, entries, s.matchMode, s.insert);
    const attrChanges = state.exists ? attrsDiffer(state, s.owner, s.group, s.mode) : [];
    if (state.exists && after === before && attrChanges.length === 0) return null;
    const beforeLines = new Set(before.split('\n'));
    const added = s.entries.filter((e) => !beforeLines.has(e.line as string));
    const details = added.map((e) => `+ ${s.secret ? (e.display ?? '(secret line)') : (e.display ?? (e.line as string))}`);
    return {
      action: state.exists ? 'update' : 'create',
      summary: `${state.exists ? 'update' : 'create'} ${label}: ${added.length} line(s) to add or replace${attrChanges.length ? `; ${attrChanges.join(', ')}` : ''} (${s.owner}:${s.group} ${normMode(s.mode).padStart(4, '0')})`,
      details,
      sh: writeSnippet(s.path, after, s.owner, s.group, s.mode),
      guard: { path: s.path, sha256: state.sha256 },
      notify: s.notify,
    };
  }
}
