// Every real TPA cluster directory in shared/tpa-configs loads and resolves as TPA would.
// Bare ones are read in place; aws and docker ones are copied to a temporary directory
// and given the inventory/ and ssh_config `tpaexec provision` would write. Each has a
// golden resolved inventory (test/golden/tpa-configs/<name>.json, checked by hand against
// TPA's semantics); the tests below name the points of TPA's semantics each one shows.
// TPA_BARMAN_WRITE_GOLDEN=1 rewrites the golden files (and fails, so it never passes).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInventoryCaptured } from '../../support/inventory.js';
import { documentProblem } from '../../support/schema.js';
import { PROVISIONED_CONFIGS, TPA_CONFIGS, tpaConfigsDir } from '../../support/tpa-configs.js';
import { copyCluster, provision } from '../../support/tpa-provision.js';
import { runDeploy } from '../../../src/commands/deploy.js';
import { PassThrough } from 'node:stream';
import { barmanPlay } from '../../../playbooks/barman/deploy.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import { loadCluster } from '../../../src/config/load.js';
import type { Placed } from '../../../src/engine/resource.js';
import { FileResource } from '../../../src/engine/resources/file.js';
import { buildFactsScript } from '../../../src/engine/scripts.js';

const GOLDEN = join(import.meta.dirname, '..', '..', 'golden', 'tpa-configs');
const temps: string[] = [];
let savedHome: string | undefined;

// ~/.ssh/id_rsa (efmdemo) must resolve the same everywhere: a home without keys.
beforeAll(() => {
  savedHome = process.env['HOME'];
  const home = mkdtempSync(join(tmpdir(), 'tpa-barman-home-'));
  temps.push(home);
  process.env['HOME'] = home;
});
afterAll(() => {
  if (savedHome === undefined) delete process.env['HOME'];
  else process.env['HOME'] = savedHome;
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Machine-independent paths: `<cluster>/...` relative to the cluster dir, `~/...` for home. */
function normalise(v: Json, clusterDir: string): Json {
  if (typeof v === 'string' && isAbsolute(v) && !v.startsWith('/etc/') && !v.startsWith('/var/') && !v.startsWith('/usr/') && !v.startsWith('/opt/')) {
    if (v.startsWith(`${homedir()}/`)) return `~/${relative(homedir(), v)}`;
    return `<cluster>/${relative(clusterDir, v)}`;
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, clusterDir));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, clusterDir)]));
  return v;
}

/** The cluster dir to read: in place, or a provisioned copy. */
function clusterDir(name: string): string {
  const src = join(tpaConfigsDir(), name);
  if (!PROVISIONED_CONFIGS.has(name)) return src;
  const dir = copyCluster(src);
  temps.push(dir);
  provision(dir);
  return dir;
}

interface Inventory {
  hosts: Array<{ name: string; roles: string[]; ansible_host: string; ansible_user: string; ansible_port: number; ip_address: string; platform: string; connection?: { transport?: string; container?: string }; postgres?: { user: string; port: number; bin_dir: string; flavour: string; creates_users: boolean; users_database: string; upstream_primary?: string }; vars: Record<string, Json> }>;
  barman_servers: Array<{ name: string; barman_home: string; volume_mountable: boolean; postgres_roles: string[]; client_packages: string[]; backups: Array<{ backup_name: string; target: string; from_replica: boolean; conninfo: string; ssh_command: string }> }>;
  config_keys: { honoured: string[]; provisioning_only: string[]; not_read: string[] };
}

const docs = new Map<string, Inventory>();

async function inventory(name: string): Promise<Inventory> {
  const cached = docs.get(name);
  if (cached) return cached;
  const dir = clusterDir(name);
  const { code, out, err } = await runInventoryCaptured(dir, true);
  expect(err, `${name}: stderr`).toBe('');
  expect(code, `${name}: exit code`).toBe(0);
  expect(documentProblem(out, code), `${name}: inventory.schema.json`).toBeUndefined();
  // The header every --json document carries is checked in test/unit/commands/cli.test.ts; the golden files hold the body.
  const { schema_version: _v, document: _d, command: _c, ok: _o, exit_code: _e, cluster: _n, ...body } = JSON.parse(out) as Record<string, Json>;
  const doc = normalise(body, dir) as unknown as Inventory;
  docs.set(name, doc);
  return doc;
}

