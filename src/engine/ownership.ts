// Ownership markers. Several clusters may manage lines and files on one host (a shared
// server); every line or file we write names its owner, as `tpa-barman:<owner>`,
// optionally followed by a claim: what the line is about (`host=pg1`), so two owners
// wanting the same thing can be told apart from two owners wanting different things.

export const MARKER_PREFIX = 'tpa-barman:';

/** `tpa-barman:<owner>` or `tpa-barman:<owner> <claim>`. */
export function markerText(owner: string, claim?: string): string {
  return claim ? `${MARKER_PREFIX}${owner} ${claim}` : `${MARKER_PREFIX}${owner}`;
}

export interface Mark {
  owner: string;
  /** `key=value` after the owner, when the marker has one. */
  claim?: string;
  /** The text with the marker (and a `#` that only introduced it) taken out. */
  bare: string;
}

const MARK_RE = /(\s*#\s*|\s+|^)tpa-barman:([^\s]+)(?:\s+([A-Za-z_][\w-]*=[^\s]+))?/;

/** The first marker in a line, or undefined for an unmarked line. */
export function parseMark(line: string): Mark | undefined {
  const m = MARK_RE.exec(line);
  if (!m) return undefined;
  const bare = (line.slice(0, m.index) + line.slice(m.index + m[0].length)).trimEnd();
  return { owner: m[2] ?? '', claim: m[3], bare };
}

/** The owner named by the first marker in a file's content. */
export function contentOwner(content: string | undefined): string | undefined {
  if (!content) return undefined;
  for (const line of content.split('\n')) {
    const m = parseMark(line);
    if (m) return m.owner;
  }
  return undefined;
}

/** Content with every marker line taken out: for comparing what two owners want. */
export function withoutMarkerLines(content: string): string {
  return content
    .split('\n')
    .filter((l) => !l.includes(MARKER_PREFIX))
    .join('\n');
}

/**
 * A reason not to go ahead: a change would take over something another owner has.
 * `override` names the flag that allows it anyway, when one may.
 */
export interface Conflict {
  message: string;
  /** The other owner, when known. */
  owner?: string;
  /** What would change, for the user to judge (never secret). */
  diff?: string;
  override?: string;
  /** What to do about it, when the generic advice does not fit. */
  hint?: string;
}
