import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { barmanRoleGrants } from '../../../playbooks/barman/grants.js';
import {
  TPA_BARMAN_DEFAULTS,
  TemplateError,
  barmanConf,
  barmanHomeOk,
  globalCompression,
  globalCronFile,
  hbaAddress,
  pgHbaLines,
  serverConf,
  serverCronFile,
} from '../../../playbooks/barman/templates/index.js';
import { parseCronLine } from '../../../src/util/cron.js';
import { IniError } from '../../../src/util/ini.js';
import { barmanValue, parseBarmanBoolean, parseIni } from '../../support/barman-ini.js';
import { barmanHost, barmanRoleGrantStatements, defaultGlobal, server } from './fixtures.js';

function keys(text: string, section: string): Record<string, string> {
  return Object.fromEntries(parseIni(text).get(section) ?? []);
}

describe('barmanConf', () => {
  it.each([
    ['pigz', 'pigz'],
    ['bzip2', 'bzip2'],
    ['gzip', 'gzip'],
  ])('auto + detected %s → compression = %s', (detected, want) => {
    expect(keys(barmanConf(barmanHost(), detected), 'barman')['compression']).toBe(want);
  });

  it('auto + nothing detected leaves compression out; an explicit value wins over detection', () => {
    expect(keys(barmanConf(barmanHost(), 'none'), 'barman')).not.toHaveProperty('compression');
    expect(keys(barmanConf(barmanHost({}, { compression: 'bzip2' }), 'pigz'), 'barman')['compression']).toBe('bzip2');
    expect(keys(barmanConf(barmanHost({}, { compression: 'none' }), 'pigz'), 'barman')).not.toHaveProperty('compression');
    expect(globalCompression('auto', 'gzip')).toBe('gzip');
    expect(() => globalCompression('auto', 'xz')).toThrow(TemplateError);
    expect(() => globalCompression('auto', '')).toThrow(TemplateError);
  });

  it('has the [barman] keys in TPA order and values Barman reads as intended', () => {
    const text = barmanConf(barmanHost(), 'pigz');
    expect(Object.keys(keys(text, 'barman'))).toEqual([
      'barman_home', 'barman_user', 'log_file', 'backup_method', 'parallel_jobs', 'reuse_backup', 'backup_options',
      'immediate_checkpoint', 'compression', 'network_compression', 'basebackup_retry_times', 'basebackup_retry_sleep',
      'minimum_redundancy', 'retention_policy', 'recovery_options', 'last_backup_maximum_age',
      'configuration_files_directory', 'path_prefix',
    ]);
    const k = keys(text, 'barman');
    expect(parseBarmanBoolean(k['immediate_checkpoint'] ?? '')).toBe(false);
    expect(parseBarmanBoolean(k['network_compression'] ?? '')).toBe(false);
    // TPA's 'get-wal' (quoted) and our get-wal are the same value to Barman.
    expect(barmanValue(k['recovery_options'] ?? '')).toBe(barmanValue("'get-wal'"));
  });

  it('refuses unsafe or malformed values', () => {
    expect(() => barmanConf(barmanHost({}, { barmanHome: 'var/lib/barman' }), 'pigz')).toThrow(TemplateError);
    expect(() => barmanConf(barmanHost({}, { logFile: '/var/log/b arman.log' }), 'pigz')).toThrow(TemplateError);
    expect(() => barmanConf(barmanHost({}, { barmanUser: 'bar man' }), 'pigz')).toThrow(TemplateError);
    expect(() => barmanConf(barmanHost({}, { parallelJobs: 0 }), 'pigz')).toThrow(TemplateError);
    expect(() => barmanConf(barmanHost({}, { reuseBackup: 'hardlink' }), 'pigz')).toThrow(TemplateError);
    expect(() => barmanConf(barmanHost({}, { retentionPolicy: 'REDUNDANCY 2\n[evil]' }), 'pigz')).toThrow(IniError);
  });
});

