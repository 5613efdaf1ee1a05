// What a running PostgreSQL says about itself, how a host runs it, and the model checked
// against both: parsing, the choice of service manager, config.yml against the server.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProbeParseError } from '../../../src/engine/probe.js';
import { parseServerFacts, resolveInclude, type PostgresServerFacts } from '../../../src/engine/postgres-server.js';
import { findManager, parseServiceFacts, reloadScript, restartScript, type ServiceFacts } from '../../../src/engine/postgres-service.js';
import { PackagesResource, parsePackageState } from '../../../src/engine/resources/packages.js';
import { PgSettingResource } from '../../../src/engine/resources/postgres-setting.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import { withServerFacts } from '../../../playbooks/barman/server-model.js';
import { hbaPath, settingPath } from '../../../playbooks/barman/postgres-files.js';
import type { HostDiscovery } from '../../../playbooks/barman/discovery.js';
import type { BarmanModel } from '../../../playbooks/barman/model.js';
import { loadCluster } from '../../../src/config/load.js';
import { markerText } from '../../../src/engine/ownership.js';
import { SamePostgresMajorCheck } from '../../../playbooks/barman/shared-checks.js';
import { barmanHost } from '../templates/fixtures.js';

const serverJson = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    server_version_num: 170012,
    data_directory: '/opt/postgres/data',
    hba_file: '/opt/postgres/data/pg_hba.conf',
    config_file: '/opt/postgres/data/postgresql.conf',
    port: 5432,
    cluster_name: 'pg1',
    ssl: 'on',
    bin_dir: '/usr/lib/postgresql/17/bin',
    include_dirs: ['conf.d'],
    ...over,
  });

describe('server facts', () => {
  it('typed from the JSON the server gives; include directories resolved against postgresql.conf', () => {
    const f = parseServerFacts(serverJson({ include_dirs: ['conf.d', '/etc/extra/'] }));
    expect(f).toMatchObject({ versionNum: 170012, major: 17, hbaFile: '/opt/postgres/data/pg_hba.conf', ssl: true, binDir: '/usr/lib/postgresql/17/bin' });
    expect(f.includeDirs).toEqual(['/opt/postgres/data/conf.d', '/etc/extra']);
    expect(resolveInclude('/etc/postgresql/15/main/postgresql.conf', './conf.d')).toBe('/etc/postgresql/15/main/conf.d');
  });
  it('what does not make sense is a probe error, never a default', () => {
    expect(() => parseServerFacts(null)).toThrow(ProbeParseError);
    expect(() => parseServerFacts(serverJson({ hba_file: null }))).toThrow(/hba_file/);
    expect(() => parseServerFacts(serverJson({ ssl: 'maybe' }))).toThrow(/ssl/);
    expect(() => parseServerFacts(serverJson({ server_version_num: 90600 }))).toThrow(/PostgreSQL 10/);
    expect(() => parseServerFacts(serverJson({ port: '5432' }))).toThrow(/port/);
  });
});

const facts = (over: Partial<PostgresServerFacts> = {}): PostgresServerFacts => ({ ...parseServerFacts(serverJson()), ...over });
const service = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({ systemd: false, units: [], debianClusters: [], initScripts: [], ...over });

