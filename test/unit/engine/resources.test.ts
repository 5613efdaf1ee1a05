// Every resource's probe parse and plan(), from typed facts: no host, no Docker.
import { describe, expect, it } from 'vitest';
import { ProbeParseError, type Probe } from '../../../src/engine/probe.js';
import { CommandResource, handler, serviceRunning } from '../../../src/engine/resources/command.js';
import { DirectoryResource, directoryProbe } from '../../../src/engine/resources/directory.js';
import { parseFileState } from '../../../src/engine/resources/file-state.js';
import { FileResource, KNOWN_AFTER_APPLY } from '../../../src/engine/resources/file.js';
import { PackagesResource, parsePackageState } from '../../../src/engine/resources/packages.js';
import { PgFunctionGrantResource, PgMembershipResource, PgRoleResource } from '../../../src/engine/resources/postgres.js';
import { PgSettingResource } from '../../../src/engine/resources/postgres-setting.js';
import { PgSlotAbsentResource } from '../../../src/engine/resources/postgres-slot.js';
import { GroupResource, UserResource, userProbe } from '../../../src/engine/resources/user.js';
import { SqlQuoteError } from '../../../src/postgres/sql.js';
import { scramSha256Verifier } from '../../../src/postgres/scram.js';

const sh = <T>(p: Probe<T>, stdout: string): T => p.parse({ stdout: Buffer.from(stdout, 'latin1'), sql: undefined });
const sql = <T>(p: Probe<T>, value: string | null): T => p.parse({ stdout: Buffer.alloc(0), sql: value });
const role = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolcanlogin: true, rolinherit: true, rolreplication: false, rolconnlimit: -1, rolpassword: null, member_of: null, ...over });

describe('directory', () => {
  const r = new DirectoryResource({ path: '/srv/x', owner: 'barman', group: 'barman', mode: '0750', tags: [] });
  it('absent: created; other owner or mode: fixed; as wanted: nothing', () => {
    expect(r.plan(sh(r.probe(), 'ABSENT\n'))?.sh).toBe("mkdir -p /srv/x && chown barman:barman /srv/x && chmod 0750 /srv/x");
    expect(r.plan(sh(r.probe(), 'root root 755\n'))?.summary).toBe('directory /srv/x: owner root:root → barman:barman, mode 755 → 750');
    expect(r.plan(sh(r.probe(), 'barman barman 750\n'))).toBeNull();
  });
  it('a file where the directory should be, or output that is not stat\'s, is a probe error', () => {
    expect(() => sh(directoryProbe('/srv/x'), 'NOTDIR\n')).toThrow(ProbeParseError);
    expect(() => sh(directoryProbe('/srv/x'), '')).toThrow(/unexpected output/);
  });
});

describe('group and user', () => {
  it('a group is created only when getent finds none', () => {
    const g = new GroupResource('barman', []);
    expect(g.plan(sh(g.probe(), ''))?.sh).toBe('groupadd --system barman');
    expect(g.plan(sh(g.probe(), 'barman:x:999:\n'))).toBeNull();
  });
  it('a user is created, or modified only where it differs', () => {
    const u = new UserResource({ name: 'barman', group: 'barman', home: '/var/lib/barman', shell: '/bin/bash', tags: [] });
    expect(u.plan(sh(u.probe(), '@@\n'))?.action).toBe('create');
    expect(u.plan(sh(u.probe(), 'barman:x:999:999::/var/lib/barman:/bin/bash\n@@\nbarman\n'))).toBeNull();
    expect(u.plan(sh(u.probe(), 'barman:x:999:999::/home/barman:/bin/sh\n@@\nusers\n'))?.sh).toBe("usermod --home /var/lib/barman --shell /bin/bash --gid barman barman");
    expect(() => sh(userProbe('barman'), 'barman:x:999\n@@\n')).toThrow(ProbeParseError);
  });
});

