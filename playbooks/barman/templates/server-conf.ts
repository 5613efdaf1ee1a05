// /etc/barman.d/<backup_name>.conf (TPA roles/barman/templates/barman.d.conf.j2): one
// server section per backed-up instance on each of its Barman hosts.

import { barmanQuote, renderIni, type IniEntry } from '../../../src/util/ini.js';
import type { BackupServerSpec, BarmanGlobalSettings } from '../model.js';
import { absolutePath, integer, onOff, serverName, word } from './values.js';

/** The settings a server section inherits from [barman] when it does not set them. */
export type InheritedSettings = Pick<
  BarmanGlobalSettings,
  | 'backupMethod'
  | 'compression'
  | 'reuseBackup'
  | 'parallelJobs'
  | 'backupOptions'
  | 'immediateCheckpoint'
  | 'networkCompression'
  | 'basebackupRetryTimes'
  | 'basebackupRetrySleep'
  | 'minimumRedundancy'
  | 'retentionPolicy'
  | 'lastBackupMaximumAge'
>;

/** TPA's role defaults (roles/barman/defaults/main.yml): what /etc/barman.conf has by default. */
export const TPA_BARMAN_DEFAULTS: Readonly<InheritedSettings> = {
  backupMethod: 'rsync',
  compression: 'auto',
  reuseBackup: 'link',
  parallelJobs: 1,
  backupOptions: 'concurrent_backup',
  immediateCheckpoint: false,
  networkCompression: false,
  basebackupRetryTimes: 3,
  basebackupRetrySleep: 30,
  minimumRedundancy: 3,
  retentionPolicy: 'RECOVERY WINDOW OF 4 WEEKS',
  lastBackupMaximumAge: '1 WEEK',
};

/**
 * Whether a server needs its own `compression` line. `auto`, and TPA's default `pigz`
 * when the global value is auto-detected, mean "use the compressor found on the Barman
 * host" (as in TPA, where the per-server default `pigz` is never written).
 */
function compressionDiffers(server: string, inherited: string): boolean {
  if (server === 'auto' || server === inherited) return false;
  return !(server === 'pigz' && inherited === 'auto');
}

/**
 * Render the server file. Besides the fixed keys, a setting is written only when it
 * differs from what the section would inherit from [barman] (`inherited`, default: TPA's
 * defaults; pass the Barman host's `global` for an exact comparison). Non-rsync methods
 * always get `reuse_backup = off`. `header` lines become `;` comments above the section
 * (a leading `;` or `#` in them is accepted).
 */
export function serverConf(
  server: BackupServerSpec,
  active: boolean,
  header: readonly string[] = [],
  inherited: Readonly<InheritedSettings> = TPA_BARMAN_DEFAULTS,
): string {
  const s = server.settings;
  const e = (key: string, value: string): IniEntry => ({ key, value });
  const q = (key: string, value: string): IniEntry => ({ key, value: barmanQuote(value) });
  const entries: IniEntry[] = [q('description', `Backups from ${server.pgHost}`), { blank: true }];
  if (s.archiver) entries.push(e('archiver', 'on'));
  entries.push(
    q('ssh_command', server.sshCommand),
    q('conninfo', server.conninfo),
    q('streaming_conninfo', server.streamingConninfo),
    e('streaming_archiver', 'on'),
    q('slot_name', word('slot_name', server.slotName, /^[a-z0-9_]{1,63}$/)),
  );
  // A backup of a standby: Barman (3.1+) switches WAL on the primary so the backup's
  // last WAL is archived without waiting for traffic there. The WAL stream and its slot
  // stay on the standby, where conninfo points, so the slot checks need no wal_conninfo.
  if (server.standby) entries.push(q('primary_conninfo', server.standby.primaryConninfo));
  const method = word('backup_method', s.backupMethod);
  if (method !== inherited.backupMethod) entries.push(e('backup_method', method));
  // `compression` is Barman's WAL compression: it applies to every backup method, so
  // unlike TPA it is not limited to rsync.
  if (compressionDiffers(s.compression, inherited.compression)) entries.push(e('compression', word('compression', s.compression)));
  if (method === 'rsync') {
    const reuse = word('reuse_backup', s.reuseBackup, /^(off|copy|link)$/);
    if (reuse !== inherited.reuseBackup) entries.push(e('reuse_backup', reuse));
  } else {
    // Only rsync can reuse a previous backup; Barman refuses copy/link for the others.
    entries.push(e('reuse_backup', 'off'));
  }
  if (s.parallelJobs !== inherited.parallelJobs) entries.push(e('parallel_jobs', integer('parallel_jobs', s.parallelJobs, 1)));
  if (s.backupOptions !== inherited.backupOptions) {
    entries.push(e('backup_options', word('backup_options', s.backupOptions, /^[a-z_]+(,[a-z_]+)*$/)));
  }
  if (s.immediateCheckpoint !== inherited.immediateCheckpoint) entries.push(e('immediate_checkpoint', onOff(s.immediateCheckpoint)));
  if (s.networkCompression !== inherited.networkCompression) entries.push(e('network_compression', onOff(s.networkCompression)));
  const more: Array<[string, number, number]> = [
    ['basebackup_retry_times', s.basebackupRetryTimes, inherited.basebackupRetryTimes],
    ['basebackup_retry_sleep', s.basebackupRetrySleep, inherited.basebackupRetrySleep],
    ['minimum_redundancy', s.minimumRedundancy, inherited.minimumRedundancy],
  ];
  for (const [key, value, base] of more) if (value !== base) entries.push(e(key, integer(key, value, 0)));
  if (s.retentionPolicy !== inherited.retentionPolicy) entries.push(e('retention_policy', s.retentionPolicy));
  if (s.lastBackupMaximumAge !== inherited.lastBackupMaximumAge) entries.push(e('last_backup_maximum_age', s.lastBackupMaximumAge));
  const paths: Array<[string, string | undefined]> = [
    ['pre_archive_retry_script', s.preArchiveRetryScript],
    ['post_backup_retry_script', s.postBackupRetryScript],
    ['post_backup_script', s.postBackupScript],
    ['streaming_wals_directory', s.streamingWalsDirectory],
  ];
  for (const [key, value] of paths) if (value !== undefined) entries.push(q(key, absolutePath(key, value)));
  // `active` last, on its own: bring-up flips it once the server is ready.
  entries.push({ blank: true }, e('active', active ? 'true' : 'false'));
  const comments = header.map((h) => h.replace(/^[;#] ?/, ''));
  return renderIni([{ name: serverName(server.backupName), entries }], comments);
}
