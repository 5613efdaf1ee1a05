// A PostgreSQL setting kept in a conf.d include file. It is written only when the value
// in effect does not satisfy us, and it notifies reload or restart according to the
// setting's context, so a restart happens only when it really changed.
import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { quoteLiteral } from '../../postgres/sql.js';
import { fileDiff, fileProbe, parseFileState, writeSnippet } from './file-state.js';

export interface SettingSpec {
  name: string;
  /** conf.d file we own for this setting. */
  path: string;
  owner: string;
  group: string;
  /** Given the value in effect, the value we need, or null when it already satisfies us. */
  want: (current: string) => string | null;
  reloadHandler: string;
  restartHandler: string;
  tags: string[];
}

export class PgSettingResource implements Resource {
  readonly kind = 'pg_setting';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: SettingSpec) {
    this.id = `pg_setting:${spec.name}`;
    this.tags = spec.tags;
  }

  probe(): ProbeSpec {
    return {
      sh: fileProbe(this.spec.path),
      // reset_val, not setting: the value from the configuration files, before a show hook
      // rewrites it (archive_command reads "(disabled)" while archive_mode is off).
      sql: `SELECT json_build_object('value', coalesce(reset_val, setting), 'context', context) FROM pg_settings WHERE name = ${quoteLiteral(this.spec.name)}`,
    };
  }

  plan(fact: Fact): Change | null {
    const s = this.spec;
    if (fact.sql === null) return { action: 'update', summary: `PostgreSQL setting ${s.name} (server not reachable: known after apply)`, knownAfterApply: true };
    const cur = JSON.parse(fact.sql.trim() || '{"value":"","context":"postmaster"}') as { value: string; context: string };
    const wanted = s.want(cur.value);
    if (wanted === null) return null;
    const handler = cur.context === 'postmaster' ? s.restartHandler : s.reloadHandler;
    const content = `# Managed by tpa-barman\n${s.name} = ${quoteLiteral(wanted)}\n`;
    const state = parseFileState(fact.sh);
    const restartWord = handler === s.restartHandler ? 'restart' : 'reload';
    if (state.exists && state.content === content) {
      return { action: restartWord, summary: `PostgreSQL ${restartWord} to apply ${s.name} = '${wanted}' (written, not yet in effect)`, notify: [handler] };
    }
    return {
      action: 'update',
      summary: `set ${s.name} = '${wanted}' (was '${cur.value}'; needs PostgreSQL ${restartWord})`,
      diff: fileDiff(s.path, state.content, content),
      sh: writeSnippet(s.path, content, s.owner, s.group, '0644'),
      guard: { path: s.path, sha256: state.sha256 },
      notify: [handler],
    };
  }
}
