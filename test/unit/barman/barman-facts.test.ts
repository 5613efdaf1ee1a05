// Barman's own reports, parsed: list-backups, the version and .barman.auto.conf, with
// real outputs of Barman 3.4 and 3.13 (fixtures/README.md), and the drift and first-backup
// resources planned from them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoConfDriftResource, autoConfOverrides, maskValue, ourServerSettings } from '../../../playbooks/barman/auto-conf.js';
import { barmanFactsProbe, parseBarmanFacts, parseBarmanVersion, parseListBackups, type BarmanFacts } from '../../../playbooks/barman/barman-facts.js';
import { FirstBackupResource } from '../../../playbooks/barman/first-backup.js';
import type { BackupServerSpec, BarmanHostSpec } from '../../../playbooks/barman/model.js';
import { barmanConf, serverConf } from '../../../playbooks/barman/templates/index.js';
import { ProbeParseError } from '../../../src/engine/probe.js';
import { parseIni } from '../../../src/util/ini-read.js';
import { barmanHost, server as serverSpec } from '../templates/fixtures.js';

const FIX = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const VERSIONS = ['3.4', '3.13'] as const;

/** The probe's stdout, as its sh prints it. */
function stdout(parts: { list?: string; auto?: string; version?: string }): Buffer {
  const b64 = (t: string): string => Buffer.from(t).toString('base64');
  const lines: string[] = [];
  if (parts.list !== undefined) lines.push(parts.list === 'not-installed' ? 'list not-installed' : `list ${b64(parts.list)}`);
  if (parts.auto !== undefined) lines.push(`auto ${b64(parts.auto)}`);
  if (parts.version !== undefined) lines.push(`version ${b64(parts.version)}`);
  return Buffer.from(lines.map((l) => `${l}\n`).join(''));
}

describe('barman -f json list-backups, as Barman 3.4 and 3.13 print it', () => {
  for (const v of VERSIONS) {
    it(`Barman ${v}: counts the DONE backups of a listed server`, () => {
      expect(parseListBackups(fixture(`barman-${v}-list.json`), ['pg1'])).toEqual(new Map([['pg1', { state: 'listed', done: 3 }]]));
    });
    it(`Barman ${v}: a server Barman does not know has no backups (first deploy); the others are still counted`, () => {
      expect(parseListBackups(fixture(`barman-${v}-list-unknown.json`), ['nosuch', 'pg1'])).toEqual(
        new Map([
          ['nosuch', { state: 'absent', why: 'unknown server' }],
          ['pg1', { state: 'listed', done: 3 }],
        ]),
      );
    });
    it(`Barman ${v}: an inactive server is neither 0 nor an error: its backups are not listed`, () => {
      expect(parseListBackups(fixture(`barman-${v}-list-inactive.json`), ['pg1'])).toEqual(new Map([['pg1', { state: 'inactive' }]]));
    });
    it(`Barman ${v}: any other error (a disabled server) fails with Barman's message, never 0`, () => {
      expect(() => parseListBackups(fixture(`barman-${v}-list-disabled.json`), ['pg1'])).toThrow(ProbeParseError);
      expect(() => parseListBackups(fixture(`barman-${v}-list-disabled.json`), ['pg1'])).toThrow(/does not report server pg1: Conflicting path: basebackups_directory/);
    });
  }
  it('an error about a server we did not ask about is still an error', () => {
    const doc = JSON.stringify({ _ERROR: ["Unknown server 'other'"], pg1: [] });
    expect(() => parseListBackups(doc, ['pg1'])).toThrow(/reports: Unknown server 'other'/);
  });
  it('refuses what is not a list-backups document', () => {
    expect(() => parseListBackups('Traceback (most recent call last):', ['pg1'])).toThrow(/not valid JSON/);
    expect(() => parseListBackups('[]', ['pg1'])).toThrow(/expected a JSON object/);
    expect(() => parseListBackups(JSON.stringify({ pg1: [{ backup_id: 'x' }] }), ['pg1'])).toThrow(/without a status/);
    expect(() => parseListBackups(JSON.stringify({ _ERROR: 'x' }), ['pg1'])).toThrow(/list of messages/);
  });
  it('counts only DONE backups (FAILED, WAITING_FOR_WALS are not complete)', () => {
    const doc = JSON.stringify({ pg1: [{ status: 'FAILED' }, { status: 'WAITING_FOR_WALS' }, { status: 'DONE' }] });
    expect(parseListBackups(doc, ['pg1']).get('pg1')).toEqual({ state: 'listed', done: 1 });
  });
});