describe('serverConf', () => {
  it('writes only what differs from the inherited values', () => {
    const k = keys(serverConf(server('one'), false), 'one');
    expect(Object.keys(k)).toEqual(['description', 'ssh_command', 'conninfo', 'streaming_conninfo', 'streaming_archiver', 'slot_name', 'active']);
  });

  it('compression: auto and TPA\'s default pigz inherit the detected compressor; anything else is written, for every method', () => {
    const c = (compression: string, backupMethod = 'rsync', inherited = TPA_BARMAN_DEFAULTS): string | undefined =>
      keys(serverConf(server('one', {}, { compression, backupMethod }), false, [], inherited), 'one')['compression'];
    expect(c('auto')).toBeUndefined();
    expect(c('pigz')).toBeUndefined();
    expect(c('gzip')).toBe('gzip');
    expect(c('gzip', 'postgres')).toBe('gzip');
    expect(c('none')).toBe('none');
    const gz = { ...TPA_BARMAN_DEFAULTS, compression: 'gzip' };
    expect(c('gzip', 'rsync', gz)).toBeUndefined();
    expect(c('pigz', 'rsync', gz)).toBe('pigz');
  });

  it('non-rsync methods always get reuse_backup = off; rsync writes it only when it differs', () => {
    expect(keys(serverConf(server('one', {}, { backupMethod: 'postgres' }), false), 'one')).toMatchObject({ backup_method: 'postgres', reuse_backup: 'off' });
    expect(keys(serverConf(server('one', {}, { reuseBackup: 'off' }), false), 'one')['reuse_backup']).toBe('off');
    expect(keys(serverConf(server('one', {}, { reuseBackup: 'link' }), false), 'one')).not.toHaveProperty('reuse_backup');
  });

  it('compares against the Barman host\'s global values when given', () => {
    const global = defaultGlobal({ retentionPolicy: 'REDUNDANCY 2', backupMethod: 'postgres', minimumRedundancy: 1 });
    // Server values equal to the global ones are inherited ...
    const same = server('one', {}, { retentionPolicy: 'REDUNDANCY 2', backupMethod: 'postgres', minimumRedundancy: 1 });
    expect(keys(serverConf(same, false, [], global), 'one')).not.toHaveProperty('retention_policy');
    expect(keys(serverConf(same, false, [], global), 'one')).not.toHaveProperty('backup_method');
    // ... and TPA's literal defaults are written when the global differs from them.
    const k = keys(serverConf(server('one'), false, [], global), 'one');
    expect(k).toMatchObject({ retention_policy: 'RECOVERY WINDOW OF 4 WEEKS', backup_method: 'rsync', minimum_redundancy: '3' });
  });

  it('writes active = true|false last, in the form the deploy reads back', () => {
    for (const active of [true, false]) {
      const text = serverConf(server('one'), active);
      expect(parseBarmanBoolean(keys(text, 'one')['active'] ?? '')).toBe(active);
      expect(/^\s*active\s*=\s*true\s*$/m.test(text)).toBe(active);
      expect(text.trimEnd().split('\n').at(-1)).toBe(`active = ${String(active)}`);
    }
  });

  it('quotes free text so Barman reads it verbatim (including % and trailing spaces)', () => {
    const s = server('one', { conninfo: "host=one password='50%' ", sshCommand: "ssh -q -o 'ProxyCommand=x %h' postgres@one" });
    const text = serverConf(s, false);
    expect(text).toContain(`conninfo = "host=one password='50%%' "`);
    const k = keys(text, 'one');
    expect(barmanValue(k['conninfo'] ?? '')).toBe("host=one password='50%' ");
    expect(barmanValue(k['ssh_command'] ?? '')).toBe("ssh -q -o 'ProxyCommand=x %h' postgres@one");
  });

  it('normalises header lines to ; comments', () => {
    const text = serverConf(server('one'), false, ['; a', '# b', 'c', '']);
    expect(text.split('\n').slice(0, 5)).toEqual(['; a', '; b', '; c', ';', '[one]']);
  });

  it.each([
    ['reserved name all', server('x', { backupName: 'all' })],
    ['reserved name barman', server('x', { backupName: 'barman' })],
    ['section injection in the name', server('x', { backupName: 'x]\n[barman' })],
    ['newline in conninfo', server('x', { conninfo: 'host=x\n[barman]\nbarman_home = /' })],
    ['newline in ssh_command', server('x', { sshCommand: 'ssh x\r\nactive = true' })],
    ['bad slot name', server('x', { slotName: 'Backup-Two' })],
    ['relative script path', server('x', {}, { postBackupScript: 'notify.sh' })],
    ['script with arguments', server('x', {}, { postBackupScript: '/usr/bin/notify --all' })],
    ['bad reuse_backup', server('x', {}, { reuseBackup: 'maybe' })],
    ['bad backup_method', server('x', {}, { backupMethod: 'rsync; rm -rf /' })],
    ['bad parallel_jobs', server('x', {}, { parallelJobs: 1.5 })],
    ['negative retry times', server('x', {}, { basebackupRetryTimes: -1 })],
    ['newline in retention', server('x', {}, { retentionPolicy: 'REDUNDANCY 1\n[barman]' })],
  ])('refuses %s', (_label, s) => {
    let err: unknown;
    try {
      serverConf(s, false);
    } catch (e) {
      err = e;
    }
    expect(err instanceof TemplateError || err instanceof IniError, String(err)).toBe(true);
  });

  it(
    'reads back through Python configparser with Barman\'s quote handling',
    () => {
      const s = server('three', { conninfo: 'host=three port=5432 dbname=postgres user=barman application_name=50%' }, { archiver: true });
      const text = serverConf(s, true, ['hdr']);
      const py = String.raw`
import configparser, json, re, sys
cp = configparser.ConfigParser(strict=False); cp.read_string(sys.stdin.read())
q = re.compile(r"""^(["'])(.*)\1$""")
json.dump({k: q.sub(lambda m: m.group(2), cp.get('three', k)) for k in cp.options('three')}, sys.stdout)`;
      const res = spawnSync('python3', ['-c', py], { input: text });
      expect(res.status, res.stderr.toString()).toBe(0);
      expect(JSON.parse(res.stdout.toString())).toEqual({
        description: 'Backups from three',
        archiver: 'on',
        ssh_command: 'ssh -q postgres@three -p 22',
        conninfo: 'host=three port=5432 dbname=postgres user=barman application_name=50%',
        streaming_conninfo: 'host=three port=5432 dbname=postgres user=streaming_barman',
        streaming_archiver: 'on',
        slot_name: 'backup_two',
        active: 'true',
      });
    },
  );
});

