// Collecting problems so a user sees all of them at once, each with position and frame.
import { ConfigError } from '../errors.js';
import { formatKeyPath, type PathSeg } from './keypath.js';
import type { ConfigSource, PosTarget } from './source.js';
import type { ClusterSpec, ConfigIssue, SourcePos } from './types.js';
import { codeFrame } from './frame.js';

export interface IssueOptions {
  hint?: string;
  /** Point at the key rather than the value (unknown keys, duplicates). */
  target?: PosTarget;
}

/** Issues found while reading one config.yml. */
export class IssueList {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly source: ConfigSource) {}

  /** Record a problem with the setting at `path`. */
  at(path: readonly PathSeg[], message: string, opts: IssueOptions = {}): void {
    const pos = this.source.locate(path, opts.target ?? 'value');
    this.push({ message, key: path.length ? formatKeyPath(path) : undefined, pos, hint: opts.hint });
  }

  /** Record a problem at a known position (parse errors). */
  atPos(pos: SourcePos, message: string, key?: string, hint?: string): void {
    this.push({ message, key, pos, hint });
  }

  get length(): number {
    return this.issues.length;
  }

  /** Throw a ConfigError (exit 5) carrying every issue, if there are any. */
  throwIfAny(): void {
    if (this.issues.length) throw new ConfigError(sortIssues(this.issues));
  }

  private push(issue: { message: string; key?: string; pos: SourcePos; hint?: string }): void {
    const full: ConfigIssue = { message: issue.message, pos: issue.pos, frame: this.source.frame(issue.pos) };
    if (issue.key) full.key = issue.key;
    if (issue.hint) full.hint = issue.hint;
    this.issues.push(full);
  }
}

/** File order, so the report reads top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}

/**
 * An issue found after loading (by a playbook's own checks), pointing at `pos` in the
 * cluster's config.yml with a code frame when the text is available.
 */
export function issueAt(
  cluster: Pick<ClusterSpec, 'configText'>,
  message: string,
  where: { key?: string; pos?: SourcePos; hint?: string },
): ConfigIssue {
  const issue: ConfigIssue = { message };
  if (where.key) issue.key = where.key;
  if (where.pos) {
    issue.pos = where.pos;
    if (cluster.configText !== undefined) {
      const frame = codeFrame(cluster.configText, where.pos.line, where.pos.col);
      if (frame) issue.frame = frame;
    }
  }
  if (where.hint) issue.hint = where.hint;
  return issue;
}
