// A name we are about to use that another owner may still hold through some other file
// (a detached server's kept config): reads that file, never changes anything.
import { contentOwner, type Conflict } from '../ownership.js';
import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { fileProbe, parseFileState } from './file-state.js';

export class ClaimCheckResource implements Resource {
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

  probe(): ProbeSpec {
    return { sh: fileProbe(this.path) };
  }

  conflicts(fact: Fact): Conflict[] {
    const state = parseFileState(fact.sh);
    const owner = state.exists ? contentOwner(state.content) : undefined;
    if (owner === undefined || owner === this.markedBy) return [];
    return [{ message: `${this.what} belong to cluster ${owner} (${this.path})`, owner }];
  }

  plan(): Change | null {
    return null;
  }
}