describe('packages', () => {
  const r = new PackagesResource([{ name: 'barman', version: '3.4*' }, { name: 'rsync' }], []);
  it('installs what is missing or at another version, with the candidate in the details', () => {
    const state = parsePackageState(Buffer.from('barman\tii \t3.10.0-1\n@@policy\nbarman:\t3.4.0-1\nrsync:\t3.2.7-1\n'));
    const c = r.plan(state);
    expect(c?.summary).toBe('install barman=3.4* rsync');
    expect(c?.details).toEqual(['+ barman 3.4* (installed 3.10.0-1)', '+ rsync 3.2.7-1']);
    expect(r.plan(parsePackageState(Buffer.from('barman\tii \t3.4.0-1\nrsync\tii \t3.2.7-1\n@@policy\n')))).toBeNull();
  });
  it('output without the policy section is a probe error', () => {
    expect(() => parsePackageState(Buffer.from('barman\tii \t3.4.0-1\n'))).toThrow(ProbeParseError);
  });
});

describe('commands', () => {
  it('a service is started only when its check says it is stopped', () => {
    const s = serviceRunning({ name: 'cron', check: 'pgrep -x cron', start: 'service cron start', tags: [] });
    expect(s.plan(sh(s.probe(), 'stopped\n'))?.sh).toBe('service cron start');
    expect(s.plan(sh(s.probe(), 'running\n'))).toBeNull();
    expect(() => sh(s.probe(), 'maybe\n')).toThrow(/expected one of running, stopped/);
  });
  it('a guarded command runs when its typed fact says so; a handler whenever it is asked', () => {
    const c = new CommandResource({ id: 'c', tags: [], probe: { name: 'n', sh: 'echo 0', parse: (o) => Number(o.stdout.toString()) }, needed: (n: number) => n === 0, summary: 's', run: 'x' });
    expect(c.plan(0)?.sh).toBe('x');
    expect(c.plan(2)).toBeNull();
    expect(handler({ id: 'h', summary: 'reload', action: 'reload', run: 'r', tags: [] }).plan(undefined)?.action).toBe('reload');
  });
});

describe('files', () => {
  it('content known only after apply is shown so, with nothing to run', () => {
    const f = new FileResource({ path: '/k', content: KNOWN_AFTER_APPLY, owner: 'u', group: 'g', mode: '0600', tags: [] });
    expect(f.plan(parseFileState('/k', Buffer.from('ABSENT\n')))).toMatchObject({ action: 'create', knownAfterApply: true });
    expect(f.plan(parseFileState('/k', Buffer.from('ABSENT\n')))?.sh).toBeUndefined();
  });
  it('attributes only: chown and chmod, no rewrite', () => {
    const f = new FileResource({ path: '/k', content: 'x\n', owner: 'u', group: 'g', mode: '0600', tags: [] });
    const c = f.plan(parseFileState('/k', Buffer.from('root root 644 2\nx\n')));
    expect(c?.sh).toBe("chown u:g /k && chmod 0600 /k");
    expect(c?.guard).toBeUndefined();
  });
});