describe('cron templates', () => {
  it('global file: one job line for the barman user', () => {
    const lines = globalCronFile('backup').split('\n').map(parseCronLine);
    const jobs = lines.filter((l) => l.kind === 'job');
    expect(jobs).toEqual([{ kind: 'job', schedule: '* * * * *', user: 'backup', command: '/etc/tpa/barman-home-ok && /usr/bin/barman -q cron' }]);
    expect(() => globalCronFile('bar man')).toThrow();
  });

  it('server file: schedule from barman_backup_interval, refuses bad names and schedules', () => {
    const text = serverCronFile(server('db1.example.com', { cronFileName: 'db1' }, { backupInterval: '15 2 * * mon-fri' }), 'barman');
    expect(text).toContain('# Backup from server db1.example.com\n15 2 * * mon-fri barman /etc/tpa/barman-home-ok && /usr/bin/barman backup db1.example.com\n');
    expect(() => serverCronFile(server('db1.x', { cronFileName: 'db1.x' }), 'barman')).toThrow(/ignored by cron/);
    expect(() => serverCronFile(server('one', {}, { backupInterval: '@daily' }), 'barman')).toThrow(/@keywords/);
    expect(() => serverCronFile(server('one', {}, { backupInterval: '0 4 * * wed,sat\n* * * * * root id' }), 'barman')).toThrow();
    expect(() => serverCronFile(server('one', {}, { backupInterval: '0 4 * *' }), 'barman')).toThrow(/5 fields/);
    expect(() => serverCronFile(server('a%b', { cronFileName: 'ab' }), 'barman')).toThrow();
  });
});

