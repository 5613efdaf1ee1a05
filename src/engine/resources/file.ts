// A whole file we own: content (exact bytes), owner, group and mode.
import { contentOwner, withoutMarkerLines, type Conflict } from '../ownership.js';
import type { Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { attrsDiffer, byteString, fileDiff, fileProbe, normMode, sha256, utf8ByteString, writeSnippet, type FileState } from './file-state.js';
import { shellQuote } from '../../util/shell.js';

/** Content not known until an earlier step has run (plan mode only). */
export const KNOWN_AFTER_APPLY = Symbol('known after apply');
export type MaybeKnown<T> = T | typeof KNOWN_AFTER_APPLY;

export interface FileSpec {
  path: string;
  /** Override the resource id (when one path is managed in two phases). */
  id?: string;
  /** Desired content (text, written as UTF-8); a function when it depends on what is there now. */
  content: MaybeKnown<string> | ((current: FileState) => string);
  owner: string;
  group: string;
  mode: string;
  /** Secret content: never shown in plans, logs or diffs. */
  secret?: boolean;
  tags: string[];
  notify?: string[];
  /** When true, an existing file's content is left alone (created only if missing). */
  createOnly?: boolean;
  /**
   * The owner named by the marker in our content. A file marked by another owner is
   * theirs: changing it is a conflict.
   */
  markedBy?: string;
  /**
   * Shared state (a host-wide config several owners need): another owner's file that
   * differs from ours only in its marker is left as it is; one that differs otherwise is
   * a conflict that this override (a CLI flag) allows.
   */
  shared?: { override: string };
}

export class FileResource implements Resource<FileState> {
  readonly kind = 'file';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: FileSpec) {
    this.id = spec.id ?? `file:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): Probe<FileState> {
    return fileProbe(this.spec.path);
  }

  /** The other owner of the file as it is now, if it has one. */
  private foreignOwner(state: FileState): string | undefined {
    if (this.spec.markedBy === undefined || !state.exists) return undefined;
    const owner = contentOwner(byteString(state.content));
    return owner !== undefined && owner !== this.spec.markedBy ? owner : undefined;
  }

  private desired(state: FileState): string | undefined {
    const c = this.spec.content;
    if (c === KNOWN_AFTER_APPLY) return undefined;
    return typeof c === 'function' ? c(state) : c;
  }

  conflicts(state: FileState): Conflict[] {
    const s = this.spec;
    const owner = this.foreignOwner(state);
    if (owner === undefined) return [];
    if (!s.shared) return [{ message: `${s.path} belongs to cluster ${owner}`, owner }];
    const want = this.desired(state);
    if (want === undefined || sameButMarkers(want, state.content)) return [];
    return [
      {
        message: `${s.path} is shared and was set by cluster ${owner}; this cluster's values differ`,
        owner,
        diff: s.secret
          ? undefined
          : fileDiff(s.path, Buffer.from(withoutMarkerLines(byteString(state.content)), 'latin1'), Buffer.from(withoutMarkerLines(utf8ByteString(want)), 'latin1')),
        override: s.shared.override,
      },
    ];
  }

  plan(state: FileState): Change | null {
    const s = this.spec;
    if (s.shared && this.foreignOwner(state) !== undefined) {
      // Another owner's copy of the same values stays theirs: nothing to do.
      const want = this.desired(state);
      if (want !== undefined && sameButMarkers(want, state.content) && attrsDiffer(state, s.owner, s.group, s.mode).length === 0) return null;
    }
    const attrs = `${s.owner}:${s.group} ${normMode(s.mode).padStart(4, '0')}`;
    if (s.content === KNOWN_AFTER_APPLY) {
      return {
        action: state.exists ? 'update' : 'create',
        summary: `${state.exists ? 'update' : 'create'} ${s.path} (${attrs}; content known after apply)`,
        knownAfterApply: true,
        notify: s.notify,
      };
    }
    const content = Buffer.from(typeof s.content === 'function' ? s.content(state) : s.content, 'utf8');
    const contentDiffers = !state.exists || (!s.createOnly && state.sha256 !== sha256(content));
    const attrChanges = state.exists ? attrsDiffer(state, s.owner, s.group, s.mode) : [];
    if (!contentDiffers && attrChanges.length === 0) return null;
    if (!contentDiffers) {
      return {
        action: 'update',
        summary: `${s.path}: ${attrChanges.join(', ')}`,
        sh: `chown ${shellQuote(`${s.owner}:${s.group}`)} ${shellQuote(s.path)} && chmod ${normMode(s.mode).padStart(4, '0')} ${shellQuote(s.path)}`,
        notify: s.notify,
      };
    }
    const diff = s.secret ? `(secret content of ${s.path} ${state.exists ? 'changes' : 'is created'}; not shown)` : fileDiff(s.path, state.exists ? state.content : undefined, content);
    return {
      action: state.exists ? 'update' : 'create',
      summary: `${state.exists ? 'update' : 'create'} ${s.path} (${attrs})${attrChanges.length ? `; ${attrChanges.join(', ')}` : ''}`,
      diff,
      sh: writeSnippet(s.path, content, s.owner, s.group, s.mode),
      guard: { path: s.path, sha256: state.sha256 },
      notify: s.notify,
    };
  }
}

/** Our text and their bytes say the same, but for marker lines. */
function sameButMarkers(want: string, content: Buffer): boolean {
  return withoutMarkerLines(utf8ByteString(want)) === withoutMarkerLines(byteString(content));
}