describe('the Barman facts of a host', () => {
  it('Barman not installed (first deploy): every server has no backups', () => {
    const f = parseBarmanFacts(stdout({ list: 'not-installed' }), ['pg1', 'sales_db']);
    expect([...f.servers.values()]).toEqual([
      { state: 'absent', why: 'not installed' },
      { state: 'absent', why: 'not installed' },
    ]);
    expect(f.autoConf).toBeNull();
  });
  for (const v of VERSIONS) {
    it(`reads the version Barman ${v} prints`, () => {
      expect(parseBarmanVersion(fixture(`barman-${v}-version.txt`))).toBe(v === '3.4' ? '3.4.0' : '3.13.3');
      expect(parseBarmanVersion(v === '3.4' ? '3.4.0\n' : '3.13.3\n')).toBe(v === '3.4' ? '3.4.0' : '3.13.3');
    });
  }
  it('.barman.auto.conf counts from Barman 3.10 on; an older Barman ignores the file', () => {
    const list = fixture('barman-3.13-list.json');
    const auto = fixture('barman-3.13-auto.conf');
    const on = parseBarmanFacts(stdout({ list, auto, version: fixture('barman-3.13-version.txt') }), ['pg1']);
    expect(on.autoConf?.version).toBe('3.13.3');
    expect(on.autoConf?.doc.get('pg1')?.get('archiver')).toBe('on');
    const old = parseBarmanFacts(stdout({ list, auto, version: fixture('barman-3.4-version.txt') }), ['pg1']);
    expect(old.autoConf).toBeNull();
    expect(old.autoConfIgnored).toBe('Barman 3.4.0 does not read it (3.10 and later do)');
  });
  it('refuses unexpected or broken output, without quoting it', () => {
    expect(() => parseBarmanFacts(Buffer.from('hello\n'), ['pg1'])).toThrow(/unexpected output/);
    expect(() => parseBarmanFacts(Buffer.from(''), ['pg1'])).toThrow(/no list-backups result/);
    const bad = parseBarmanFacts.bind(null, stdout({ list: 'not-installed', auto: '[pg1]\nconninfo = password=secret\nthis is not ini\n', version: '3.13.3' }), ['pg1']);
    expect(bad).toThrow(/\.barman\.auto\.conf does not parse \(line 3\)/);
    expect(bad).not.toThrow(/secret/);
  });
  it('one probe per host: every resource asks with the same command', () => {
    const host = barmanHost({ servers: [serverSpec('pg2'), serverSpec('pg1')] });
    expect(barmanFactsProbe(host).sh).toBe(barmanFactsProbe({ ...host }).sh);
    expect(barmanFactsProbe(host).sh).toContain(`runuser -u "$u" -- /usr/bin/barman -f json list-backups ${[...new Set(host.servers.map((s) => s.backupName))].sort().join(' ')}`);
  });
});

