// Taking one owner's file away (detach): removed, or set aside under another name so
// nothing is lost; never a file another owner marked, nor one nobody marked.
import { contentOwner, type Conflict } from '../ownership.js';
import type { Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { byteString, fileProbe, type FileState } from './file-state.js';
import { shellQuote } from '../../util/shell.js';

export interface FileRemovalSpec {
  path: string;
  /** Only a file whose marker names this owner is removed. */
  markedBy: string;
  /** Keep the file under this name instead of deleting it. */
  setAsideTo?: string;
  tags: string[];
  notify?: string[];
}

export class FileRemovalResource implements Resource<FileState> {
  readonly kind = 'file_removal';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: FileRemovalSpec) {
    this.id = `file-removal:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): Probe<FileState> {
    return fileProbe(this.spec.path);
  }

  private owner(state: FileState): string | undefined {
    return state.exists ? contentOwner(byteString(state.content)) : undefined;
  }

  conflicts(state: FileState): Conflict[] {
    const owner = this.owner(state);
    if (owner === undefined || owner === this.spec.markedBy) return [];
    return [{ message: `${this.spec.path} belongs to cluster ${owner}: it is not this cluster's to remove`, owner }];
  }

  notes(state: FileState): string[] {
    if (state.exists && this.owner(state) === undefined) return [`${this.spec.path} has no tpa-barman marker: left alone (remove it by hand if it is this cluster's)`];
    return [];
  }

  plan(state: FileState): Change | null {
    const s = this.spec;
    if (!state.exists || this.owner(state) !== s.markedBy) return null;
    const guard = { path: s.path, sha256: state.sha256 };
    if (s.setAsideTo) {
      return {
        action: 'remove',
        summary: `set ${s.path} aside as ${s.setAsideTo}`,
        sh: `mv -f ${shellQuote(s.path)} ${shellQuote(s.setAsideTo)}`,
        guard,
        notify: s.notify,
      };
    }
    return { action: 'remove', summary: `remove ${s.path}`, sh: `rm -f ${shellQuote(s.path)}`, guard, notify: s.notify };
  }
}
