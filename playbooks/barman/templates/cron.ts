// /etc/cron.d/barman (global maintenance) and /etc/cron.d/<cronFileName> (scheduled
// backups), both gated on /etc/tpa/barman-home-ok.

import { isValidCronFileName, renderCronFile } from '../../../src/util/cron.js';
import { shellQuote } from '../../../src/util/shell.js';
import type { BackupServerSpec } from '../model.js';
import { MANAGED_BY } from './managed.js';
import { TemplateError, serverName } from './values.js';

export const BARMAN_HOME_OK = '/etc/tpa/barman-home-ok';

/**
 * /etc/cron.d/barman. The barman package ships this file; we own it wholesale, with the
 * one job TPA's lineinfile leaves in it.
 */
export function globalCronFile(barmanUser: string, marker: readonly string[] = []): string {
  return renderCronFile(
    [MANAGED_BY, ...marker, `Barman maintenance every minute (WAL archiving, receive-wal, retention), gated on ${BARMAN_HOME_OK}.`],
    [{ schedule: '* * * * *', user: barmanUser, command: `${BARMAN_HOME_OK} && /usr/bin/barman -q cron` }],
  );
}

/**
 * /etc/cron.d/<server.cronFileName>: the scheduled `barman backup` of one server, and its
 * scheduled restore test when barman_restore_test_interval is set (`program` runs it).
 */
export function serverCronFile(server: BackupServerSpec, barmanUser: string, marker: readonly string[] = [], restoreTestProgram?: string): string {
  if (!isValidCronFileName(server.cronFileName)) {
    // Debian's cron silently skips such files: no backup would ever run.
    throw new TemplateError(`cron file name ${JSON.stringify(server.cronFileName)} would be ignored by cron`);
  }
  const name = serverName(server.backupName);
  return renderCronFile(
    [MANAGED_BY, ...marker],
    [
      {
        comment: `Backup from server ${name}`,
        schedule: server.settings.backupInterval,
        user: barmanUser,
        command: `${BARMAN_HOME_OK} && /usr/bin/barman backup ${shellQuote(name)}`,
      },
      ...(server.restoreTestInterval && restoreTestProgram
        ? [
            {
              comment: `Restore test of server ${name} (tpa-barman; result in the restore-tests directory of barman_home)`,
              schedule: server.restoreTestInterval,
              user: barmanUser,
              command: `${BARMAN_HOME_OK} && /usr/bin/python3 ${shellQuote(restoreTestProgram)}`,
            },
          ]
        : []),
    ],
  );
}
