// A name we are about to use that another owner may still hold through some other file
// (a detached server's kept config): reads that file, never changes anything.
import { contentOwner, type Conflict } from '../ownership.js';
import type { Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { byteString, fileProbe, type FileState } from './file-state.js';

export class ClaimCheckResource implements Resource<FileState> {
  readonly kind = 'claim';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(
    readonly path: string,
    readonly markedBy: string,
    /** What the other owner holds, e.g. "the kept backups of server pg1". */
    readonly what: string,
    tags: string[],
  ) {
    this.id = `claim:${path}`;
    this.tags = tags;
  }

  probe(): Probe<FileState> {
    return fileProbe(this.path);
  }

  conflicts(state: FileState): Conflict[] {
    const owner = state.exists ? contentOwner(byteString(state.content)) : undefined;
    if (owner === undefined || owner === this.markedBy) return [];
    return [{ message: `${this.what} belong to cluster ${owner} (${this.path})`, owner }];
  }

  plan(): Change | null {
    return null;
  }
}