describe('barmanHomeOk', () => {
  it('checks a directory or a mount point, and is valid bash', () => {
    for (const mountable of [false, true]) {
      const script = barmanHomeOk('/var/lib/barman', mountable);
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      const res = spawnSync('bash', ['-n'], { input: script });
      expect(res.status).toBe(0);
    }
    expect(barmanHomeOk('/var/lib/barman', true)).toContain('findmnt /var/lib/barman >/dev/null 2>&1 || exit 1');
  });

  it('exits 1 when barman or the home is missing', () => {
    const res = spawnSync('bash', ['-c', barmanHomeOk('/nonexistent/barman-home', false)]);
    expect(res.status).toBe(1);
  });

  it('refuses relative or odd paths', () => {
    expect(() => barmanHomeOk('var/lib/barman', false)).toThrow(TemplateError);
    expect(() => barmanHomeOk('/var/lib/bar man', false)).toThrow(TemplateError);
    expect(() => barmanHomeOk("/x'; rm -rf /; '", false)).toThrow(TemplateError);
  });
});

describe('pgHbaLines', () => {
  it('IPv4 /32, IPv6 /128, host names as is', () => {
    expect(pgHbaLines('10.0.0.5')).toEqual([
      'hostssl postgres barman 10.0.0.5/32 scram-sha-256',
      'hostssl replication streaming_barman 10.0.0.5/32 scram-sha-256',
    ]);
    expect(pgHbaLines('::1', 'host')[1]).toBe('host replication streaming_barman ::1/128 scram-sha-256');
    expect(hbaAddress('barman-1.example.com')).toBe('barman-1.example.com');
    expect(pgHbaLines('10.0.0.5', 'hostssl', 'cert map=barman')[0]).toBe('hostssl postgres barman 10.0.0.5/32 cert map=barman');
    expect(pgHbaLines('10.0.0.5', 'hostssl', 'md5')[0]).toBe('hostssl postgres barman 10.0.0.5/32 md5');
  });

  it('refuses anything else', () => {
    expect(() => pgHbaLines('10.0.0.5/24')).toThrow(TemplateError);
    expect(() => pgHbaLines('0.0.0.0 trust\nhost all')).toThrow(TemplateError);
    expect(() => pgHbaLines('')).toThrow(TemplateError);
    expect(() => pgHbaLines('10.0.0.5', 'local' as 'host')).toThrow(TemplateError);
    expect(() => pgHbaLines('10.0.0.5', 'host', 'trust\nhost all all 0.0.0.0/0 trust')).toThrow(TemplateError);
  });
});

describe('barmanRoleGrants', () => {
  const lt15 = {
    functions: [
      'pg_catalog.pg_start_backup(text, boolean, boolean)',
      'pg_catalog.pg_stop_backup()',
      'pg_catalog.pg_stop_backup(boolean, boolean)',
      'pg_catalog.pg_switch_wal()',
      'pg_catalog.pg_create_restore_point(text)',
    ],
    roles: ['pg_read_all_settings', 'pg_read_all_stats'],
  };
  const ge15 = {
    functions: [
      'pg_catalog.pg_backup_start(text, boolean)',
      'pg_catalog.pg_backup_stop(boolean)',
      'pg_catalog.pg_switch_wal()',
      'pg_catalog.pg_create_restore_point(text)',
    ],
    roles: ['pg_read_all_settings', 'pg_read_all_stats', 'pg_checkpoint'],
  };
  it.each([
    [10, lt15],
    [13, lt15],
    [14, lt15],
    [15, ge15],
    [16, ge15],
    [17, ge15],
  ])('PostgreSQL %i', (v, want) => {
    expect(barmanRoleGrants(v)).toEqual(want);
    expect(barmanRoleGrantStatements(v)).toHaveLength(want.functions.length + want.roles.length);
  });

  it('refuses versions where Barman needs a superuser', () => {
    expect(() => barmanRoleGrants(9)).toThrow(RangeError);
    expect(() => barmanRoleGrants(14.5)).toThrow(RangeError);
  });

  it('uses the given role name, quoted', () => {
    expect(barmanRoleGrantStatements(16, 'Barman Role').at(-1)).toBe('GRANT "pg_checkpoint" TO "Barman Role"');
  });
});
