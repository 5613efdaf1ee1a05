// Checks that only a shared Barman server needs: things one cluster cannot change there
// without breaking the others' backups, and that no flag may override.
import { contentOwner, type Conflict } from '../../src/engine/ownership.js';
import type { Probe } from '../../src/engine/probe.js';
import type { Change, Resource } from '../../src/engine/resource.js';
import { byteString, fileProbe, type FileState } from '../../src/engine/resources/file-state.js';
import type { BarmanHostSpec } from './model.js';

const PATH_PREFIX_RE = /^\s*path_prefix\s*=\s*(.*?)\s*$/m;

/**
 * Barman runs one set of PostgreSQL client binaries (path_prefix) for every server on
 * the host: a cluster of another major version must use another Barman server.
 */
export class SamePostgresMajorCheck implements Resource<FileState> {
  readonly kind = 'claim';
  readonly id = 'claim:postgres-major';
  readonly tags: readonly string[];
  constructor(
    private readonly host: BarmanHostSpec,
    private readonly owner: string,
    tags: string[],
  ) {
    this.tags = tags;
  }

  probe(): Probe<FileState> {
    return fileProbe('/etc/barman.conf');
  }

  conflicts(state: FileState): Conflict[] {
    const text = byteString(state.content);
    const setBy = state.exists ? contentOwner(text) : undefined;
    if (setBy === undefined || setBy === this.owner) return [];
    const theirs = PATH_PREFIX_RE.exec(text)?.[1];
    const ours = this.host.global.pathPrefix;
    if (theirs === undefined || theirs === ours) return [];
    const major = /postgresql\/(\d+)\//.exec(theirs)?.[1];
    return [
      {
        message: `${this.host.name} serves PostgreSQL ${major ?? '(unknown)'} (path_prefix ${theirs}, set by cluster ${setBy}); this cluster is PostgreSQL ${this.host.postgresVersion} (path_prefix ${ours})`,
        owner: setBy,
        hint: `back this cluster up to a Barman server of its own major version (PostgreSQL ${this.host.postgresVersion}); one Barman server runs one version of the PostgreSQL client tools`,
      },
    ];
  }

  plan(): Change | null {
    return null;
  }
}
