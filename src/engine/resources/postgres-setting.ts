// A PostgreSQL setting kept in an include file of ours, in an include directory the
// server already reads. It is written only when the value in effect does not satisfy
// us, and it notifies reload or restart according to the setting's context, so a
// restart happens only when it really changed. A file PostgreSQL reads after ours
// (postgresql.auto.conf from ALTER SYSTEM, a later file of the directory) would make
// our value dead letter: that is a conflict, shown before anything changes.
import type { Conflict } from '../ownership.js';
import { ProbeParseError, parseJsonObject, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { quoteLiteral } from '../../postgres/sql.js';
import { hostBasename, hostDirname } from '../../util/host-path.js';
import { fileDiff, fileProbe, parseFileState, writeSnippet, type FileState } from './file-state.js';

export interface SettingSpec {
  name: string;
  /**
   * The include file we own for this setting; undefined when the server reads no include
   * directory (then `noPathReason` says so, and a needed change is a conflict).
   */
  path: string | undefined;
  noPathReason?: string;
  owner: string;
  group: string;
  /** Given the value in effect, the value we need, or null when it already satisfies us. */
  want: (current: string) => string | null;
  reloadHandler: string;
  restartHandler: string;
  tags: string[];
}

export interface SettingFact {
  /** Our include file (absent when there is no path). */
  file: FileState;
  /** The value in effect and its context (pg_settings). */
  value: string;
  context: string;
  /**
   * The line that wins for this setting in the files as they are now (pg_file_settings:
   * the last one read), with its value: what a reload would put in effect.
   */
  winner: { file: string; line: number; value: string } | null;
}

const ABSENT: FileState = { exists: false, sha256: '-', content: Buffer.alloc(0) };

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
    const file = path === undefined ? undefined : fileProbe(path);
    const n = quoteLiteral(name);
    return {
      name: `setting ${name}${path === undefined ? '' : ` (and ${path})`}`,
      ...(file?.sh === undefined ? {} : { sh: file.sh }),
      // reset_val, not setting: the value from the configuration files, before a show hook
      // rewrites it (archive_command reads "(disabled)" while archive_mode is off). The
      // last line of pg_file_settings for the name is the one that wins (read last).
      sql:
        `SELECT json_build_object('value', coalesce(reset_val, setting), 'context', context, ` +
        `'winner', (SELECT json_build_object('file', sourcefile, 'line', sourceline, 'value', setting) FROM pg_file_settings WHERE name = ${n} ORDER BY seqno DESC LIMIT 1)) ` +
        `FROM pg_settings WHERE name = ${n}`,
      parse: (out) => {
        if (out.sql === undefined) throw new ProbeParseError('no SQL result');
        if (out.sql === null) throw new ProbeParseError(`PostgreSQL has no setting ${name}`);
        const cur = parseJsonObject(out.sql, { value: 'string', context: 'string' });
        const w = (JSON.parse(out.sql) as { winner?: unknown }).winner;
        const winner = w === null || w === undefined ? null : parseJsonObject(JSON.stringify(w), { file: 'string', line: 'number', value: 'string' });
        return { file: path === undefined ? ABSENT : parseFileState(path, out.stdout), value: cur.value, context: cur.context, winner };
      },
    };
  }

  private content(wanted: string): Buffer {
    return Buffer.from(`# Managed by tpa-barman\n${this.spec.name} = ${quoteLiteral(wanted)}\n`, 'utf8');
  }

  conflicts(fact: SettingFact): Conflict[] {
    const s = this.spec;
    // What we need now, or after the next reload (a pending ALTER SYSTEM counts).
    const wanted = s.want(fact.value) ?? (fact.winner ? s.want(fact.winner.value) : null);
    if (wanted === null) return [];
    if (s.path === undefined) {
      return [{ message: `${s.name} must be '${wanted}' (it is '${fact.value}'), but ${s.noPathReason ?? 'there is no include directory to put it in'}`, hint: "add include_dir = 'conf.d' (a directory beside postgresql.conf) to postgresql.conf, restart or reload PostgreSQL, and deploy again" }];
    }
    const w = fact.winner;
    if (!w || w.file === s.path) return [];
    const at = `${w.file} line ${w.line}`;
    if (hostBasename(w.file) === 'postgresql.auto.conf') {
      return [{ message: `${s.name} is set by ALTER SYSTEM (${at}), which PostgreSQL reads after ${s.path}: '${wanted}' would never take effect`, hint: `ALTER SYSTEM RESET ${s.name}; (then SELECT pg_reload_conf()), and deploy again` }];
    }
    const readsLater = hostDirname(w.file) === hostDirname(s.path) && hostBasename(w.file) > hostBasename(s.path);
    const oursWritten = fact.file.exists && fact.file.content.equals(this.content(wanted));
    if (readsLater || oursWritten) {
      return [{ message: `${s.name} is set in ${at}, which PostgreSQL reads after ${s.path}: '${wanted}' would never take effect`, hint: `remove ${s.name} from ${w.file} (or set it to '${wanted}' there), and deploy again` }];
    }
    return [];
  }

  plan(fact: SettingFact): Change | null {
    const s = this.spec;
    const wanted = s.want(fact.value);
    if (wanted === null || s.path === undefined) return null;
    const handler = fact.context === 'postmaster' ? s.restartHandler : s.reloadHandler;
    const content = this.content(wanted);
    const state = fact.file;
    const restartWord = handler === s.restartHandler ? 'restart' : 'reload';
    if (state.exists && state.content.equals(content)) {
      return { action: restartWord, summary: `PostgreSQL ${restartWord} to apply ${s.name} = '${wanted}' (written, not yet in effect)`, notify: [handler] };
    }
    return {
      action: 'update',
      summary: `set ${s.name} = '${wanted}' (was '${fact.value}'; needs PostgreSQL ${restartWord}) in ${s.path}`,
      diff: fileDiff(s.path, state.exists ? state.content : undefined, content),
      sh: writeSnippet(s.path, content, s.owner, s.group, '0644'),
      guard: { path: s.path, sha256: state.sha256 },
      notify: [handler],
    };
  }
}
