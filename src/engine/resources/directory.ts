// A directory with owner, group and mode (created with its parents when missing).
import { ProbeParseError, shProbe, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { normMode } from './file-state.js';
import { shellQuote } from '../../util/shell.js';

export interface DirectorySpec {
  path: string;
  owner: string;
  group: string;
  mode: string;
  tags: string[];
}

export type DirectoryState = { exists: false } | { exists: true; owner: string; group: string; mode: string };

export function directoryProbe(path: string): Probe<DirectoryState> {
  const p = shellQuote(path);
  return shProbe(`directory ${path}`, `if [ -d ${p} ]; then stat -L -c '%U %G %a' -- ${p}; elif [ -e ${p} ] || [ -L ${p} ]; then echo NOTDIR; else echo ABSENT; fi`, (out) => {
    const text = out.toString('utf8').trim();
    if (text === 'ABSENT') return { exists: false };
    if (text === 'NOTDIR') throw new ProbeParseError(`${path} exists but is not a directory`);
    const m = /^(\S+) (\S+) ([0-7]+)$/.exec(text);
    if (!m) throw new ProbeParseError(`unexpected output for ${path}`);
    return { exists: true, owner: m[1] ?? '', group: m[2] ?? '', mode: normMode(m[3] ?? '') };
  });
}

export class DirectoryResource implements Resource<DirectoryState> {
  readonly kind = 'directory';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: DirectorySpec) {
    this.id = `directory:${spec.path}`;
    this.tags = spec.tags;
  }

  probe(): Probe<DirectoryState> {
    return directoryProbe(this.spec.path);
  }

  plan(state: DirectoryState): Change | null {
    const s = this.spec;
    const p = shellQuote(s.path);
    const mode = normMode(s.mode);
    const fix = `chown ${shellQuote(`${s.owner}:${s.group}`)} ${p} && chmod ${mode.padStart(4, '0')} ${p}`;
    if (!state.exists) {
      return { action: 'create', summary: `create directory ${s.path} (${s.owner}:${s.group} ${mode.padStart(4, '0')})`, sh: `mkdir -p ${p} && ${fix}` };
    }
    const diffs: string[] = [];
    if (state.owner !== s.owner || state.group !== s.group) diffs.push(`owner ${state.owner}:${state.group} → ${s.owner}:${s.group}`);
    if (state.mode !== mode) diffs.push(`mode ${state.mode} → ${mode}`);
    if (diffs.length === 0) return null;
    return { action: 'update', summary: `directory ${s.path}: ${diffs.join(', ')}`, sh: fix };
  }
}
