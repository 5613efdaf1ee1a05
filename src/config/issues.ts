// Collecting problems so a user sees all of them at once, each with position and frame.
// Reports are capped: a hostile file can hold tens of thousands of mistakes, and each
// frame and suggestion costs time, so only the first MAX_ISSUES are worked out in full.
import { ConfigError } from '../errors.js';
import { codeFrame } from './frame.js';
import { formatKeyPath, type PathSeg } from './keypath.js';
import type { ConfigSource, PosTarget } from './source.js';
import type { ClusterSpec, ConfigIssue, SourcePos } from './types.js';

export const MAX_ISSUES = 50;

/** A hint, or a function computing it (suggestions are only worked out for reported issues). */
export type Hint = string | undefined | (() => string | undefined);

export interface IssueOptions {
  hint?: Hint;
  /** Point at the key rather than the value (unknown keys, duplicates). */
  target?: PosTarget;
}

export interface IssueWhere {
  key?: string;
  pos?: SourcePos;
  hint?: Hint;
}

/** File order, so the report reads top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}

/** Collects issues up to MAX_ISSUES, counting the rest. */
export class IssueCollector {
  protected readonly kept: ConfigIssue[] = [];
  private dropped = 0;

  constructor(private readonly frameFor: (pos: SourcePos) => string | undefined) {}

  get issues(): readonly ConfigIssue[] {
    return this.kept;
  }

  get length(): number {
    return this.kept.length + this.dropped;
  }

  add(message: string, where: IssueWhere = {}): void {
    if (this.kept.length >= MAX_ISSUES) {
      this.dropped++;
      return;
    }
    // The same problem can be reached twice (e.g. a cluster_vars value seen from every host).
    if (this.kept.some((i) => i.message === message && i.key === where.key && i.pos?.line === where.pos?.line && i.pos?.col === where.pos?.col)) return;
    const issue: ConfigIssue = { message };
    if (where.key) issue.key = where.key;
    if (where.pos) {
      issue.pos = where.pos;
      const frame = this.frameFor(where.pos);
      if (frame) issue.frame = frame;
    }
    const hint = typeof where.hint === 'function' ? where.hint() : where.hint;
    if (hint) issue.hint = hint;
    this.kept.push(issue);
  }

  /** Throw a ConfigError (exit 5) carrying every issue, if there are any. */
  throwIfAny(): void {
    if (!this.length) return;
    const issues = sortIssues(this.kept);
    if (this.dropped) issues.push({ message: `... and ${this.dropped} more problem(s) not shown; fix these first` });
    throw new ConfigError(issues);
  }
}

/** Issues found while reading one config.yml, located by key path. */
export class IssueList extends IssueCollector {
  constructor(private readonly source: ConfigSource) {
    super((pos) => source.frame(pos));
  }

  /** Record a problem with the setting at `path`. */
  at(path: readonly PathSeg[], message: string, opts: IssueOptions = {}): void {
    if (this.length >= MAX_ISSUES) {
      this.add(message);
      return;
    }
    const pos = this.source.locate(path, opts.target ?? 'value');
    this.add(message, { key: path.length ? formatKeyPath(path) : undefined, pos, hint: opts.hint });
  }

  /** Record a problem at a known position (parse errors). */
  atPos(pos: SourcePos, message: string, key?: string, hint?: Hint): void {
    this.add(message, { key, pos, hint });
  }
}

/**
 * Issues found after loading (by a playbook's own checks), pointing into the cluster's
 * config.yml with code frames when its text is available.
 */
export class ClusterIssues extends IssueCollector {
  constructor(cluster: Pick<ClusterSpec, 'configText'>) {
    super((pos) => (cluster.configText === undefined ? undefined : codeFrame(cluster.configText, pos.line, pos.col)));
  }
}
