// Status from real Barman 3.4 / PostgreSQL 15 outputs (see samples/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load.js';
import type { SectionOutput } from '../../../src/commands/read-only.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import type { BarmanModel } from '../../../playbooks/barman/model.js';
import { assessStatus, backupSchedule, barmanStatusSections, isoInOffset, slotQuery, type HostSections } from '../../../playbooks/barman/status.js';

const SAMPLES = join(import.meta.dirname, 'samples');

function sample(name: string): HostSections {
  const doc = JSON.parse(readFileSync(join(SAMPLES, `${name}.json`), 'utf8')) as Record<string, SectionOutput>;
  return { reachable: true, sections: new Map(Object.entries(doc)) };
}

async function model(): Promise<BarmanModel> {
  return resolveBarman(await loadCluster(join(SAMPLES, 'cluster')));
}

describe('status assessment', () => {
  it('a healthy deploy: last backup, streaming, slot lag, retention, next backup, no problems', async () => {
    const hosts = new Map([
      ['barman1', sample('healthy-barman1')],
      ['pg1', sample('healthy-pg1')],
      ['pg2', sample('healthy-pg2')],
    ]);
    const [pg1, pg2] = assessStatus(await model(), hosts);
    expect(pg1).toMatchObject({
      server: 'pg1',
      barmanHost: 'barman1',
      pgHost: 'pg1',
      active: true,
      backups: 3,
      lastBackup: { id: '20261124T064610', endTime: '2026-11-24T06:46:12+00:00', sizeBytes: 23257911 },
      receiveWal: 'running',
      streaming: 'streaming',
      slot: { name: 'backup_barman1', exists: true, active: true, walStatus: 'reserved' },
      retentionPolicy: 'RECOVERY WINDOW OF 4 WEEKS',
      schedule: '0 4 * * wed,sat',
      nextBackup: '2026-11-25T04:00:00+00:00',
      failingChecks: [],
      problems: [],
      unreachable: false,
    });
    expect(pg1?.slot.lagBytes).toBeGreaterThan(0);
    // The age is measured on the Barman host's clock, not the controller's.
    const b1 = hosts.get('barman1');
    const clock = Number(b1?.reachable ? b1.sections.get('clock')?.stdout.split(' ')[0] : NaN);
    expect(pg1?.lastBackup?.ageSeconds).toBe(clock - 1795502772);
    expect(pg2?.problems).toEqual([]);
    expect(pg2?.lastBackup?.id).toBe('20261124T064629');
  });

  it('names each problem: server not configured, receive-wal stopped, slot unused, cron file missing', async () => {
    const hosts = new Map([
      ['barman1', sample('broken-barman1')],
      ['pg1', sample('healthy-pg1')],
      ['pg2', sample('broken-pg2')],
    ]);
    const [pg1, pg2] = assessStatus(await model(), hosts);
    expect(pg1?.problems).toEqual(['not configured on barman1 (no /etc/barman.d/pg1.conf)']);
    expect(pg1?.schedule).toBe('0 4 * * wed,sat');
    expect(pg2?.receiveWal).toBe('not running');
    expect(pg2?.streaming).toBe('not streaming');
    expect(pg2?.slot).toMatchObject({ exists: true, active: false });
    expect(pg2?.schedule).toBeNull();
    expect(pg2?.nextBackup).toBeNull();
    expect(pg2?.problems).toEqual([
      'no scheduled backup: /etc/cron.d/pg2 is missing',
      'WAL streaming stopped: receive-wal is not running',
      'replication slot backup_barman1 on pg2 is not in use',
      expect.stringMatching(/^barman check failing: replication_slot \(slot 'backup_barman1' not active/),
    ]);
    expect(pg2?.lastBackup?.id).toBe('20261124T064629');
  });

  it('a dropped slot is reported as missing', async () => {
    const hosts = new Map([
      ['barman1', sample('broken-barman1')],
      ['pg1', sample('healthy-pg1')],
      ['pg2', sample('noslot-pg2')],
    ]);
    const pg2 = assessStatus(await model(), hosts)[1];
    expect(pg2?.slot).toEqual({ name: 'backup_barman1', exists: false, active: false, walStatus: null, lagBytes: null });
    expect(pg2?.problems).toContain('replication slot backup_barman1 is missing on pg2');
  });

  it('unreachable hosts make every server they hold unknown, and say so', async () => {
    const hosts = new Map<string, HostSections>([
      ['barman1', { reachable: false, error: 'barman1: cannot connect to 10.213.1.21:22: connect ECONNREFUSED' }],
      ['pg1', sample('healthy-pg1')],
      ['pg2', { reachable: false, error: 'pg2: no ssh handshake' }],
    ]);
    const [pg1, pg2] = assessStatus(await model(), hosts);
    expect(pg1).toMatchObject({ unreachable: true, backups: null, receiveWal: 'unknown', streaming: 'unknown' });
    expect(pg1?.problems).toEqual(['Barman host barman1 unreachable: barman1: cannot connect to 10.213.1.21:22: connect ECONNREFUSED']);
    expect(pg2?.slot.exists).toBeNull();
    expect(pg2?.problems[0]).toBe('PostgreSQL host pg2 unreachable: pg2: no ssh handshake');
  });

  it('Barman missing on the host: the failing command is named with its message', async () => {
    const notInstalled: SectionOutput = { code: 127, stdout: '', stderr: 'runuser: failed to execute /usr/bin/barman: No such file or directory\n' };
    const sections = new Map<string, SectionOutput>([
      ['clock', { code: 0, stdout: '1795503385 +0100\n', stderr: '' }],
      ['list-backups', notInstalled],
      ['check', notInstalled],
      ['show-servers', notInstalled],
    ]);
    const hosts = new Map<string, HostSections>([
      ['barman1', { reachable: true, sections }],
      ['pg1', sample('healthy-pg1')],
      ['pg2', sample('healthy-pg2')],
    ]);
    const pg1 = assessStatus(await model(), hosts)[0];
    expect(pg1?.problems).toEqual([
      'no scheduled backup: /etc/cron.d/pg1 is missing',
      'barman show-servers failed on barman1: runuser: failed to execute /usr/bin/barman: No such file or directory',
    ]);
  });
});

describe('status helpers', () => {
  it('runs only read commands, naming our servers (never `all`)', async () => {
    const b = (await model()).barmanHosts[0];
    if (!b) throw new Error('no Barman host');
    const commands = barmanStatusSections(b).map((s) => s.command);
    expect(commands).toEqual([
      "date '+%s %z'",
      'runuser -u barman -- /usr/bin/barman -f json list-backups pg1 pg2',
      'runuser -u barman -- /usr/bin/barman -f json check pg1 pg2',
      'runuser -u barman -- /usr/bin/barman -f json show-servers pg1 pg2',
      'cat /etc/cron.d/pg1',
      'cat /etc/cron.d/pg2',
    ]);
  });

  it('slot query: wal_status only from PostgreSQL 13, literals quoted', () => {
    expect(slotQuery(15, ['backup_b1'])).toContain("wal_status, 'lag_bytes'");
    expect(slotQuery(12, ['backup_b1'])).toContain("NULL::text, 'lag_bytes'");
    expect(slotQuery(15, ["o'hara"])).toContain("IN ('o''hara')");
  });

  it('finds the barman backup job in a cron file', () => {
    expect(backupSchedule('# Managed\nSHELL=/bin/sh\n\n# Backup from server x\n15 3 * * sun barman /etc/tpa/barman-home-ok && /usr/bin/barman backup x\n')).toBe('15 3 * * sun');
    expect(backupSchedule('* * * * * barman /usr/bin/barman -q cron\n')).toBeNull();
    expect(backupSchedule('')).toBeNull();
  });

  it('ISO times in the host offset', () => {
    expect(isoInOffset(Date.UTC(2026, 10, 24, 6, 46, 12), 0)).toBe('2026-11-24T06:46:12+00:00');
    expect(isoInOffset(Date.UTC(2026, 10, 24, 6, 46, 12), 90)).toBe('2026-11-24T08:16:12+01:30');
    expect(isoInOffset(Date.UTC(2026, 10, 24, 0, 30, 0), -300)).toBe('2026-11-23T19:30:00-05:00');
  });
});