describe('service manager', () => {
  it('parses postmaster units, pg_lsclusters and init scripts', () => {
    const out = [
      '@@systemd',
      'yes',
      'Id=postgres.service',
      'DataDir=/opt/postgres/data',
      '',
      'Id=postgresql@15-main.service',
      'DataDir=/var/lib/postgresql/15/main',
      '',
      '@@debian',
      '15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
      '@@initd',
      'postgres',
      '@@service-end',
    ].join('\n');
    expect(parseServiceFacts(out)).toEqual({
      systemd: true,
      units: [
        { unit: 'postgres.service', dataDir: '/opt/postgres/data' },
        { unit: 'postgresql@15-main.service', dataDir: '/var/lib/postgresql/15/main' },
      ],
      debianClusters: [{ version: '15', cluster: 'main', port: 5432, dataDir: '/var/lib/postgresql/15/main' }],
      initScripts: ['postgres'],
    });
    expect(() => parseServiceFacts('@@systemd\nno\n@@debian\n')).toThrow(ProbeParseError);
  });
  it('the unit whose postmaster runs in its data directory, else the Debian cluster of that directory, else the SysV service, else pg_ctl', () => {
    const units = [{ unit: 'postgresql@15-main.service', dataDir: '/var/lib/postgresql/15/main' }, { unit: 'postgres.service', dataDir: '/opt/postgres/data/' }];
    expect(findManager(facts(), service({ systemd: true, units }), 'postgres')).toEqual({ kind: 'systemd', unit: 'postgres.service' });
    const deb = [{ version: '15', cluster: 'main', port: 5432, dataDir: '/var/lib/postgresql/15/main/' }];
    expect(findManager(facts({ dataDirectory: '/var/lib/postgresql/15/main' }), service({ debianClusters: deb, initScripts: ['postgres'] }), 'postgres')).toEqual({ kind: 'pg_ctlcluster', version: '15', cluster: 'main' });
    // A Debian cluster of another data directory is not this server's.
    expect(findManager(facts(), service({ debianClusters: deb, initScripts: ['postgres'] }), 'postgres')).toEqual({ kind: 'init-script', name: 'postgres' });
    // Under systemd, an init script is systemd's business: pg_ctl when no unit runs this postmaster.
    expect(findManager(facts(), service({ systemd: true, units: [{ unit: 'x.service', dataDir: '/srv/other' }], initScripts: ['postgres'] }), 'postgres')).toEqual({ kind: 'pg_ctl', binDir: '/usr/lib/postgresql/17/bin', dataDir: '/opt/postgres/data' });
  });
  it('reload is pg_reload_conf(); a restart waits (bounded) until the server answers', () => {
    const pg = { osUser: 'postgres', port: 5432 };
    expect(reloadScript(pg)).toContain("-c 'SELECT pg_reload_conf()'");
    const r = restartScript({ kind: 'pg_ctl', binDir: '/usr/lib/postgresql/17/bin', dataDir: '/opt/postgres/data' }, pg, '/var/lib/postgresql/x.log', 30);
    expect(r).toContain('runuser -u postgres -- /usr/lib/postgresql/17/bin/pg_ctl -D /opt/postgres/data restart -m fast -w -t 300 -s -l /var/lib/postgresql/x.log');
    expect(r).toContain('if [ $i -ge 30 ]');
    expect(restartScript({ kind: 'systemd', unit: 'postgres.service' }, pg, '/x')).toMatch(/^systemctl restart postgres.service \|\| exit 1\n/);
  });
});

