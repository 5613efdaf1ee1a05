// The PostgreSQL settings of WAL archiving and restoring through Barman (archive_mode,
// archive_command, restore_command): set by deploy, taken back by detach, from one place.
import type { Probe } from '../../src/engine/probe.js';
import type { Change, Resource } from '../../src/engine/resource.js';
import { byteString, fileProbe, type FileState } from '../../src/engine/resources/file-state.js';
import { PgSettingResource } from '../../src/engine/resources/postgres-setting.js';
import { shellQuote } from '../../src/util/shell.js';
import type { PostgresHostSpec } from './model.js';
import { noIncludeDirReason, settingPath } from './postgres-files.js';

export interface SettingHandlers {
  reload: string;
  restart: string;
}

type WalSettingName = 'archive_mode' | 'archive_command' | 'restore_command';

/** The include file a setting of ours lives in (undefined: the server reads no include directory). */
export function walSettingPath(p: PostgresHostSpec, name: WalSettingName): string | undefined {
  return settingPath(p, name.replace(/_/g, '-'));
}

function setting(p: PostgresHostSpec, name: WalSettingName, want: (current: string) => string | null, h: SettingHandlers): PgSettingResource {
  return new PgSettingResource({
    name,
    path: walSettingPath(p, name),
    noPathReason: noIncludeDirReason(p),
    owner: p.user,
    group: p.group,
    want,
    reloadHandler: h.reload,
    restartHandler: h.restart,
    tags: ['barman', 'config'],
  });
}

/** Our setting file's removal, when the server has a place for it at all. */
function removal(p: PostgresHostSpec, name: WalSettingName, why: string, notify: string): Resource[] {
  const path = walSettingPath(p, name);
  return path === undefined ? [] : [new SettingFileRemovalResource(path, name, why, notify)];
}

const exactly = (value: string) => (current: string) => (current === value ? null : value);

/**
 * archive_mode and archive_command (barman_archiver) and a replica's restore_command.
 * Each notifies a reload or, when its context needs one (archive_mode), the host's one
 * restart.
 */
export function walSettingResources(p: PostgresHostSpec, h: SettingHandlers): Resource[] {
  const rs: Resource[] = [];
  const archive = p.wal.archive;
  if (archive) {
    // `always` also archives while in recovery, so it satisfies `on`.
    rs.push(setting(p, 'archive_mode', (current) => (current === archive.mode || current === 'always' ? null : archive.mode), h));
    if (archive.command !== undefined) rs.push(setting(p, 'archive_command', exactly(archive.command), h));
  }
  if (p.wal.restore) rs.push(setting(p, 'restore_command', exactly(p.wal.restore.command), h));
  return rs;
}

/**
 * Removes one of our setting files, recognised by the exact content deploy writes
 * (anything else there is not ours and stays), so the server falls back to the value it
 * had before. Notifies `notify` (reload, or restart for a postmaster setting).
 */
export class SettingFileRemovalResource implements Resource<FileState> {
  readonly kind = 'pg_setting_removal';
  readonly id: string;
  readonly tags: readonly string[] = ['barman', 'config'];
  constructor(
    private readonly path: string,
    private readonly name: WalSettingName,
    private readonly why: string,
    private readonly notify: string,
  ) {
    this.id = `pg_setting_removal:${name}`;
  }
  probe(): Probe<FileState> {
    return fileProbe(this.path);
  }
  plan(state: FileState): Change | null {
    if (!state.exists || !new RegExp(`^# Managed by tpa-barman\\n${this.name} = '([^']|'')*'\\n$`).test(byteString(state.content))) return null;
    return {
      action: 'remove',
      summary: `remove ${this.name} (${this.path}): ${this.why}`,
      sh: `rm -f ${shellQuote(this.path)}`,
      guard: { path: this.path, sha256: state.sha256 },
      notify: [this.notify],
    };
  }
}

/**
 * What detaching `detached` Barman hosts does to these settings: archive_command keeps
 * shipping to the Barman hosts that stay; with none left, archive_command and the
 * archive_mode we set go (a restart), so WAL does not pile up waiting for a Barman server
 * that is gone. A restore_command fetching from a detached host goes too.
 */
export function walSettingsAfterDetach(p: PostgresHostSpec, detached: ReadonlySet<string>, h: SettingHandlers): Resource[] {
  const rs: Resource[] = [];
  const archive = p.wal.archive;
  if (archive && archive.barmanHosts.some((b) => detached.has(b))) {
    const staying = archive.barmanHosts.map((b, i) => ({ b, command: archive.commands?.[i] })).filter((x) => !detached.has(x.b));
    if (staying.length > 0) {
      if (archive.command !== undefined) rs.push(setting(p, 'archive_command', exactly(staying.flatMap((x) => (x.command === undefined ? [] : [x.command])).join(' && ')), h));
    } else {
      const why = 'no Barman server archives this instance any more';
      if (archive.command !== undefined) rs.push(...removal(p, 'archive_command', why, h.reload));
      rs.push(...removal(p, 'archive_mode', why, h.restart));
    }
  }
  const restore = p.wal.restore;
  if (restore && detached.has(restore.barmanHost)) {
    rs.push(...removal(p, 'restore_command', `it fetched WAL from ${restore.barmanHost}`, h.reload));
  }
  return rs;
}
