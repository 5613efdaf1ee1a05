import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { normMode } from './file-state.js';
import { shellQuote } from '../../util/shell.js';

export interface DirectorySpec {
  path: string;
  owner: string;
  group: string;
  mode: string;
  tags: string[];
}

export class DirectoryResource implements Resource {
  readonly kind = 'directory';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: DirectorySpec) {
    this.id = `directory:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): ProbeSpec {
    const p = shellQuote(this.spec.path);
    return { sh: `if [ -d ${p} ]; then stat -c '%U %G %a' -- ${p}; else echo ABSENT; fi` };
  }

  plan(fact: Fact): Change | null {
    const s = this.spec;
    const p = shellQuote(s.path);
    const mode = normMode(s.mode);
    const fix = `chown ${shellQuote(`${s.owner}:${s.group}`)} ${p} && chmod ${mode.padStart(4, '0')} ${p}`;
    if (fact.sh.startsWith('ABSENT') || fact.sh.trim() === '') {
      return { action: 'create', summary: `create directory ${s.path} (${s.owner}:${s.group} ${mode.padStart(4, '0')})`, sh: `mkdir -p ${p} && ${fix}` };
    }
    const [owner, group, cur] = fact.sh.trim().split(' ');
    const diffs: string[] = [];
    if (owner !== s.owner || group !== s.group) diffs.push(`owner ${owner}:${group} → ${s.owner}:${s.group}`);
    if (normMode(cur ?? '') !== mode) diffs.push(`mode ${cur} → ${mode}`);
    if (diffs.length === 0) return null;
    return { action: 'update', summary: `directory ${s.path}: ${diffs.join(', ')}`, sh: fix };
  }
}
