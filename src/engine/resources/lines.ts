// Line-managed files (authorized_keys, known_hosts, .pgpass, /etc/hosts, pg_hba.conf):
// only our lines change; every other byte is kept. The whole file is read (any size up
// to MAX_FILE_BYTES), edited as bytes — one character per byte (byteString), so another
// encoding, CRLF or a missing final newline come back exactly as they were — and the
// new content is written whole with a compare-and-swap guard, so a concurrent writer is
// never lost.
import { markerText, parseMark, type Conflict, type Mark } from '../ownership.js';
import type { Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { attrsDiffer, byteString, fileDiff, fileProbe, fromByteString, normMode, utf8ByteString, writeSnippet, type FileState } from './file-state.js';
import { KNOWN_AFTER_APPLY, type MaybeKnown } from './file.js';

export interface LineEntry {
  /**
   * A line is ours if it starts with this text (`prefix`) or, for `contains`, has it as
   * whole words: bounded by whitespace or the line's ends, so that `host=pg1` is not
   * found in a line about `host=pg10`.
   */
  match: string;
  line: MaybeKnown<string>;
  /** What the plan shows instead of the line (secrets masked). */
  display?: string;
  /**
   * For a line that cannot carry a marker itself (.pgpass): what it is about, e.g.
   * `pgpass=pg1:*:*:barman`. A separate comment line `# tpa-barman:<owner> <claim>`
   * marks it, and another owner's comment with the same claim is a conflict.
   */
  claim?: string;
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
  /**
   * Who owns our lines. Lines marked `tpa-barman:<someone else>` are never matched,
   * changed or removed; a claim of theirs that ours contradicts is a conflict.
   */
  markedBy?: string;
  /**
   * Lines marked by markedBy that no entry wants any more are removed: in authorized_keys,
   * an older key of ours (a replaced pair) must stop being authorized.
   */
  pruneOwn?: boolean;
}

function isOurs(line: string, match: string, mode: LinesSpec['matchMode']): boolean {
  return mode === 'prefix' ? line.startsWith(match) : containsWords(line, match);
}

/** Whether `text` occurs in `line` with whitespace or a line end on both sides. */
export function containsWords(line: string, text: string): boolean {
  if (text === '') return false;
  const bounded = (i: number): boolean => i < 0 || i >= line.length || /\s/.test(line.charAt(i));
  for (let at = line.indexOf(text); at !== -1; at = line.indexOf(text, at + 1)) {
    if (bounded(at - 1) && bounded(at + text.length)) return true;
  }
  return false;
}

function isForeign(line: string, owner: string | undefined): boolean {
  if (owner === undefined) return false;
  const m = parseMark(line);
  return m !== undefined && m.owner !== owner;
}

/** Our entries plus, for each claimed entry, the comment line that marks it. */
function withClaimComments(entries: ReadonlyArray<{ match: string; line: string; claim?: string }>, owner: string | undefined): Array<{ match: string; line: string }> {
  const out: Array<{ match: string; line: string }> = [];
  for (const e of entries) {
    if (e.claim && owner !== undefined) {
      const comment = `# ${markerText(owner, e.claim)}`;
      out.push({ match: comment, line: comment });
    }
    out.push({ match: e.match, line: e.line });
  }
  return out;
}

/**
 * Pure: the file content with our entries present exactly once each, others untouched.
 * With an owner, lines marked by another owner are left exactly as they are. A file
 * that does not end with a newline still does not (lines added at the bottom go after
 * a newline that separates them from the last line).
 */
export function editLines(
  before: string,
  entries: Array<{ match: string; line: string }>,
  mode: LinesSpec['matchMode'],
  insert: LinesSpec['insert'],
  owner?: string,
  pruneOwn = false,
): string {
  const hadTrailingNewline = before === '' || before.endsWith('\n');
  const lines = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const placed = new Set<number>();
  const result: string[] = [];
  for (const line of lines) {
    const idx = isForeign(line, owner) ? -1 : entries.findIndex((e) => isOurs(line, e.match, mode));
    if (idx < 0) {
      if (!(pruneOwn && owner !== undefined && parseMark(line)?.owner === owner)) result.push(line);
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
  return result.join('\n') + (result.length > 0 && hadTrailingNewline ? '\n' : '');
}

/** The spec's text (UTF-8) in the byte form the file's content is edited in. */
function inBytes(spec: LinesSpec): LinesSpec {
  return {
    ...spec,
    markedBy: spec.markedBy === undefined ? undefined : utf8ByteString(spec.markedBy),
    entries: spec.entries.map((e) => ({
      ...e,
      match: utf8ByteString(e.match),
      line: e.line === KNOWN_AFTER_APPLY ? e.line : utf8ByteString(e.line),
      claim: e.claim === undefined ? undefined : utf8ByteString(e.claim),
    })),
  };
}

export class LinesResource implements Resource<FileState> {
  readonly kind = 'lines';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: LinesSpec) {
    this.id = `lines:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): Probe<FileState> {
    return fileProbe(this.spec.path);
  }

  conflicts(state: FileState): Conflict[] {
    return state.exists ? lineConflicts(byteString(state.content), inBytes(this.spec)) : [];
  }

  plan(state: FileState): Change | null {
    const s = this.spec;
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
    const b = inBytes(s);
    const entries = withClaimComments(
      b.entries.map((e) => ({ match: e.match, line: e.line as string, claim: e.claim })),
      b.markedBy,
    );
    const before = byteString(state.content);
    const after = editLines(before, entries, s.matchMode, s.insert, b.markedBy, s.pruneOwn);
    const attrChanges = state.exists ? attrsDiffer(state, s.owner, s.group, s.mode) : [];
    if (state.exists && after === before && attrChanges.length === 0) return null;
    const beforeLines = new Set(before.split('\n'));
    const added = s.entries.filter((_, i) => !beforeLines.has(b.entries[i]?.line as string));
    const details = added.map((e) => `+ ${lineShown(e, s.secret)}`);
    const pruned = s.pruneOwn && b.markedBy !== undefined ? before.split('\n').filter((l) => parseMark(l)?.owner === b.markedBy && !entries.some((e) => isOurs(l, e.match, s.matchMode))) : [];
    details.push(...pruned.map((l) => `- ${s.secret ? '(secret line)' : l}`));
    const content = fromByteString(after);
    return {
      action: state.exists ? 'update' : 'create',
      summary: `${state.exists ? 'update' : 'create'} ${label}: ${added.length} line(s) to add or replace${pruned.length ? `, ${pruned.length} of ours to remove` : ''}${attrChanges.length ? `; ${attrChanges.join(', ')}` : ''} (${s.owner}:${s.group} ${normMode(s.mode).padStart(4, '0')})`,
      details,
      // Secret files (.pgpass) show only the masked lines above, never a diff.
      diff: s.secret || after === before ? undefined : fileDiff(s.path, state.exists ? state.content : undefined, content),
      sh: writeSnippet(s.path, content, s.owner, s.group, s.mode),
      guard: { path: s.path, sha256: state.sha256 },
      notify: s.notify,
    };
  }
}

function lineShown(e: LineEntry, secret: boolean | undefined): string {
  if (e.line === KNOWN_AFTER_APPLY) return e.display ?? '(known after apply)';
  return secret ? (e.display ?? '(secret line)') : (e.display ?? e.line);
}

/**
 * What our entries would take from another owner: a line they mark with the same claim
 * but different content (an instance name two clusters use for different hosts).
 */
export function lineConflicts(content: string, spec: LinesSpec): Conflict[] {
  const owner = spec.markedBy;
  if (owner === undefined || content === '') return [];
  const label = spec.label ?? spec.path;
  const lines = content.replace(/\n$/, '').split('\n');
  const foreign = new Map<string, { owner: string; bare: Set<string> }>();
  for (const line of lines) {
    const m = parseMark(line);
    if (!m || m.owner === owner || !m.claim) continue;
    const f = foreign.get(m.claim) ?? { owner: m.owner, bare: new Set<string>() };
    f.bare.add(m.bare);
    foreign.set(m.claim, f);
  }
  if (foreign.size === 0) return [];
  const conflicts: Conflict[] = [];
  const ours = new Map<string, Set<string>>();
  for (const e of spec.entries) {
    if (e.line === KNOWN_AFTER_APPLY) {
      // Not generated yet (a plan): it can only differ from theirs.
      const f = e.claim ? foreign.get(e.claim) : undefined;
      if (f && e.claim) conflicts.push({ message: `${label}: ${e.claim} belongs to cluster ${f.owner}`, owner: f.owner });
      continue;
    }
    if (e.claim) {
      // The data line has no marker: any different line of theirs for this claim conflicts.
      const f = foreign.get(e.claim);
      const current = lines.find((l) => !isForeign(l, owner) && isOurs(l, e.match, spec.matchMode));
      if (f && current !== e.line) {
        conflicts.push({ message: `${label}: ${e.claim} belongs to cluster ${f.owner}${spec.secret ? '' : `; this cluster wants: ${e.line}`}`, owner: f.owner });
      }
      continue;
    }
    const m = parseMark(e.line);
    if (!m?.claim) continue;
    const set = ours.get(m.claim) ?? new Set<string>();
    set.add(m.bare);
    ours.set(m.claim, set);
  }
  for (const [claim, mine] of ours) {
    const f = foreign.get(claim);
    if (!f) continue;
    const theirs = [...f.bare];
    // Both owners may want the same thing (the shared host's own /etc/hosts line).
    if (theirs.every((b) => mine.has(b))) continue;
    conflicts.push({
      message: `${label}: ${claim} belongs to cluster ${f.owner}${spec.secret ? '' : ` (theirs: ${theirs.join(' | ')}; this cluster's: ${[...mine].join(' | ')})`}`,
      owner: f.owner,
    });
  }
  return conflicts;
}

export interface LineRemovalSpec {
  path: string;
  /** Remove only lines marked by this owner... */
  markedBy: string;
  /** ...and of these, only the ones this picks (default: all of the owner's lines). */
  select?: (mark: Mark, line: string) => boolean;
  /** Unmarked data lines (by prefix) that go with a removed claim comment (.pgpass). */
  claimedData?: Array<{ match: string; claim: string }>;
  secret?: boolean;
  tags: string[];
  notify?: string[];
  label?: string;
}

/** Pure: the content without the owner's selected lines (a missing final newline stays missing). */
export function removeOwnedLines(before: string, spec: LineRemovalSpec): { after: string; removed: string[] } {
  if (before === '') return { after: before, removed: [] };
  const lines = before.replace(/\n$/, '').split('\n');
  const wanted = (m: Mark, line: string): boolean => m.owner === spec.markedBy && (spec.select?.(m, line) ?? true);
  const removedClaims = new Set<string>();
  const foreignClaims = new Set<string>();
  for (const line of lines) {
    const m = parseMark(line);
    if (!m?.claim) continue;
    if (wanted(m, line)) removedClaims.add(m.claim);
    else if (m.owner !== spec.markedBy) foreignClaims.add(m.claim);
  }
  // A data line goes with our claim comment, unless another owner claims it too.
  const dataMatches = (spec.claimedData ?? []).filter((d) => removedClaims.has(d.claim) && !foreignClaims.has(d.claim)).map((d) => d.match);
  const kept: string[] = [];
  const removed: string[] = [];
  for (const line of lines) {
    const m = parseMark(line);
    const drop = m ? wanted(m, line) : dataMatches.some((d) => line.startsWith(d));
    (drop ? removed : kept).push(line);
  }
  if (removed.length === 0) return { after: before, removed };
  return { after: kept.length ? `${kept.join('\n')}${before.endsWith('\n') ? '\n' : ''}` : '', removed };
}

/** Removes the lines one owner put in a line-managed file; every other byte stays. */
export class LineRemovalResource implements Resource<FileState> {
  readonly kind = 'lines_removal';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: LineRemovalSpec) {
    this.id = `lines-removal:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): Probe<FileState> {
    return fileProbe(this.spec.path);
  }

  plan(state: FileState): Change | null {
    const s = this.spec;
    if (!state.exists) return null;
    const inBytesSpec: LineRemovalSpec = {
      ...s,
      markedBy: utf8ByteString(s.markedBy),
      claimedData: s.claimedData?.map((d) => ({ match: utf8ByteString(d.match), claim: utf8ByteString(d.claim) })),
    };
    const { after, removed } = removeOwnedLines(byteString(state.content), inBytesSpec);
    if (removed.length === 0) return null;
    const label = s.label ?? s.path;
    return {
      action: 'remove',
      summary: `${label}: remove ${removed.length} line(s) of ${s.markedBy}`,
      details: removed.map((l) => `- ${s.secret && !l.startsWith('#') ? '(secret line)' : l}`),
      // Keep the file's own owner and mode: only lines go.
      sh: writeSnippet(s.path, fromByteString(after), state.owner ?? 'root', state.group ?? 'root', state.mode ?? '0644'),
      guard: { path: s.path, sha256: state.sha256 },
      notify: s.notify,
    };
  }
}