describe('settings in an include directory', () => {
  const setting = (path: string | undefined): PgSettingResource =>
    new PgSettingResource({ name: 'archive_command', path, noPathReason: 'PostgreSQL on pg1 reads no include directory', owner: 'postgres', group: 'postgres', want: (c) => (c === 'ours' ? null : 'ours'), reloadHandler: 'reload', restartHandler: 'restart', tags: [] });
  const fact = (r: PgSettingResource, file: string, winner: string | null, value = '/bin/true') =>
    r.probe().parse({ stdout: Buffer.from(file), sql: JSON.stringify({ value, context: 'sighup', winner: winner === null ? null : { file: winner, line: 3, value } }) });
  const ours = '/opt/postgres/data/conf.d/tpa-barman-archive-command.conf';
  it('a value set by ALTER SYSTEM or by a file read after ours is a conflict before any change', () => {
    const r = setting(ours);
    expect(r.conflicts(fact(r, 'ABSENT\n', '/opt/postgres/data/postgresql.auto.conf'))[0]?.message).toMatch(/set by ALTER SYSTEM \(\/opt\/postgres\/data\/postgresql.auto.conf line 3\)/);
    expect(r.conflicts(fact(r, 'ABSENT\n', '/opt/postgres/data/conf.d/zz-late.conf'))[0]?.message).toMatch(/zz-late.conf line 3, which PostgreSQL reads after/);
    // An earlier file of the directory (TPA's 0000-tpa.conf) is overridden by ours: no conflict.
    expect(r.conflicts(fact(r, 'ABSENT\n', '/opt/postgres/data/conf.d/0000-tpa.conf'))).toEqual([]);
    expect(r.plan(fact(r, 'ABSENT\n', '/opt/postgres/data/conf.d/0000-tpa.conf'))?.summary).toContain(`in ${ours}`);
    // Satisfied, now and after a reload: nothing to say wherever it is set.
    expect(r.conflicts(fact(r, 'ABSENT\n', '/opt/postgres/data/postgresql.auto.conf', 'ours'))).toEqual([]);
    // Satisfied now, but an ALTER SYSTEM not yet reloaded would undo it: a conflict already.
    const pending = r.probe().parse({ stdout: Buffer.from('ABSENT\n'), sql: JSON.stringify({ value: 'ours', context: 'sighup', winner: { file: '/opt/postgres/data/postgresql.auto.conf', line: 3, value: '/bin/false' } }) });
    expect(r.conflicts(pending)[0]?.message).toMatch(/set by ALTER SYSTEM/);
  });
  it('no include directory: a needed change is a conflict that says so, never a write elsewhere', () => {
    const r = setting(undefined);
    const f = fact(r, '', null);
    expect(r.conflicts(f)[0]?.message).toMatch(/must be 'ours' \(it is '\/bin\/true'\), but PostgreSQL on pg1 reads no include directory/);
    expect(r.plan(f)).toBeNull();
  });
});

describe('packages the distribution does not have', () => {
  const r = new PackagesResource([{ name: 'postgresql-client-16', from: 'PGDG (https://apt.postgresql.org)' }, { name: 'rsync' }], []);
  it('are a conflict naming the package and its repository, when apt has lists to tell', () => {
    const state = parsePackageState(Buffer.from('rsync\tii \t3.2.7-1\n@@policy\nrsync:\t3.2.7-1\n@@lists\nyes\n'));
    const c = r.conflicts(state);
    expect(c).toHaveLength(1);
    expect(c[0]?.message).toBe("package postgresql-client-16 is not installed and this host's apt sources do not provide it");
    expect(c[0]?.hint).toMatch(/comes from PGDG \(https:\/\/apt.postgresql.org\)/);
    expect(r.conflicts(parsePackageState(Buffer.from('@@policy\npostgresql-client-16:\t(none)\n@@lists\nyes\n')))).toHaveLength(2);
    // Without package lists, candidates are unknown until apt-get update: no verdict.
    expect(r.conflicts(parsePackageState(Buffer.from('@@policy\n@@lists\n')))).toEqual([]);
  });
});

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-server-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function model(clusterVars: string): Promise<BarmanModel> {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'config.yml'),
    `cluster_name: speedy\ncluster_vars:\n${clusterVars}instances:\n- Name: pg1\n  node: 1\n  role: [primary]\n  backup: barman1\n  ip_address: 10.0.0.1\n- Name: barman1\n  node: 2\n  role: [barman]\n  ip_address: 10.0.0.2\n`,
  );
  return resolveBarman(await loadCluster(dir));
}

const discovered = (over: Partial<PostgresServerFacts> = {}, svc: Partial<ServiceFacts> = { initScripts: ['postgres'] }): Map<string, HostDiscovery> =>
  new Map([['pg1', { hostKeys: [], postgresHome: '/var/lib/postgresql', pgSsl: true, server: facts(over), service: service(svc) }]]);

