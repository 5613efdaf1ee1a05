// /etc/tpa/barman-home-ok (TPA roles/barman/templates/barman-home-ok.j2): both cron jobs
// run only if this exits 0, so Barman never runs when it is not installed or writes into
// an empty mountpoint when its volume is not mounted. Removing it pauses Barman.

import { shellQuote } from '../../../src/util/shell.js';
import { MANAGED_BY } from './managed.js';
import { absolutePath } from './values.js';

export function barmanHomeOk(home: string, volumeMountable: boolean): string {
  const h = shellQuote(absolutePath('barman_home', home));
  const homeCheck = volumeMountable ? `findmnt ${h} >/dev/null 2>&1 || exit 1` : `test -d ${h} || exit 1`;
  return [
    '#!/bin/bash',
    `# ${MANAGED_BY}`,
    '# Gate for the Barman cron jobs: exits 0 only if Barman is installed and its home is',
    `# ${volumeMountable ? 'mounted' : 'a directory'}. Remove this file to pause Barman.`,
    'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    '',
    'test -x /usr/bin/barman || exit 1',
    homeCheck,
    'exit 0',
    '',
  ].join('\n');
}