const host = (doc: Inventory, name: string): Inventory['hosts'][number] => {
  const h = doc.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
};
const barman = (doc: Inventory, name: string): Inventory['barman_servers'][number] => {
  const b = doc.barman_servers.find((x) => x.name === name);
  if (!b) throw new Error(`no Barman server ${name}`);
  return b;
};
const backedUp = (doc: Inventory): Array<[string, string, string]> => doc.barman_servers.flatMap((b) => b.backups.map((s): [string, string, string] => [s.target, b.name, s.backup_name]));

describe('shared/tpa-configs: every config resolves (exit 0) and matches its golden inventory', () => {
  it.each(TPA_CONFIGS)('%s', async (name) => {
    const doc = await inventory(name);
    const file = join(GOLDEN, `${name}.json`);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (process.env['TPA_BARMAN_WRITE_GOLDEN'] === '1') {
      writeFileSync(file, text);
      throw new Error(`wrote ${file}: check it by hand, then run again without TPA_BARMAN_WRITE_GOLDEN`);
    }
    expect(existsSync(file), `${file} is missing`).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});

describe('aws and docker configs without inventory/', () => {
  it.each([...PROVISIONED_CONFIGS])('%s exits 5: not provisioned yet', async (name) => {
    const { code, out, err } = await runInventoryCaptured(join(tpaConfigsDir(), name), true);
    expect(code).toBe(5);
    expect(JSON.parse(out)).toMatchObject({ document: 'error', exit_code: 5, error: { kind: 'config' } });
    expect(err).toContain('not provisioned yet: run `tpaexec provision` first');
  });
});

describe('the points of TPA semantics the goldens show', () => {
  it('EPAS user and port: efmdemo runs as enterprisedb on 5444 from /usr/lib/edb-as/16/bin', async () => {
    const doc = await inventory('efmdemo-epas-bare-witness-barman');
    expect(host(doc, 'primary').postgres).toMatchObject({ flavour: 'epas', user: 'enterprisedb', port: 5444, bin_dir: '/usr/lib/edb-as/16/bin' });
    expect(barman(doc, 'backup').backups[0]).toMatchObject({ ssh_command: 'ssh -q enterprisedb@primary -p 22', conninfo: 'host=primary port=5444 dbname=postgres user=barman' });
    expect(barman(doc, 'backup').client_packages).toEqual(['edb-as16-server-client']);
    // ~ is the user's home, and ansible_user comes from instance_defaults.vars.
    expect(host(doc, 'primary').ansible_user).toBe('ton');
  });

  it('who is backed up to which Barman host', async () => {
    expect(backedUp(await inventory('efmdemo-epas-bare-witness-barman'))).toEqual([['primary', 'backup', 'primary']]);
    expect(backedUp(await inventory('tpa-docs-baremetal-tags-2018'))).toEqual([['lab-primary', 'lab-backup', 'lab-primary']]);
    expect(backedUp(await inventory('tpa-docs-configure-m1-aws-speedy'))).toEqual([['uproar', 'kinsman', 'uproar']]);
    expect(backedUp(await inventory('tpa-netfixture-m1-aws-1'))).toEqual([['kayak', 'uncover', 'kayak']]);
    expect(backedUp(await inventory('tpaconf-m1-bare-repmgr-pg16'))).toEqual([['pg-a1', 'barman-a', 'pg-a1']]);
    expect(backedUp(await inventory('tpaconf-m1-docker-patroni-pg17'))).toEqual([['uncover', 'useful', 'uncover']]);
    // PGD: the first data node of each location, to that location's Barman.
    expect(backedUp(await inventory('tpaconf-pgd-ao-bare-pge16'))).toEqual([
      ['pgdc1a', 'barmandc1', 'pgdc1a'],
      ['pgdc2a', 'barmandc2', 'pgdc2a'],
    ]);
  });

  it('backup_name defaults to the instance Name (normalised), on every config', async () => {
    for (const name of TPA_CONFIGS) {
      const doc = await inventory(name);
      for (const b of doc.barman_servers) for (const s of b.backups) expect(s.backup_name, name).toBe(s.target);
    }
  });

  it('barman_home is /var/lib/barman everywhere; a barman_data volume makes the home check use findmnt', async () => {
    for (const name of TPA_CONFIGS) for (const b of (await inventory(name)).barman_servers) expect(b.barman_home, name).toBe('/var/lib/barman');
    expect(barman(await inventory('tpa-docs-configure-m1-aws-speedy'), 'kinsman').volume_mountable).toBe(true);
    expect(barman(await inventory('tpa-netfixture-m1-aws-1'), 'uncover').volume_mountable).toBe(true);
    expect(barman(await inventory('tpaconf-m1-bare-repmgr-pg16'), 'barman-a').volume_mountable).toBe(false);
  });

  it('the M1 barman+witness host is a Barman server and a PostgreSQL witness (but an EFM witness runs no PostgreSQL)', async () => {
    for (const [name, b] of [
      ['tpaconf-m1-bare-repmgr-pg16', 'barman-a'],
      ['tpa-docs-configure-m1-aws-speedy', 'kinsman'],
      ['tpa-docs-baremetal-tags-2018', 'lab-backup'],
    ] as const) {
      const doc = await inventory(name);
      expect(barman(doc, b).postgres_roles, name).toEqual(['witness']);
      expect(host(doc, b).roles, name).toEqual(expect.arrayContaining(['barman', 'witness', 'postgres']));
      // A witness is no replica: TPA creates the barman users on it too.
      expect(host(doc, b).postgres?.creates_users, name).toBe(true);
    }
    const efm = await inventory('efmdemo-epas-bare-witness-barman');
    expect(host(efm, 'backup').roles).toEqual(['barman', 'log-server', 'efm-witness']);
    expect(barman(efm, 'backup').postgres_roles).toEqual([]);
    expect(host(efm, 'backup').postgres).toBeUndefined();
  });

  it('replicas are modelled as replicas of their upstream primary, and create no users', async () => {
    const net = await inventory('tpa-netfixture-m1-aws-1');
    expect(host(net, 'quieter').postgres).toMatchObject({ creates_users: false, upstream_primary: 'kayak' });
    // unpaid replicates from quieter (cascading): its primary is still kayak.
    expect(host(net, 'unpaid').postgres).toMatchObject({ creates_users: false, upstream_primary: 'kayak' });
  });

  it('the legacy tags: form: role, backup and upstream are lifted; public_ip is the address', async () => {
    const doc = await inventory('tpa-docs-baremetal-tags-2018');
    expect(host(doc, 'lab-primary')).toMatchObject({ roles: ['primary', 'postgres'], ansible_host: '192.168.56.101', ip_address: '192.168.56.101', ansible_user: 'admin' });
    expect(host(doc, 'lab-replica').postgres?.upstream_primary).toBe('lab-primary');
  });

  it('PGE: edbpge as postgres on 5432 from /usr/lib/edb-pge/16/bin; users only on the first BDR node, in bdr_database', async () => {
    const doc = await inventory('tpaconf-pgd-ao-bare-pge16');
    expect(host(doc, 'pgdc1a').postgres).toMatchObject({ flavour: 'edbpge', user: 'postgres', port: 5432, bin_dir: '/usr/lib/edb-pge/16/bin', creates_users: true, users_database: 'bdrdb' });
    expect(doc.hosts.filter((h) => h.postgres?.creates_users).map((h) => h.name)).toEqual(['pgdc1a']);
    expect(barman(doc, 'barmandc1').client_packages).toEqual(['edb-postgresextended-client-16', 'edb-postgresextended-libpq5-16']);
  });

  it('provisioned aws clusters take addresses from inventory/00-<cluster>; docker ones are reached with docker exec', async () => {
    const aws = await inventory('tpa-docs-configure-m1-aws-speedy');
    expect(host(aws, 'uproar')).toMatchObject({ platform: 'aws', ansible_host: '198.51.100.1', ansible_user: 'admin' });
    expect(aws.config_keys.provisioning_only).toEqual(expect.arrayContaining(['cluster_rules', 'ec2_ami', 'ec2_vpc', 'instance_defaults.type', 'locations[*].region', 'locations[*].subnet', 'locations[*].az']));
    const docker = await inventory('tpaconf-m1-docker-patroni-pg17');
    expect(host(docker, 'uncover')).toMatchObject({ platform: 'docker', ip_address: '10.33.128.50', connection: { transport: 'docker', container: 'uncover' } });
    expect(docker.config_keys.provisioning_only).toEqual(expect.arrayContaining(['docker_networks', 'instance_defaults.image']));
  });
});

async function listTasks(dir: string): Promise<string> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await runDeploy(dir, { mode: 'apply', listTasks: true }, out as unknown as typeof process.stdout, new PassThrough() as unknown as typeof process.stderr);
  expect(code).toBe(0);
  return chunks.join('');
}

describe('deploy --list-tasks on the M1 configs', () => {
  const M1 = ['tpaconf-m1-bare-repmgr-pg16', 'tpa-docs-configure-m1-aws-speedy', 'tpa-docs-baremetal-tags-2018', 'efmdemo-epas-bare-witness-barman', 'tpa-netfixture-m1-aws-1', 'tpaconf-m1-docker-patroni-pg17'];
  it.each(M1)('%s shows each step once per host', async (name) => {
    const text = await listTasks(clusterDir(name));
    const perHost = text.split(/\n(?=  host: )/).slice(1);
    expect(perHost.length).toBeGreaterThan(0);
    for (const block of perHost) {
      const host = /host: (\S+)/.exec(block)?.[1];
      const tasks = block.split('\n').filter((l) => /^ {6}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
      const dupes = tasks.filter((t, i) => tasks.indexOf(t) !== i);
      expect(dupes, `${name}: ${host}`).toEqual([]);
    }
  });

  it('the barman+witness host gets the witness\'s PostgreSQL tasks and one package and /etc/hosts step', async () => {
    const text = await listTasks(clusterDir('tpaconf-m1-bare-repmgr-pg16'));
    const block = text.split(/\n(?=  host: )/).find((b) => b.includes('host: barman-a')) ?? '';
    expect(block).toContain('pg_role:barman');
    expect(block).toContain('lines:/etc/postgresql/16/main/pg_hba.conf');
    expect(block.match(/package:/g)).toHaveLength(1);
    expect(block.match(/lines:\/etc\/hosts/g)).toHaveLength(1);
  });
});

describe('the play built from the real configs', () => {
  async function play(name: string): Promise<Placed[]> {
    const cluster = await loadCluster(clusterDir(name), { requireKeyFile: false });
    return barmanPlay(cluster, resolveBarman(cluster), {}, {}).build(new Map());
  }
  const file = (placed: Placed[], host: string, path: string): string => {
    const r = placed.find((p) => p.host === host && p.resource.id === `file:${path}`)?.resource;
    if (!(r instanceof FileResource) || typeof r.spec.content !== 'string') throw new Error(`no ${path} on ${host}`);
    return r.spec.content;
  };

  it('volume_for: barman_data makes barman-home-ok ask findmnt; without it, test -d', async () => {
    expect(file(await play('tpa-docs-configure-m1-aws-speedy'), 'kinsman', '/etc/tpa/barman-home-ok')).toContain("findmnt /var/lib/barman >/dev/null 2>&1 || exit 1");
    expect(file(await play('tpaconf-m1-bare-repmgr-pg16'), 'barman-a', '/etc/tpa/barman-home-ok')).toContain('test -d /var/lib/barman || exit 1');
  });

  it("installs the flavour's client packages on the Barman host and connects to EPAS as enterprisedb on 5444", async () => {
    const placed = await play('efmdemo-epas-bare-witness-barman');
    expect(placed.filter((p) => p.host === 'backup' && p.resource.kind === 'package').map((p) => p.resource.id)).toEqual(['package:barman,barman-cli,rsync,edb-as16-server-client,pigz']);
    expect(file(placed, 'backup', '/etc/barman.conf')).toContain('path_prefix = /usr/lib/edb-as/16/bin');
    const cluster = await loadCluster(clusterDir('efmdemo-epas-bare-witness-barman'), { requireKeyFile: false });
    const primary = barmanPlay(cluster, resolveBarman(cluster), {}, {}).hosts.find((h) => h.name === 'primary');
    // EDB's packages have no pg_wrapper: their own psql, through their socket directory.
    expect(primary?.pg).toEqual({ osUser: 'enterprisedb', port: 5444, psql: '/usr/lib/edb-as/16/bin/psql', socketDir: '/var/run/edb-as' });
    expect(buildFactsScript([{ index: 0, sql: 'select 1' }], primary?.pg, 'n')).toContain('runuser -u enterprisedb -- /usr/lib/edb-as/16/bin/psql -XAtq -p 5444 -h /var/run/edb-as -d postgres');
    // Community PostgreSQL keeps Debian's psql from PATH.
    const m1 = await loadCluster(clusterDir('tpaconf-m1-bare-repmgr-pg16'), { requireKeyFile: false });
    expect(barmanPlay(m1, resolveBarman(m1), {}, {}).hosts.find((h) => h.name === 'barman-a')?.pg).toEqual({ osUser: 'postgres', port: 5432 });
  });
});
