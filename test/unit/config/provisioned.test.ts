// A provisioned cluster directory: inventory/00-<cluster>, host_vars and ssh_config as
// `tpaexec provision` writes them (and as users edit them), over config.yml.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load.js';
import type { ClusterSpec, HostSpec } from '../../../src/config/types.js';
import { ConfigError } from '../../../src/errors.js';
import { provision } from '../../support/tpa-provision.js';

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-provisioned-unit-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cluster(yaml: string, files: Record<string, string> = {}): string {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.yml'), yaml);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
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

const AWS = `cluster_name: speedy
locations:
- {Name: main, region: us-east-1, subnet: 10.33.0.0/28, az: us-east-1a}
instance_defaults:
  platform: aws
  type: t3.micro
  vars: {ansible_user: admin}
instances:
- {Name: one, node: 1, location: main, role: primary, backup: two}
- {Name: two, node: 2, location: main, role: [barman], volumes: [{device_name: /dev/sdf, vars: {volume_for: barman_data}}]}
`;

describe('provisioned inventory', () => {
  it('gives aws instances the address tpaexec provision wrote, and reads host_vars', async () => {
    const dir = cluster(AWS);
    provision(dir, { noSshConfig: true });
    writeFileSync(join(dir, 'inventory', 'host_vars', 'one', '02-mine.yml'), 'barman_retention_policy: REDUNDANCY 2\n');
    const spec = await loadCluster(dir);
    expect(spec.inventoryFile).toBe(join(dir, 'inventory', '00-speedy'));
    expect(host(spec, 'one')).toMatchObject({ connectAddress: '198.51.100.1', ipAddress: '198.51.100.1', ssh: { user: 'admin', port: 22 } });
    expect(host(spec, 'one').vars['barman_retention_policy']).toMatchObject({ value: 'REDUNDANCY 2', source: 'inventory', pos: { file: join(dir, 'inventory', 'host_vars', 'one', '02-mine.yml'), line: 1, col: 1 } });
    expect(host(spec, 'one').notes?.[0]).toContain('TPA reads the private address from EC2');
  });

  it('says an aws cluster without inventory/ is not provisioned yet (exit 5)', async () => {
    const err = await rejected(cluster(AWS));
    expect(err.exitCode).toBe(5);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.message).toBe('cluster speedy is not provisioned yet: run `tpaexec provision` first (aws instances one, two get their addresses from inventory/00-speedy, which does not exist)');
  });

  it('names an instance added to config.yml after the last provision', async () => {
    const dir = cluster(AWS);
    provision(dir, { noSshConfig: true });
    writeFileSync(join(dir, 'config.yml'), `${AWS}- {Name: three, node: 3, location: main, role: [replica], upstream: one}\n`);
    const err = await rejected(dir);
    expect(err.issues.map((i) => i.message)).toEqual(['instance three (platform aws) is not in inventory/00-speedy: not provisioned yet: run `tpaexec provision` first']);
    expect(err.issues[0]).toMatchObject({ key: 'instances[2]', pos: { line: 11 } });
  });

  it('refuses a config.yml that changed since the last provision, naming both files', async () => {
    const dir = cluster(AWS);
    provision(dir, { noSshConfig: true });
    writeFileSync(join(dir, 'config.yml'), AWS.replace('role: primary, backup: two}', 'role: primary, backup: two, vars: {ansible_user: other}}').replace('role: [barman],', 'role: [barman, witness], upstream: one,'));
    writeFileSync(join(dir, 'inventory', '00-speedy'), '[tag_Cluster_speedy]\none ansible_host=198.51.100.1 node=1 platform=aws\ntwo ansible_host=198.51.100.2 node=5 platform=aws\nghost ansible_host=198.51.100.9 node=9 platform=aws\n');
    const err = await rejected(dir);
    const msgs = err.issues.map((i) => [i.message, i.pos?.file.replace(dir, '<dir>'), i.pos?.line]);
    expect(msgs).toEqual([
      [expect.stringContaining('ansible_user of one is "admin" in the provisioned inventory but "other" in config.yml (instances[0].vars.ansible_user, '), '<dir>/inventory/host_vars/one/01-instance_vars.yml', expect.any(Number)],
      ['inventory/00-speedy gives two node=5, config.yml node 2', '<dir>/inventory/00-speedy', 3],
      ['the provisioned inventory gives two role ["barman"], but config.yml gives ["barman","witness"]', '<dir>/inventory/host_vars/two/01-instance_vars.yml', expect.any(Number)],
      ['inventory/00-speedy lists host ghost, which config.yml does not deploy', '<dir>/inventory/00-speedy', 4],
    ]);
    expect(err.issues[0]?.hint).toContain('run `tpaexec provision` again');
    expect(err.issues[1]?.frame).toContain('> 3 | two ansible_host=198.51.100.2 node=5 platform=aws');
  });

  it('reads a bare cluster\'s inventory too, and refuses an address that disagrees with config.yml', async () => {
    const yaml = `cluster_name: b\ninstance_defaults: {platform: bare}\ninstances:\n- {Name: one, node: 1, role: primary, ip_address: 10.0.0.1}\n`;
    const dir = cluster(yaml, { 'inventory/00-b': '[tag_Cluster_b]\none ansible_host=10.0.0.1 node=1 platform=bare\n' });
    expect(host(await loadCluster(dir), 'one').connectAddress).toBe('10.0.0.1');
    writeFileSync(join(dir, 'inventory', '00-b'), '[tag_Cluster_b]\none ansible_host=10.0.0.7 node=1 platform=bare\n');
    expect((await rejected(dir)).issues[0]?.message).toBe('inventory/00-b connects to one at 10.0.0.7, but config.yml gives 10.0.0.1');
  });

  it('reaches docker instances with docker exec in the container of their Name (or ansible_host)', async () => {
    const yaml = `cluster_name: d
instance_defaults: {platform: docker, image: tpa/debian:12}
instances:
- {Name: one, node: 1, role: primary, backup: two, ip_address: 10.0.0.1}
- {Name: two, node: 2, role: barman, ip_address: 10.0.0.2}
`;
    const dir = cluster(yaml);
    provision(dir, { noSshConfig: true });
    let spec = await loadCluster(dir);
    expect(host(spec, 'one').ssh).toMatchObject({ transport: 'docker', container: 'one' });
    expect(host(spec, 'one').ipAddress).toBe('10.0.0.1');
    writeFileSync(join(dir, 'inventory', '00-d'), '[tag_Cluster_d]\none ansible_connection=docker ansible_host=lab-one node=1 platform=docker\ntwo ansible_connection=docker node=2 platform=docker\n');
    spec = await loadCluster(dir);
    expect(host(spec, 'one').ssh.container).toBe('lab-one');
    writeFileSync(join(dir, 'inventory', '00-d'), '[tag_Cluster_d]\none ansible_connection=local node=1 platform=docker\ntwo ansible_connection=docker node=2 platform=docker\n');
    expect((await rejected(dir)).issues[0]?.message).toContain('ansible_connection=local for one is not supported');
  });

  it('leaves provision_only instances out, as TPA does, and refuses references to them', async () => {
    const yaml = `cluster_name: p
instance_defaults: {platform: bare}
instances:
- {Name: one, node: 1, role: primary, ip_address: 10.0.0.1, backup: two}
- {Name: two, node: 2, role: barman, ip_address: 10.0.0.2}
- {Name: img, node: 3, role: primary, ip_address: 10.0.0.3, provision_only: true}
`;
    const spec = await loadCluster(cluster(yaml));
    expect(spec.hosts.map((h) => h.name)).toEqual(['one', 'two']);
    expect(spec.skippedInstances).toEqual([{ name: 'img', reason: 'provision_only: true (TPA leaves it out of the inventory)' }]);
    const err = await rejected(cluster(yaml.replace('ip_address: 10.0.0.2}', 'ip_address: 10.0.0.2, provision_only: true}')));
    expect(err.issues[0]).toMatchObject({ key: 'instances[0].backup', message: 'backup "two" is provision_only: true, so it is not deployed' });
  });

  it('accepts Ansible Vault values in host_vars without reading them, and names bad YAML there', async () => {
    const yaml = `cluster_name: b\ninstance_defaults: {platform: bare}\ninstances:\n- {Name: one, node: 1, role: primary, ip_address: 10.0.0.1}\n`;
    const vault = 'secret_thing: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162636465\n';
    const dir = cluster(yaml, { 'inventory/00-b': '[tag_Cluster_b]\none ansible_host=10.0.0.1 node=1 platform=bare\n', 'inventory/host_vars/one/05-vault.yml': vault });
    expect(host(await loadCluster(dir), 'one').vars['secret_thing']?.source).toBe('inventory');
    writeFileSync(join(dir, 'inventory', 'host_vars', 'one', '05-vault.yml'), 'a: [1\n');
    const err = await rejected(dir);
    expect(err.issues[0]?.pos?.file).toBe(join(dir, 'inventory', 'host_vars', 'one', '05-vault.yml'));
  });
});

