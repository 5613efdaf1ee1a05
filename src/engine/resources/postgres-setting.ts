// A PostgreSQL setting kept in a conf.d include file. It is written only when the value
// in effect does not satisfy us, and it notifies reload or restart according to the
// setting's context, so a restart happens only when it really changed.
import { ProbeParseError, parseJsonObject, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { quoteLiteral } from '../../postgres/sql.js';
import { fileDiff, fileProbe, parseFileState, writeSnippet, type FileState } from './file-state.js';

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

export interface SettingFact {
  /** Our include file. */
  file: FileState;
  /** The value in effect and its context (pg_settings). */
  value: string;
  context: string;
}

export class PgSettingResource implements Resource<SettingFact> {
  readonly kind = 'pg_setting';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(readonly spec: SettingSpec) {
    this.id = `pg_setting:${spec.name}`;
    this.tags = spec.tags;
  }

  probe(): Probe<SettingFact> {
    const { path, name } = this.spec;
    const file = fileProbe(path);
    return {
      name: `setting ${name} (and ${path})`,
      sh: file.sh,
      // reset_val, not setting: the value from the configuration files, before a show hook
      // rewrites it (archive_command reads "(disabled)" while archive_mode is off).
      sql: `SELECT json_build_object('value', coalesce(reset_val, setting), 'context', context) FROM pg_settings WHERE name = ${quoteLiteral(name)}`,
      parse: (out) => {
        if (out.sql === undefined) throw new ProbeParseError('no SQL result');
        if (out.sql === null) throw new ProbeParseError(`PostgreSQL has no setting ${name}`);
        const cur = parseJsonObject(out.sql, { value: 'string', context: 'string' });
        return { file: parseFileState(path, out.stdout), value: cur.value, context: cur.context };
      },
    };
  }

  plan(fact: SettingFact): Change | null {
    const s = this.spec;
    const wanted = s.want(fact.value);
    if (wanted === null) return null;
    const handler = fact.context === 'postmaster' ? s.restartHandler : s.reloadHandler;
    const content = Buffer.from(`# Managed by tpa-barman\n${s.name} = ${quoteLiteral(wanted)}\n`, 'utf8');
    const state = fact.file;
    const restartWord = handler === s.restartHandler ? 'restart' : 'reload';
    if (state.exists && state.content.equals(content)) {
      return { action: restartWord, summary: `PostgreSQL ${restartWord} to apply ${s.name} = '${wanted}' (written, not yet in effect)`, notify: [handler] };
    }
    return {
      action: 'update',
      summary: `set ${s.name} = '${wanted}' (was '${fact.value}'; needs PostgreSQL ${restartWord})`,
      diff: fileDiff(s.path, state.exists ? state.content : undefined, content),
      sh: writeSnippet(s.path, content, s.owner, s.group, '0644'),
      guard: { path: s.path, sha256: state.sha256 },
      notify: [handler],
    };
  }
}
