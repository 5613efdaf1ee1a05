// loadCluster(): parsing guards, TPA normalisation and host variable precedence.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import type { ClusterSpec, HostSpec } from '../../../src/config/types.js';

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-load-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cluster(yaml: string, files: Record<string, string> = {}): string {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.yml'), yaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function rejected(dir: string): Promise<ConfigError> {
  const err = await loadCluster(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

function host(spec: ClusterSpec, name: string): HostSpec {
  const h = spec.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

const MINIMAL = `cluster_name: speedy
instances:
- Name: pg1
  node: 1
  role: primary
  ip_address: 10.0.0.1
`;

describe('hostile YAML', () => {
  it('survives 100 000-deep flow nesting twice in one process', async () => {
    const deep = `cluster_name: x\ny: ${'['.repeat(100_000)}\ninstances: []\n`;
    for (let i = 0; i < 2; i++) {
      const err = await rejected(cluster(deep));
      expect(err.message).toContain('nesting deeper than 64 levels');
      expect(err.exitCode).toBe(5);
    }
  });

  it('survives deep compact sequences and block mappings repeatedly', async () => {
    const seq = `cluster_name: x\ny:\n${'- '.repeat(50_000)}z\ninstances: []\n`;
    let block = 'cluster_name: x\ny:\n';
    for (let i = 1; i <= 1000; i++) block += `${' '.repeat(i)}k:\n`;
    for (const text of [seq, block, seq, block]) {
      expect((await rejected(cluster(text))).message).toContain('nesting deeper than 64');
    }
  });

  it('accepts 60 levels of nesting under cluster_vars', async () => {
    let nested = '';
    for (let i = 0; i < 58; i++) nested += `${' '.repeat(2 + i)}k${i}:\n`;
    const spec = await loadCluster(cluster(`cluster_name: x\ncluster_vars:\n  deep:\n${nested.replace(/^ {2}/gm, '    ')}instances:\n- node: 1\n  ip_address: 10.0.0.1\n`));
    expect(spec.hosts).toHaveLength(1);
  });

  it('refuses a file over 1 MiB before parsing it', async () => {
    const err = await rejected(cluster(`cluster_name: x\ninstances: []\n# ${'x'.repeat(1024 * 1024)}\n`));
    expect(err.message).toMatch(/config\.yml:1:1: file is \d+ bytes, more than the 1048576-byte limit/);
  });

  it('stays linear on wide mappings (yaml\'s own duplicate-key check is quadratic)', async () => {
    let text = 'cluster_name: x\ncluster_vars:\n';
    for (let i = 0; i < 40_000; i++) text += `  k${i}: ${i}\n`;
    const start = Date.now();
    const err = await rejected(cluster(`${text}  k7: again\ninstances:\n- {node: 1, ip_address: 10.0.0.1}\n`));
    expect(err.message).toContain(`config.yml:40003:3: YAML DUPLICATE_KEY: duplicate key "k7"`);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('caps the report at 50 problems', async () => {
    let text = 'cluster_name: x\ninstances:\n';
    for (let i = 1; i <= 300; i++) text += `- {node: ${i}, ip_address: 10.0.1.${i % 250}, bogus: 1}\n`;
    const err = await rejected(cluster(text));
    expect(err.issues).toHaveLength(51);
    expect(err.issues[50]?.message).toBe('... and 250 more problem(s) not shown; fix these first');
  });

  it('honours a smaller size limit', async () => {
    const dir = cluster(MINIMAL);
    await expect(loadCluster(dir, { maxBytes: 10 })).rejects.toThrow(/more than the 10-byte limit/);
  });

  it('reads CRLF files and points at the right line', async () => {
    const err = await rejected(cluster('cluster_name: x\r\ninstances:\r\n- node: 1\r\n  ip_address: 10.0.0.300\r\n'));
    expect(err.message).toContain('config.yml:4:15: "10.0.0.300" is not an IPv4 or IPv6 address (instances[0].ip_address)');
    expect(err.issues[0]?.frame).toContain('> 4 |   ip_address: 10.0.0.300\n');
  });

  it('keeps __proto__ keys as data', async () => {
    const spec = await loadCluster(cluster(`${MINIMAL}  vars:\n    __proto__: {polluted: 1}\n`));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(host(spec, 'pg1').vars['__proto__']?.value).toEqual({ polluted: 1 });
  });

  it('does not merge YAML 1.1 booleans: yes stays a string', async () => {
    const spec = await loadCluster(cluster(`${MINIMAL}  vars:\n    flag: yes\n    mode: 0755\n`));
    expect(host(spec, 'pg1').vars['flag']?.value).toBe('yes');
    expect(host(spec, 'pg1').vars['mode']?.value).toBe(755);
  });

  it('allows anchors, aliases and merge keys within limits', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
common: &common
  role: [primary]
instances:
- <<: *common
  node: 1
  ip_address: 10.0.0.1
`));
    expect(spec.hosts[0]?.roles).toEqual(['primary', 'postgres']);
  });
});

describe('files', () => {
  it('names a missing cluster directory', async () => {
    await expect(loadCluster(join(root, 'nope'))).rejects.toThrow(`cluster directory not found: ${join(root, 'nope')}`);
  });

  it('names a missing config.yml', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    await expect(loadCluster(dir)).rejects.toThrow(`${join(dir, 'config.yml')}: file not found`);
  });

  it('resolves ssh_key_file against the cluster dir and sets tpa_known_hosts', async () => {
    const dir = cluster(`cluster_name: speedy\nssh_key_file: id_speedy\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`, { id_speedy: 'KEY' });
    const spec = await loadCluster(dir);
    expect(spec.sshKeyFile).toBe(join(dir, 'id_speedy'));
    expect(spec.knownHostsFile).toBe(join(dir, 'tpa_known_hosts'));
    expect(spec.configFile).toBe(join(dir, 'config.yml'));
  });

  it('names the missing key file with its resolved path', async () => {
    const dir = cluster(`cluster_name: speedy\nssh_key_file: keys/id_x\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`);
    const err = await rejected(dir);
    expect(err.message).toContain(`config.yml:2:15: ssh_key_file ${join(dir, 'keys/id_x')} does not exist`);
    expect(err.exitCode).toBe(5);
  });

  it('resolves a missing key without refusing when asked not to (inventory never connects)', async () => {
    const dir = cluster(`cluster_name: speedy\nssh_key_file: ../elsewhere/id_x\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`);
    const spec = await loadCluster(dir, { requireKeyFile: false });
    expect(spec.sshKeyFile).toBe(join(dir, '..', 'elsewhere', 'id_x'));
    expect(spec.sshKeyMissing).toBe(true);
  });

  it('expands ~/ in ssh_key_file to the home directory, and allows keys outside the cluster dir', async () => {
    const outside = join(root, 'keys-outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'id_out'), 'KEY');
    const rel = cluster(`cluster_name: speedy\nssh_key_file: ../keys-outside/id_out\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`);
    expect((await loadCluster(rel)).sshKeyFile).toBe(join(outside, 'id_out'));
    const tilde = cluster(`cluster_name: speedy\nssh_key_file: ~/.ssh/tpa-barman-test-no-such-key\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`);
    const spec = await loadCluster(tilde, { requireKeyFile: false });
    expect(spec.sshKeyFile).toBe(join(homedir(), '.ssh', 'tpa-barman-test-no-such-key'));
    const err = await rejected(tilde);
    expect(err.message).toContain(`ssh_key_file ${join(homedir(), '.ssh', 'tpa-barman-test-no-such-key')} does not exist`);
    const other = cluster(`cluster_name: speedy\nssh_key_file: ~nobody-here/id\ninstances:\n- node: 1\n  ip_address: 10.0.0.1\n`);
    expect((await rejected(other)).message).toContain("~nobody-here is another user's home directory");
  });
});

describe('normalisation as TPA does it', () => {
  it('lowercases Name, maps _ to -, and defaults it to <cluster>-<node>', async () => {
    const spec = await loadCluster(cluster(`cluster_name: Speedy_1
instances:
- Name: PG_One
  node: 1
  ip_address: 10.0.0.1
- node: 7
  ip_address: 10.0.0.2
`));
    expect(spec.hosts.map((h) => h.name)).toEqual(['pg-one', 'speedy-1-7']);
  });

  it('splits role strings and adds postgres for primary, replica, witness and bdr', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
instances:
- {Name: a1, node: 1, role: "primary, pem-agent", ip_address: 10.0.0.1}
- {Name: a2, node: 2, role: [replica], upstream: a1, ip_address: 10.0.0.2}
- {Name: a3, node: 3, role: witness, upstream: a1, ip_address: 10.0.0.3}
- {Name: a4, node: 4, role: [bdr], ip_address: 10.0.0.4}
- {Name: a5, node: 5, role: [barman, log-server], ip_address: 10.0.0.5}
`));
    expect(spec.hosts.map((h) => h.roles)).toEqual([
      ['primary', 'pem-agent', 'postgres'],
      ['replica', 'postgres'],
      ['witness', 'postgres'],
      // roles/init: a BDR instance that is not a replica is a primary.
      ['bdr', 'primary', 'postgres'],
      ['barman', 'log-server'],
    ]);
    expect(host(spec, 'a2').upstream).toBe('a1');
  });

  it('lifts tags.role/backup/upstream, and the tag wins over the key', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
instances:
- Name: a1
  node: 1
  backup: b1
  ip_address: 10.0.0.1
  tags: {role: primary, backup: [b2, b3], owner: me}
`));
    const h = host(spec, 'a1');
    expect(h.roles).toEqual(['primary', 'postgres']);
    expect(h.backup).toEqual(['b2', 'b3']);
    expect(h.vars['backup']?.key).toBe('instances[0].tags.backup');
  });

  it('merges instance_defaults then the location, instance winning, dicts one level deep', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
locations:
- Name: dc1
  platform: docker
  ansible_host: from-location
  vars: {a: loc, b: loc, c: loc}
- Name: dc2
instance_defaults:
  platform: bare
  location: dc1
  vars: {a: defaults, b: defaults}
instances:
- Name: h1
  node: 1
  ip_address: 10.0.0.1
  vars: {a: instance}
- Name: h2
  node: 2
  location: 1
  ip_address: 10.0.0.2
`));
    const h1 = host(spec, 'h1');
    expect(h1.platform).toBe('bare');
    expect(h1.location).toBe('dc1');
    expect(h1.connectAddress).toBe('from-location');
    expect(h1.vars['a']).toMatchObject({ value: 'instance', source: 'instance_vars', key: 'instances[0].vars.a' });
    expect(h1.vars['b']).toMatchObject({ value: 'defaults', source: 'instance_defaults', key: 'instance_defaults.vars.b' });
    expect(h1.vars['c']).toMatchObject({ value: 'loc', source: 'location', key: 'locations[0].vars.c' });
    // Location given by index, as TPA still allows.
    const h2 = host(spec, 'h2');
    expect(h2.location).toBe('dc2');
    expect(h2.vars['c']).toBeUndefined();
  });

  it('resolves host vars: cluster_vars < instance fields < instance vars, with positions', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
cluster_vars:
  postgres_port: 5433
  ip_address: 192.0.2.1
  ansible_user: admin
  cluster_ssh_port: 2200
instances:
- Name: h1
  node: 1
  ip_address: 10.0.0.1
  vars:
    postgres_port: 6000
- Name: h2
  node: 2
  private_ip: 10.0.0.2
  public_ip: 192.0.2.2
`));
    const h1 = host(spec, 'h1');
    expect(h1.vars['postgres_port']).toMatchObject({ value: 6000, source: 'instance_vars', pos: { line: 12, col: 5 } });
    expect(h1.vars['ip_address']).toMatchObject({ value: '10.0.0.1', source: 'instance' });
    expect(h1.vars['node']).toMatchObject({ value: 1, source: 'instance' });
    expect(h1.ssh).toEqual({ user: 'admin', port: 2200 });
    const h2 = host(spec, 'h2');
    expect(h2.vars['postgres_port']).toMatchObject({ value: 5433, source: 'cluster_vars', key: 'cluster_vars.postgres_port', pos: { line: 3, col: 3 } });
    // cluster_vars reach every host, so even ip_address comes through for h2 (TPA group_vars).
    expect(h2.ipAddress).toBe('192.0.2.1');
    expect(h2.connectAddress).toBe('192.0.2.2');
  });

  it('picks addresses in TPA order: connect ansible_host|public|ip|private, ip_address ip|private|public', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
instances:
- {Name: h1, node: 1, ip_address: 10.0.0.1, private_ip: 10.1.0.1, public_ip: 192.0.2.1}
- {Name: h2, node: 2, private_ip: 10.1.0.2, public_ip: 192.0.2.2}
- {Name: h3, node: 3, public_ip: 192.0.2.3, ansible_host: h3.example.com}
- {Name: h4, node: 4, private_ip: "fd00::4"}
`));
    expect(spec.hosts.map((h) => [h.connectAddress, h.ipAddress])).toEqual([
      ['192.0.2.1', '10.0.0.1'],
      ['192.0.2.2', '10.1.0.2'],
      ['h3.example.com', '192.0.2.3'],
      ['fd00::4', 'fd00::4'],
    ]);
    expect(spec.hosts[0]?.ssh).toEqual({ user: 'root', port: 22 });
  });

  it('lets bare instances use FQDN names', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x\ninstances:\n- {Name: db1.example.com, node: 1, ip_address: 10.0.0.1}\n`));
    expect(spec.hosts[0]?.name).toBe('db1.example.com');
  });

  it('records every variable definition with its scope and key', async () => {
    const spec = await loadCluster(cluster(`cluster_name: x
architecture: M1
cluster_vars: {a: 1}
instance_defaults: {vars: {b: 2}}
locations: [{Name: l, vars: {c: 3}}]
instances:
- {node: 1, ip_address: 10.0.0.1, vars: {d: 4}}
`));
    expect(spec.varDefinitions?.map((d) => [d.scope, d.key])).toEqual([
      ['top', 'architecture'],
      ['cluster_vars', 'cluster_vars.a'],
      ['instance_defaults', 'instance_defaults.vars.b'],
      ['location', 'locations[0].vars.c'],
      ['instance', 'instances[0].vars.d'],
    ]);
  });
});

describe('reporting', () => {
  it('reports every semantic problem at once, in file order, with frames', async () => {
    const err = await rejected(cluster(`cluster_name: x
cluster_vars:
  cluster_ssh_port: 0
instances:
- {Name: a, node: 1, ip_address: 10.0.0.1}
- {Name: b1, node: 1, upstream: nobody, ip_address: 10.0.0.2}
`));
    expect(err.issues.map((i) => [i.pos?.line, i.key])).toEqual([
      [3, 'cluster_vars.cluster_ssh_port'],
      [5, 'instances[0].Name'],
      [6, 'instances[1].node'],
      [6, 'instances[1].upstream'],
    ]);
    expect(err.issues[1]?.frame).toContain('> 5 | - {Name: a, node: 1, ip_address: 10.0.0.1}');
    expect(err.message).toContain('config.yml:5:10: invalid instance Name "a" (instances[0].Name)');
  });

  it('accepts unknown keys at the top level and in vars, but not on instances', async () => {
    await expect(loadCluster(cluster(`cluster_name: x\narchitecture: M1\ncluster_vars: {whatever: 1}\ninstances:\n- {node: 1, ip_address: 10.0.0.1, vars: {anything: 2}}\n`))).resolves.toBeDefined();
    const err = await rejected(cluster(`cluster_name: x\ninstances:\n- {node: 1, ip_address: 10.0.0.1, hostname: y}\n`));
    expect(err.message).toContain('Unrecognised key hostname (should it be under vars:?) (instances[0].hostname)');
  });
});