describe('.barman.auto.conf drift', () => {
  const server: BackupServerSpec = serverSpec('pg1');
  const host: BarmanHostSpec = barmanHost({ servers: [server] });
  const ours = (): string => serverConf(server, true, [], host.global);
  const global = barmanConf(host, 'pigz');
  const facts = (auto: string): BarmanFacts => parseBarmanFacts(stdout({ list: JSON.stringify({ pg1: [] }), auto, version: '3.13.3' }), ['pg1']);

  it('names every setting there that contradicts ours: the server file, the inherited [barman] options and archiver', () => {
    const mine = ourServerSettings('pg1', ours(), global, { archiver: 'off' });
    const over = autoConfOverrides(parseIni(fixture('barman-3.13-auto.conf')), 'pg1', mine);
    expect(over.map((o) => [o.setting, o.there, o.ours])).toEqual([
      ['retention_policy', 'REDUNDANCY 7', host.global.retentionPolicy],
      ['archiver', 'on', 'off'],
    ]);
    // What config-update wrote back (the file after a deploy) has none left.
    expect(autoConfOverrides(parseIni(fixture('barman-3.13-auto-after-deploy.conf')), 'pg1', mine)).toEqual([]);
  });
  it('reads values as Barman does: one pair of quotes stripped, booleans by meaning; host-only [barman] keys are not a server\'s', () => {
    const mine = ourServerSettings('pg1', ours(), global);
    const auto = parseIni(`[pg1]\nssh_command = ${server.sshCommand}\nstreaming_archiver = true\nlog_file = /tmp/x\n[other]\nretention_policy = REDUNDANCY 1\n`);
    expect(autoConfOverrides(auto, 'pg1', mine)).toEqual([]);
  });
  it('plans config-update with our values, shows server, setting, there and ours, and notes what config.yml does not set', () => {
    const r = new AutoConfDriftResource(host, server, ours(), global, ['barman', 'config']);
    const change = r.plan(facts(fixture('barman-3.13-auto.conf')));
    expect(change?.summary).toBe(
      `Barman server pg1: ${host.home}/.barman.auto.conf overrides retention_policy = "REDUNDANCY 7" there, "${host.global.retentionPolicy}" ours; archiver = "on" there, "off" ours — set back with barman config-update`,
    );
    expect(change?.sh).toContain(`-- /usr/bin/barman config-update '[{"scope":"server","server_name":"pg1","retention_policy":"${host.global.retentionPolicy}","archiver":"off"}]'`);
    expect(r.notes(facts(fixture('barman-3.13-auto.conf')))).toEqual([`Barman server pg1: ${host.home}/.barman.auto.conf sets archiver_batch_size, which config.yml does not set: left alone`]);
    expect(r.plan(facts(fixture('barman-3.13-auto-after-deploy.conf')))).toBeNull();
  });
  it('nothing on Barman < 3.10 or without the file', () => {
    const r = new AutoConfDriftResource(host, server, ours(), global, []);
    const old = parseBarmanFacts(stdout({ list: JSON.stringify({ pg1: [] }), auto: fixture('barman-3.13-auto.conf'), version: '3.4.0' }), ['pg1']);
    expect(r.plan(old)).toBeNull();
    expect(r.plan(parseBarmanFacts(stdout({ list: JSON.stringify({ pg1: [] }) }), ['pg1']))).toBeNull();
  });
  it('never shows a password of a conninfo', () => {
    expect(maskValue("host=pg1 password=s3cr3t user=barman")).toBe('host=pg1 password=******** user=barman');
    expect(maskValue("host=pg1 password = 'a b\\' c'")).toBe('host=pg1 password = ********');
  });
});

describe('the first backups', () => {
  const host = barmanHost({ servers: [serverSpec('pg1')] });
  const r = new FirstBackupResource({ host, server: 'pg1', want: 3, summary: 'take the first 3 backups of pg1', details: [], prepare: 'true', tags: [] });
  const plan = (list: string | 'not-installed'): ReturnType<FirstBackupResource['plan']> => r.plan(parseBarmanFacts(stdout({ list }), ['pg1']));
  for (const v of VERSIONS) {
    it(`Barman ${v}: none when Barman lists a completed backup`, () => {
      expect(plan(fixture(`barman-${v}-list.json`))).toBeNull();
    });
    it(`Barman ${v}: an inactive server is counted again once active, at apply time`, () => {
      const change = plan(fixture(`barman-${v}-list-inactive.json`));
      expect(change?.summary).toMatch(/unless Barman lists some once the server is active/);
      expect(change?.sh).toMatch(/^have=\$\(runuser -u barman -- \/usr\/bin\/barman -f json list-backups pg1 \| python3 -c /);
    });
  }
  it('taken when Barman is not installed or does not know the server yet', () => {
    expect(plan('not-installed')?.summary).toBe('take the first 3 backups of pg1');
    // What both versions print for `list-backups pg1` before pg1.conf exists.
    expect(plan(JSON.stringify({ _ERROR: ["Unknown server 'pg1'"] }))?.summary).toBe('take the first 3 backups of pg1');
    expect(plan(JSON.stringify({ pg1: [{ status: 'FAILED' }] }))?.sh).toContain('show-backup pg1 latest');
  });
});
