// OS group and system user. Existing users are only modified where they differ.
import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { shellQuote } from '../../util/shell.js';

export class GroupResource implements Resource {
  readonly kind = 'group';
  readonly id: string;
  constructor(
    readonly name: string,
    readonly tags: readonly string[],
  ) {
    this.id = `group:${name}`;
  }
  probe(): ProbeSpec {
    return { sh: `getent group ${shellQuote(this.name)} || true` };
  }
  plan(fact: Fact): Change | null {
    if (fact.sh.trim() !== '') return null;
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

export class UserResource implements Resource {
  readonly kind = 'user';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: UserSpec) {
    this.id = `user:${spec.name}`;
    this.tags = spec.tags;
  }
  probe(): ProbeSpec {
    const n = shellQuote(this.spec.name);
    return { sh: `getent passwd ${n} || true; echo @@; id -gn ${n} 2>/dev/null || true` };
  }
  plan(fact: Fact): Change | null {
    const s = this.spec;
    const [passwd = '', grp = ''] = fact.sh.split('@@');
    const q = shellQuote;
    if (passwd.trim() === '') {
      return {
        action: 'create',
        summary: `create user ${s.name} (group ${s.group}, home ${s.home}, shell ${s.shell})`,
        sh: `useradd --system --gid ${q(s.group)} --home-dir ${q(s.home)} --no-create-home --shell ${q(s.shell)} ${q(s.name)}`,
      };
    }
    const fields = passwd.trim().split(':');
    const diffs: string[] = [];
    const args: string[] = [];
    if (fields[5] !== s.home) {
      diffs.push(`home ${fields[5]} → ${s.home}`);
      args.push('--home', q(s.home));
    }
    if (fields[6] !== s.shell) {
      diffs.push(`shell ${fields[6]} → ${s.shell}`);
      args.push('--shell', q(s.shell));
    }
    if (grp.trim() !== s.group) {
      diffs.push(`group ${grp.trim()} → ${s.group}`);
      args.push('--gid', q(s.group));
    }
    if (diffs.length === 0) return null;
    return { action: 'update', summary: `user ${s.name}: ${diffs.join(', ')}`, sh: `usermod ${args.join(' ')} ${q(s.name)}` };
  }
}
