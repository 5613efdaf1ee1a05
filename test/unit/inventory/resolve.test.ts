// resolveBarman(): TPA's Barman defaults, precedence and derived names.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conninfoFor, cronFileNameFor, resolveBarman, slotNameFor } from '../../../playbooks/barman/inventory.js';
import { BARMAN_SERVER_DEFAULTS } from '../../../playbooks/barman/defaults.js';
import type { BarmanModel } from '../../../playbooks/barman/model.js';
import { loadCluster } from '../../../src/config/load.js';
import type { ClusterSpec, HostSpec } from '../../../src/config/types.js';
import { ConfigError } from '../../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-resolve-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function model(yaml: string): Promise<BarmanModel> {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.yml'), yaml);
  return resolveBarman(await loadCluster(dir));
}

async function problems(yaml: string): Promise<ConfigError> {
  const err = await model(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

const PAIR = (pgVars = '', barmanVars = '', clusterVars = '  postgres_version: 15\n'): string => `cluster_name: speedy
cluster_vars:
${clusterVars}instances:
- Name: pg1
  node: 1
  role: [primary]
  backup: barman1
  ip_address: 10.0.0.1
  vars:
    dummy: 1
${pgVars}- Name: barman1
  node: 2
  role: [barman]
  ip_address: 10.0.0.2
  vars:
    dummy: 1
${barmanVars}`;

describe('derived names', () => {
  it('slot names use the Barman host up to the first dot, - → _', () => {
    expect(slotNameFor('barman-1.example.com')).toBe('backup_barman_1');
    expect(slotNameFor('two')).toBe('backup_two');
  });
  it('cron files use backup_name up to the first dot', () => {
    expect(cronFileNameFor('one.example')).toBe('one');
    expect(cronFileNameFor('one')).toBe('one');
  });
  it('conninfo has no trailing space (TPA quirk 11.13 dropped)', () => {
    expect(conninfoFor('one', 5432, 'barman', '')).toBe('host=one port=5432 dbname=postgres user=barman');
    expect(conninfoFor('one', 5433, 'streaming_barman', 'sslmode=require')).toBe('host=one port=5433 dbname=postgres user=streaming_barman sslmode=require');
  });
});

describe('precedence', () => {
  it('takes per-server values from the backed-up instance, not the Barman host', async () => {
    const m = await model(PAIR('', '    barman_retention_policy: REDUNDANCY 9\n    barman_backup_interval: "0 1 * * *"\n'));
    const s = m.backups[0];
    expect(s?.settings.retentionPolicy).toBe(BARMAN_SERVER_DEFAULTS.barman_retention_policy);
    expect(s?.settings.backupInterval).toBe('0 4 * * wed,sat');
  });

  it('uses default_barman_* as the fallback of both per-server and global values', async () => {
    const m = await model(PAIR('', '', '  postgres_version: 15\n  default_barman_retention_policy: REDUNDANCY 2\n  default_barman_backup_interval: "15 3 * * *"\n'));
    expect(m.backups[0]?.settings.retentionPolicy).toBe('REDUNDANCY 2');
    expect(m.backups[0]?.settings.backupInterval).toBe('15 3 * * *');
    expect(m.barmanHosts[0]?.global.retentionPolicy).toBe('REDUNDANCY 2');
  });

  it('never lets barman_* change the global file, except barman_log_file of the Barman host', async () => {
    const m = await model(PAIR('    barman_log_file: /var/log/pg1.log\n', '    barman_log_file: /var/log/b1.log\n', '  postgres_version: 15\n  barman_retention_policy: REDUNDANCY 7\n'));
    const g = m.barmanHosts[0]?.global;
    expect(g?.retentionPolicy).toBe('RECOVERY WINDOW OF 4 WEEKS');
    expect(g?.logFile).toBe('/var/log/b1.log');
    expect(m.backups[0]?.settings.retentionPolicy).toBe('REDUNDANCY 7');
  });

  it('global compression is auto unless default_barman_compression is set', async () => {
    expect((await model(PAIR())).barmanHosts[0]?.global.compression).toBe('auto');
    const m = await model(PAIR('', '', '  default_barman_compression: gzip\n'));
    expect(m.barmanHosts[0]?.global.compression).toBe('gzip');
    // ... and it is the per-server fallback too, as in TPA.
    expect(m.backups[0]?.settings.compression).toBe('gzip');
  });

  it('streaming DSN attributes fall back to barman_client_dsn_attributes', async () => {
    const m = await model(PAIR('    barman_client_dsn_attributes: sslmode=require\n'));
    expect(m.backups[0]?.streamingConninfo).toBe('host=pg1 port=5432 dbname=postgres user=streaming_barman sslmode=require');
    expect(m.postgresHosts[0]?.streamingBarmanClientDsnAttributes).toBe('sslmode=require');
  });

  it('derives ssh_command from postgres_user and cluster_ssh_port', async () => {
    const m = await model(PAIR('    postgres_user: pgowner\n', '', '  cluster_ssh_port: 2222\n'));
    expect(m.backups[0]?.sshCommand).toBe('ssh -q pgowner@pg1 -p 2222');
    expect(m.sshPort).toBe(2222);
  });

  it('accepts "true"/"false" strings and digit strings, normalising them', async () => {
    const m = await model(PAIR('    barman_archiver: "TRUE"\n    barman_parallel_jobs: "4"\n'));
    expect(m.backups[0]?.settings.archiver).toBe(true);
    expect(m.backups[0]?.settings.parallelJobs).toBe(4);
    expect(m.hostVars?.['pg1']?.['barman_parallel_jobs']).toMatchObject({ value: 4, source: 'instance_vars', key: 'instances[0].vars.barman_parallel_jobs' });
  });
});

describe('model', () => {
  it('describes Postgres hosts, replicas included', async () => {
    const m = await model(`cluster_name: x
cluster_vars: {postgres_version: 16}
instances:
- {Name: pg1, node: 1, role: primary, backup: b1, ip_address: 10.0.0.1}
- {Name: pg2, node: 2, role: replica, upstream: pg1, backup: [b1, b2], ip_address: 10.0.0.2, vars: {postgres_bin_dir: /opt/pg/bin}}
- {Name: b1, node: 3, role: barman, ip_address: 10.0.0.3}
- {Name: b2, node: 4, role: barman, private_ip: 10.0.0.4, vars: {barman_shared: true}}
`);
    expect(m.postgresHosts.map((p) => [p.name, p.isPrimary, p.backupTo, p.binDir, p.confDir])).toEqual([
      ['pg1', true, ['b1'], '/usr/lib/postgresql/16/bin', '/etc/postgresql/16/main'],
      ['pg2', false, ['b1', 'b2'], '/opt/pg/bin', '/etc/postgresql/16/main'],
    ]);
    expect(m.postgresHosts[0]?.barmanHosts).toEqual([
      { name: 'b1', ipAddress: '10.0.0.3' },
      { name: 'b2', ipAddress: '10.0.0.4' },
    ]);
    expect(m.barmanHosts.map((b) => [b.name, b.shared, b.servers.map((s) => s.backupName)])).toEqual([
      ['b1', false, ['pg1', 'pg2']],
      ['b2', true, ['pg2']],
    ]);
    expect(m.backups.map((s) => [s.pgHost, s.barmanHost, s.slotName])).toEqual([
      ['pg1', 'b1', 'backup_b1'],
      ['pg2', 'b1', 'backup_b1'],
      ['pg2', 'b2', 'backup_b2'],
    ]);
  });

  it('works on a hand-built ClusterSpec without variable definitions', () => {
    const pos = { file: 'config.yml', line: 1, col: 1 };
    const mk = (name: string, node: number, roles: string[], backup: string[], vars: HostSpec['vars'] = {}): HostSpec => ({
      name, node, roles, platform: 'bare', connectAddress: `10.0.0.${node}`, ipAddress: `10.0.0.${node}`, backup, vars, ssh: { user: 'root', port: 22 }, pos,
    });
    const cluster: ClusterSpec = {
      name: 'hand',
      dir: '/tmp/hand',
      configFile: '/tmp/hand/config.yml',
      knownHostsFile: '/tmp/hand/tpa_known_hosts',
      clusterVars: {},
      hosts: [
        mk('pg1', 1, ['primary', 'postgres'], ['b1'], { backup_name: { value: 'main', source: 'instance_vars', pos, key: 'instances[0].vars.backup_name' } }),
        mk('b1', 2, ['barman'], []),
      ],
    };
    expect(resolveBarman(cluster).backups[0]?.backupName).toBe('main');
    cluster.hosts[0]!.vars['backup_name'] = { value: 'a b', source: 'instance_vars', pos, key: 'instances[0].vars.backup_name' };
    expect(() => resolveBarman(cluster)).toThrow(/backup_name has an invalid value "a b" \(instances\[0\]\.vars\.backup_name\)/);
  });
});

describe('errors', () => {
  it('reports every problem at once', async () => {
    const err = await problems(PAIR('    backup_name: all\n    barman_retention_policy: 4 WEEKS\n', '    barman_home: /\n', '  barman_retension: 1\n'));
    expect(err.issues.map((i) => i.key)).toEqual([
      'cluster_vars.barman_retension',
      'instances[0].vars.backup_name',
      'instances[0].vars.barman_retention_policy',
      'instances[1].vars.barman_home',
    ]);
    expect(err.exitCode).toBe(5);
  });

  it('uses TPA\'s message for a backup target without the barman role', async () => {
    const err = await problems(`cluster_name: x
instances:
- {Name: pg1, node: 1, role: primary, backup: pg2, ip_address: 10.0.0.1}
- {Name: pg2, node: 2, role: primary, backup: pg2, ip_address: 10.0.0.2}
`);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.message).toBe("An instance with Name=pg2 and 'barman' in role must exist, because of the 'backup: pg2' setting on instance(s) pg1, pg2");
    expect(err.issues[0]?.hint).toBe('pg2 exists but its role is [primary, postgres]; add barman to its role');
  });

  it('allows the same backup_name on different Barman hosts', async () => {
    const m = await model(`cluster_name: x
instances:
- {Name: pg1, node: 1, role: primary, backup: b1, ip_address: 10.0.0.1, vars: {backup_name: db}}
- {Name: pg2, node: 2, role: primary, backup: b2, ip_address: 10.0.0.2, vars: {backup_name: db}}
- {Name: b1, node: 3, role: barman, ip_address: 10.0.0.3}
- {Name: b2, node: 4, role: barman, ip_address: 10.0.0.4}
`);
    expect(m.backups.map((s) => s.backupName)).toEqual(['db', 'db']);
  });
});
