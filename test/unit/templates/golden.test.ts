// Golden files under test/golden/ were written by hand from the reference (TPA's
// templates and our documented deviations). Set UPDATE_GOLDEN=1 to rewrite them after an
// intended change, then review the diff.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { barmanConf, barmanHomeOk, globalCronFile, pgHbaLines, serverConf, serverCronFile } from '../../../playbooks/barman/templates/index.js';
import { barmanHost, barmanRoleGrantStatements, server, sqlScript } from './fixtures.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'golden');

function golden(rel: string, actual: string): void {
  const path = join(GOLDEN, rel);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual, rel).toBe(readFileSync(path, 'utf8'));
  expect(actual.endsWith('\n'), `${rel} ends with a newline`).toBe(true);
}

describe('golden: default single server (one → two)', () => {
  const host = barmanHost();
  const one = server('one');
  it('barman.conf', () => golden('default/barman.conf', barmanConf(host, 'pigz')));
  it('barman.d/one.conf', () => golden('default/barman.d/one.conf', serverConf(one, false)));
  it('cron.d/barman', () => golden('default/cron.d/barman', globalCronFile('barman')));
  it('cron.d/one', () => golden('default/cron.d/one', serverCronFile(one, 'barman')));
  it('barman-home-ok', () => golden('default/barman-home-ok', barmanHomeOk('/var/lib/barman', false)));
  it('pg_hba lines', () => golden('default/pg_hba.lines', `${pgHbaLines('10.213.0.10').join('\n')}\n`));
});

describe('golden: custom backup_name, postgres method, retention, interval', () => {
  const s = server(
    'db2',
    {
      backupName: 'nightly-db2',
      cronFileName: 'nightly-db2',
      barmanHost: 'barman-1.example.com',
      slotName: 'backup_barman_1',
      sshCommand: 'ssh -q postgres@db2 -p 2222',
      conninfo: 'host=db2 port=5444 dbname=postgres user=barman sslmode=verify-full',
      streamingConninfo: 'host=db2 port=5444 dbname=postgres user=streaming_barman sslmode=verify-full',
    },
    {
      backupMethod: 'postgres',
      parallelJobs: 4,
      minimumRedundancy: 1,
      retentionPolicy: 'RECOVERY WINDOW OF 2 WEEKS',
      lastBackupMaximumAge: '2 DAYS',
      backupInterval: '30 1 * * *',
    },
  );
  it('barman.d/nightly-db2.conf', () => golden('custom/barman.d/nightly-db2.conf', serverConf(s, true)));
  it('cron.d/nightly-db2', () => golden('custom/cron.d/nightly-db2', serverCronFile(s, 'barman')));
});

describe('golden: archiver, scripts, streaming_wals_directory, header', () => {
  const s = server('three', {}, {
    archiver: true,
    backupOptions: 'concurrent_backup,external_configuration',
    immediateCheckpoint: true,
    networkCompression: true,
    basebackupRetryTimes: 5,
    basebackupRetrySleep: 60,
    preArchiveRetryScript: '/usr/local/bin/pre-archive',
    postBackupRetryScript: '/usr/local/bin/post-backup-retry',
    postBackupScript: '/usr/local/bin/notify',
    streamingWalsDirectory: '/srv/barman/three/streaming',
  });
  it('barman.d/three.conf', () =>
    golden('archiver/barman.d/three.conf', serverConf(s, true, ['; tpa-barman cluster=demo server=three'])));
});

describe('golden: a standby backed up (primary_conninfo), with archiver', () => {
  const s = server(
    'replica1',
    { standby: { primaryHost: 'pg1', primaryConninfo: 'host=pg1 port=5432 dbname=postgres user=barman sslmode=require', primarySshCommand: 'ssh -q postgres@pg1 -p 22' } },
    { archiver: true },
  );
  it('barman.d/replica1.conf', () => golden('standby/barman.d/replica1.conf', serverConf(s, true)));
});

describe('golden: rsync with compression gzip and reuse_backup copy', () => {
  const s = server('four', {}, { compression: 'gzip', reuseBackup: 'copy' });
  it('barman.d/four.conf', () => golden('rsync/barman.d/four.conf', serverConf(s, false)));
});

describe('golden: no compressor found, custom home/user, mountable volume, IPv6 host lines', () => {
  const host = barmanHost(
    { home: '/srv/barman', user: 'backup', group: 'backup' },
    { barmanHome: '/srv/barman', barmanUser: 'backup', parallelJobs: 2, immediateCheckpoint: true, retentionPolicy: 'REDUNDANCY 4', pathPrefix: '/usr/pgsql-16/bin' },
  );
  it('barman.conf', () => golden('nocompress/barman.conf', barmanConf(host, 'none')));
  it('barman-home-ok', () => golden('nocompress/barman-home-ok', barmanHomeOk('/srv/barman', true)));
  it('pg_hba lines', () => golden('nocompress/pg_hba.lines', `${pgHbaLines('fd00:213::10', 'host').join('\n')}\n`));
});

describe('golden: barman_role grants', () => {
  it('PostgreSQL 14', () => golden('grants/pg14.sql', sqlScript(barmanRoleGrantStatements(14))));
  it('PostgreSQL 15', () => golden('grants/pg15.sql', sqlScript(barmanRoleGrantStatements(15))));
});