describe('PostgreSQL roles, grants, memberships', () => {
  const barman = new PgRoleResource({ name: 'barman', attrs: { login: true, superuser: false, inherit: true }, password: 'pw', managedMemberships: ['barman_role'], tags: [] });
  it('a missing role is created through the validated builder; its password only as a verifier', () => {
    const c = barman.plan(sql(barman.probe(), null));
    expect(c?.sql).toEqual(['CREATE ROLE "barman" WITH LOGIN NOSUPERUSER INHERIT']);
    expect(c?.secretSql?.[0]).toMatch(/^ALTER ROLE "barman" WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(JSON.stringify(c?.details)).not.toContain('SCRAM');
  });
  it('a SUPERUSER barman is altered; a matching verifier is not rotated; hand-granted memberships are a note', () => {
    const verifier = scramSha256Verifier('pw');
    const fact = sql(barman.probe(), role({ rolsuper: true, rolpassword: verifier, member_of: ['barman_role', 'pg_monitor'] }));
    const c = barman.plan(fact);
    expect(c?.sql).toEqual(['ALTER ROLE "barman" WITH NOSUPERUSER']);
    expect(c?.secretSql).toEqual([]);
    expect(c?.summary).toBe('role barman: SUPERUSER → NOSUPERUSER');
    expect(barman.notes(fact)).toEqual(['role barman is also a member of pg_monitor, granted outside tpa-barman: left as it is']);
    expect(barman.plan(sql(barman.probe(), role({ rolpassword: verifier, member_of: ['barman_role'] })))).toBeNull();
  });
  it('a role fact of the wrong shape is a probe error, not a role', () => {
    expect(() => sql(barman.probe(), '{"rolsuper": "yes"}')).toThrow(/field rolsuper: expected boolean/);
    expect(() => sql(barman.probe(), 'not json')).toThrow(/not valid JSON/);
  });
  it('grants and memberships: only what is missing, through the validated builders', () => {
    const g = new PgFunctionGrantResource('barman_role', 'pg_catalog.pg_switch_wal()', []);
    expect(g.plan(sql(g.probe(), '{"fn": true, "granted": false}'))?.sql).toEqual(['GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO "barman_role"']);
    expect(g.plan(sql(g.probe(), '{"fn": true, "granted": true}'))).toBeNull();
    expect(() => new PgFunctionGrantResource('r', 'pg_switch_wal(); DROP ROLE x', [])).toThrow(SqlQuoteError);
    const m = new PgMembershipResource('barman_role', 'barman', []);
    expect(m.plan(sql(m.probe(), '{"member": false}'))?.sql).toEqual(['GRANT "barman_role" TO "barman"']);
    expect(m.plan(sql(m.probe(), '{"member": true}'))).toBeNull();
  });
});

describe('PostgreSQL settings and slots', () => {
  const listen = new PgSettingResource({
    name: 'listen_addresses',
    path: '/etc/pg/conf.d/l.conf',
    owner: 'postgres',
    group: 'postgres',
    want: (cur) => (cur.includes('10.0.0.1') ? null : `${cur},10.0.0.1`),
    reloadHandler: 'reload',
    restartHandler: 'restart',
    tags: [],
  });
  const fact = (fileOut: string, value: string | null) => listen.probe().parse({ stdout: Buffer.from(fileOut), sql: value });
  it('written when the value in effect does not do; restart for a postmaster setting, reload otherwise', () => {
    const c = listen.plan(fact('ABSENT\n', '{"value": "localhost", "context": "postmaster"}'));
    expect(c?.summary).toBe("set listen_addresses = 'localhost,10.0.0.1' (was 'localhost'; needs PostgreSQL restart) in /etc/pg/conf.d/l.conf");
    expect(c?.notify).toEqual(['restart']);
    expect(listen.plan(fact('ABSENT\n', '{"value": "localhost,10.0.0.1", "context": "postmaster"}'))).toBeNull();
    const written = "# Managed by tpa-barman\nlisten_addresses = 'localhost,10.0.0.1'\n";
    expect(listen.plan(fact(`postgres postgres 644 ${written.length}\n${written}`, '{"value": "localhost", "context": "sighup"}'))).toMatchObject({ action: 'reload', notify: ['reload'] });
  });
  it('a setting PostgreSQL does not have is a probe error', () => {
    expect(() => fact('ABSENT\n', null)).toThrow(/PostgreSQL has no setting listen_addresses/);
  });
  it('a slot nobody reads is dropped (waiting for its consumer); an absent one is left', () => {
    const s = new PgSlotAbsentResource('backup_barman1', [], 'its Barman server is detached');
    expect(s.plan(sql(s.probe(), 'absent'))).toBeNull();
    expect(s.plan(sql(s.probe(), 'active'))?.summary).toBe('drop replication slot backup_barman1 (in use now): its Barman server is detached');
    expect(() => sql(s.probe(), 'unknown')).toThrow(ProbeParseError);
  });
});
