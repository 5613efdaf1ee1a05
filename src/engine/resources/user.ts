// OS group and system user. Existing users are only modified where they differ.
import { ProbeParseError, shProbe, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { shellQuote } from '../../util/shell.js';

/** getent exits 2 for "no such entry": a state; anything else non-zero fails the probe. */
function getent(db: string, name: string): string {
  return `getent ${db} ${shellQuote(name)}; _rc=$?; [ "$_rc" -eq 0 ] || [ "$_rc" -eq 2 ] || exit "$_rc"`;
}

export class GroupResource implements Resource<boolean> {
  readonly kind = 'group';
  readonly id: string;
  constructor(
    readonly name: string,
    readonly tags: readonly string[],
  ) {
    this.id = `group:${name}`;
  }
  probe(): Probe<boolean> {
    return shProbe(`group ${this.name}`, getent('group', this.name), (out) => out.toString('utf8').trim() !== '');
  }
  plan(exists: boolean): Change | null {
    if (exists) return null;
    return { action: 'create', summary: `create group ${this.name}`, sh: `groupadd --system ${shellQuote(this.name)}` };
  }
}

export interface UserSpec {
  name: string;
  group: string;
  home: string;
  shell: string;
  tags: string[];
}

export type UserState = { exists: false } | { exists: true; home: string; shell: string; group: string };

export function userProbe(name: string): Probe<UserState> {
  const n = shellQuote(name);
  return shProbe(`user ${name}`, `${getent('passwd', name)}\necho @@\nif id ${n} >/dev/null 2>&1; then id -gn ${n}; fi`, (out) => {
    const [passwd = '', group = ''] = out.toString('utf8').split('@@\n');
    if (passwd.trim() === '') return { exists: false };
    const fields = passwd.trim().split(':');
    if (fields.length < 7 || group.trim() === '') throw new ProbeParseError(`unexpected passwd entry for ${name}`);
    return { exists: true, home: fields[5] ?? '', shell: fields[6] ?? '', group: group.trim() };
  });
}

export class UserResource implements Resource<UserState> {
  readonly kind = 'user';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: UserSpec) {
    this.id = `user:${spec.name}`;
    this.tags = spec.tags;
  }
  probe(): Probe<UserState> {
    return userProbe(this.spec.name);
  }
  plan(state: UserState): Change | null {
    const s = this.spec;
    const q = shellQuote;
    if (!state.exists) {
      return {
        action: 'create',
        summary: `create user ${s.name} (group ${s.group}, home ${s.home}, shell ${s.shell})`,
        sh: `useradd --system --gid ${q(s.group)} --home-dir ${q(s.home)} --no-create-home --shell ${q(s.shell)} ${q(s.name)}`,
      };
    }
    const diffs: string[] = [];
    const args: string[] = [];
    if (state.home !== s.home) {
      diffs.push(`home ${state.home} → ${s.home}`);
      args.push('--home', q(s.home));
    }
    if (state.shell !== s.shell) {
      diffs.push(`shell ${state.shell} → ${s.shell}`);
      args.push('--shell', q(s.shell));
    }
    if (state.group !== s.group) {
      diffs.push(`group ${state.group} → ${s.group}`);
      args.push('--gid', q(s.group));
    }
    if (diffs.length === 0) return null;
    return { action: 'update', summary: `user ${s.name}: ${diffs.join(', ')}`, sh: `usermod ${args.join(' ')} ${q(s.name)}` };
  }
}
