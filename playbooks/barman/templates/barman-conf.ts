// /etc/barman.conf (TPA roles/barman/templates/barman.conf.j2): the [barman] section, in
// TPA's key order, from the Barman host's default_barman_* values.

import { renderIni, type IniEntry } from '../../../src/util/ini.js';
import type { BarmanHostSpec } from '../model.js';
import { MANAGED_BY } from './managed.js';
import { TemplateError, absolutePath, integer, onOff, word } from './values.js';

/** What the compressor probe on the Barman host can report (first of pigz, bzip2, gzip). */
export const DETECTED_COMPRESSIONS = ['pigz', 'bzip2', 'gzip', 'none'] as const;

/**
 * The compression written to /etc/barman.conf: the configured one, or for `auto` the one
 * detected on the host. null means "no compression" and the key is left out (Barman
 * treats `compression = none` as unset anyway).
 */
export function globalCompression(configured: string, detected: string): string | null {
  let c = configured;
  if (c === 'auto') {
    if (!(DETECTED_COMPRESSIONS as readonly string[]).includes(detected)) {
      throw new TemplateError(`detected compression must be one of ${DETECTED_COMPRESSIONS.join(', ')}, got ${JSON.stringify(detected)}`);
    }
    c = detected;
  }
  return c === 'none' ? null : word('compression', c);
}

/** `marker`: comment lines after the managed-by line (the owning cluster). */
export function barmanConf(host: BarmanHostSpec, detectedCompression: string, marker: readonly string[] = []): string {
  const g = host.global;
  const compression = globalCompression(g.compression, detectedCompression);
  const e = (key: string, value: string): IniEntry => ({ key, value });
  const entries: IniEntry[] = [
    e('barman_home', absolutePath('barman_home', g.barmanHome)),
    e('barman_user', word('barman_user', g.barmanUser, /^[a-z_][a-z0-9_-]{0,31}$/)),
    e('log_file', absolutePath('log_file', g.logFile)),
    e('backup_method', word('backup_method', g.backupMethod)),
    e('parallel_jobs', integer('parallel_jobs', g.parallelJobs, 1)),
    e('reuse_backup', word('reuse_backup', g.reuseBackup, /^(off|copy|link)$/)),
    e('backup_options', word('backup_options', g.backupOptions, /^[a-z_]+(,[a-z_]+)*$/)),
    e('immediate_checkpoint', onOff(g.immediateCheckpoint)),
    ...(compression === null ? [] : [e('compression', compression)]),
    e('network_compression', onOff(g.networkCompression)),
    e('basebackup_retry_times', integer('basebackup_retry_times', g.basebackupRetryTimes, 0)),
    e('basebackup_retry_sleep', integer('basebackup_retry_sleep', g.basebackupRetrySleep, 0)),
    e('minimum_redundancy', integer('minimum_redundancy', g.minimumRedundancy, 0)),
    e('retention_policy', g.retentionPolicy),
    // TPA writes 'get-wal' in quotes; Barman strips one pair, so this is the same value.
    e('recovery_options', 'get-wal'),
    e('last_backup_maximum_age', g.lastBackupMaximumAge),
    e('configuration_files_directory', '/etc/barman.d'),
    e('path_prefix', absolutePath('path_prefix', g.pathPrefix)),
  ];
  return renderIni([{ name: 'barman', entries }], [MANAGED_BY, ...marker]);
}