const BARE = `cluster_name: b
instance_defaults: {platform: bare, vars: {ansible_user: root}}
cluster_vars: {cluster_ssh_port: 2222}
instances:
- {Name: one, node: 1, role: primary, backup: two, ip_address: 10.0.0.1}
- {Name: two, node: 2, role: barman, ip_address: 10.0.0.2}
`;

describe('ssh_config', () => {
  it('is read as `ssh -F ssh_config <Name>` would: first value wins, Host * first, IdentityFile accumulates', async () => {
    const dir = cluster(BARE, {
      ssh_config: `# TPA's, plus a hand edit
Host *
    Port 22
    IdentitiesOnly yes
    IdentityFile "id_b"
    UserKnownHostsFile known_hosts tpa_known_hosts
    ServerAliveInterval 60

Host one
    User admin
    HostName 192.0.2.1
    Port 2200
    IdentityFile ~/.ssh/other
Host t*o !three
    HostName=192.0.2.2
`,
    });
    const spec = await loadCluster(dir);
    expect(host(spec, 'one').connectAddress).toBe('192.0.2.1');
    expect(host(spec, 'one').ssh).toMatchObject({
      user: 'admin',
      port: 22,
      identityFiles: [join(dir, 'id_b'), join(userInfo().homedir, '.ssh', 'other')],
      knownHostsFiles: [join(dir, 'known_hosts'), join(dir, 'tpa_known_hosts')],
      from: { address: 'ssh_config:11', user: 'ssh_config:10', port: 'ssh_config:3', identity: 'ssh_config:5', known_hosts: 'ssh_config:6' },
    });
    expect(host(spec, 'two').connectAddress).toBe('192.0.2.2');
    expect(host(spec, 'two').ssh.user).toBe('root');
    // The inventory and Barman's ssh_command keep cluster_ssh_port: ssh_config is only how we connect.
    expect(host(spec, 'two').vars['cluster_ssh_port']?.value).toBe(2222);
    expect(spec.sshConfigIgnored).toEqual(['IdentitiesOnly', 'ServerAliveInterval']);
  });

  it('resolves ProxyJump through the bastion\'s own Host block', async () => {
    const dir = cluster(BARE, {
      ssh_config: `Host bastion
    HostName 192.0.2.100
    User jump
    Port 2022
    IdentityFile id_bastion
    UserKnownHostsFile bastion_known_hosts
Host one two
    ProxyJump bastion
Host two
    ProxyJump ops@192.0.2.200:23,bastion
`,
    });
    const spec = await loadCluster(dir);
    expect(host(spec, 'one').ssh.jumps).toEqual([
      { spec: 'bastion', address: '192.0.2.100', port: 2022, user: 'jump', identityFiles: [join(dir, 'id_bastion')], knownHostsFiles: [join(dir, 'bastion_known_hosts')] },
    ]);
    // `Host one two` came first, so two's own ProxyJump line is not the one used.
    expect(host(spec, 'two').ssh.jumps?.map((j) => j.address)).toEqual(['192.0.2.100']);
  });

  it('chains ProxyJump hops in order and defaults the hop user to the local user', async () => {
    const dir = cluster(BARE, { ssh_config: `Host one\n    ProxyJump ops@192.0.2.200:23,192.0.2.201\n` });
    expect(host(await loadCluster(dir), 'one').ssh.jumps?.map((j) => `${j.user}@${j.address}:${j.port}`)).toEqual(['ops@192.0.2.200:23', `${userInfo().username}@192.0.2.201:22`]);
  });

  it('refuses a ProxyJump loop, Match, Include and ProxyCommand, naming the line', async () => {
    const loop = await rejected(cluster(BARE, { ssh_config: `Host *\n    ProxyJump bastion\nHost bastion\n    HostName 192.0.2.100\n` }));
    expect(loop.issues[0]).toMatchObject({ message: 'ssh_config: ProxyJump loops through bastion', pos: { line: 2 } });
    expect(loop.issues[0]?.hint).toContain('Host * !bastion');
    const refused = await rejected(cluster(BARE, { ssh_config: `Match host one\n    User x\nInclude other\nHost two\n    ProxyCommand ssh -W %h:%p gw\n` }));
    expect(refused.issues.map((i) => [i.pos?.line, i.message])).toEqual([
      [1, 'ssh_config: Match blocks are not supported; use Host blocks'],
      [3, 'ssh_config: Include is not supported; put the options in this file'],
      [5, 'ssh_config: ProxyCommand is not supported; use ProxyJump'],
    ]);
    expect(refused.issues[0]?.frame).toContain('> 1 | Match host one');
  });

  it('refuses bad values with their position', async () => {
    const err = await rejected(cluster(BARE, { ssh_config: `Host one\n    Port 70000\n    HostName "bad host"\n    ProxyJump @@\n` }));
    expect(err.issues.map((i) => [i.pos?.line, i.message])).toEqual([
      [2, 'ssh_config: Port must be 1 to 65535, not "70000"'],
      [3, 'ssh_config: HostName "bad host" is not a host name or IP address'],
      [4, 'ssh_config: ProxyJump "@@" is not [user@]host[:port]'],
    ]);
  });
});