describe('config.yml against the running server', () => {
  it('where config.yml is silent, the server says: major, bin and config directories, hba_file, include directory, manager', async () => {
    const { model: m, problems } = withServerFacts(await model('  barman_archiver: true\n'), discovered());
    expect(problems.size).toBe(0);
    const p = m.postgresHosts[0];
    expect(p).toMatchObject({ version: 17, binDir: '/usr/lib/postgresql/17/bin', confDir: '/opt/postgres/data' });
    expect(p && hbaPath(p)).toBe('/opt/postgres/data/pg_hba.conf');
    expect(p && settingPath(p, 'listen')).toBe('/opt/postgres/data/conf.d/tpa-barman-listen.conf');
    expect(p?.server?.manager).toEqual({ kind: 'init-script', name: 'postgres' });
    // The Barman host's client tools follow the major its servers run.
    expect(m.barmanHosts[0]).toMatchObject({ postgresVersion: 17, clientPackages: ['postgresql-client-17'] });
    expect(m.barmanHosts[0]?.global.pathPrefix).toBe('/usr/lib/postgresql/17/bin');
  });
  it('where it speaks and the server disagrees: a problem naming both values and where config.yml says it', async () => {
    const cfg = await model('  postgres_version: 16\n  postgres_port: 5433\n  postgres_data_dir: /srv/pg\n  postgres_conf_dir: /etc/postgresql/16/main\n');
    const { problems } = withServerFacts(cfg, discovered());
    const messages = (problems.get('pg1') ?? []).map((c) => c.message);
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatch(/^postgres_version is 16 in config.yml \(.*config.yml:3:3, cluster_vars.postgres_version\), but pg1 runs PostgreSQL 17 \(server_version_num 170012\)$/);
    expect(messages[1]).toMatch(/postgres_port is 5433 .* listens on port 5432/);
    expect(messages[2]).toMatch(/postgres_data_dir is \/srv\/pg .* runs from \/opt\/postgres\/data/);
    expect(messages[3]).toMatch(/postgres_conf_dir is \/etc\/postgresql\/16\/main .* reads \/opt\/postgres\/data\/postgresql.conf/);
  });
  it('a matching config.yml is no problem, and no include directory leaves no setting path', async () => {
    const { model: m, problems } = withServerFacts(await model('  postgres_version: 17\n  postgres_data_dir: /opt/postgres/data\n'), discovered({ includeDirs: [] }));
    expect(problems.size).toBe(0);
    const p = m.postgresHosts[0];
    expect(p && settingPath(p, 'listen')).toBeUndefined();
  });
  it('without discovery (a host error, or --list-tasks), the configured model stands', async () => {
    const cfg = await model('  postgres_version: 15\n');
    const { model: m } = withServerFacts(cfg, new Map());
    expect(m.postgresHosts[0]).toMatchObject({ version: 15, confDir: '/etc/postgresql/15/main' });
    expect(m.barmanHosts[0]?.clientPackages).toEqual(['postgresql-client-15']);
  });
});

describe('a shared Barman server of another major', () => {
  it('is refused, naming both majors and the path_prefix set by the other cluster', () => {
    const b = barmanHost({ postgresVersion: 17 }, { pathPrefix: '/usr/lib/postgresql/17/bin' });
    const check = new SamePostgresMajorCheck(b, 'beta', []);
    const conf = `; ${markerText('alpha')}\n[barman]\npath_prefix = /usr/lib/postgresql/15/bin\n`;
    const state = { exists: true, sha256: 'x', content: Buffer.from(conf) };
    expect(check.conflicts(state)[0]?.message).toBe('two serves PostgreSQL 15 (path_prefix /usr/lib/postgresql/15/bin, set by cluster alpha); this cluster is PostgreSQL 17 (path_prefix /usr/lib/postgresql/17/bin)');
    // Its own file, or the same major: nothing to say.
    expect(check.conflicts({ ...state, content: Buffer.from(conf.replace('alpha', 'beta')) })).toEqual([]);
    expect(new SamePostgresMajorCheck(barmanHost({}, { pathPrefix: '/usr/lib/postgresql/15/bin' }), 'beta', []).conflicts(state)).toEqual([]);
  });
});
