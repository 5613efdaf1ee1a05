// Instance keys by platform, checked after merging as TPA does; inferred platforms;
// volumes; TPA's implied roles.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load.js';
import { impliedRoles } from '../../../src/config/roles.js';
import type { ClusterSpec } from '../../../src/config/types.js';
import { ConfigError } from '../../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'tpa-barman-platforms-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dir(yaml: string): string {
  const d = join(root, `c${n++}`);
  mkdirSync(d);
  writeFileSync(join(d, 'config.yml'), yaml);
  return d;
}

async function load(yaml: string): Promise<ClusterSpec> {
  return loadCluster(dir(yaml));
}

async function rejected(yaml: string): Promise<ConfigError> {
  const err = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('instance keys per platform (TPA checks them after merging)', () => {
  it('accepts AWS provisioning keys in instance_defaults and locations for aws instances', async () => {
    const err = await rejected(`cluster_name: c
locations:
- {Name: main, az: eu-west-1a, region: eu-west-1, subnet: 10.33.0.0/28}
instance_defaults:
  platform: aws
  type: t3.micro
  image: ami-123
  assign_public_ip: yes
  default_volumes: [{device_name: root, volume_type: gp2, volume_size: 16}]
instances:
- {Name: one, node: 1, location: main, role: primary}
`);
    // Everything validates; what is left is that the cluster was never provisioned.
    expect(err.issues.map((i) => i.message)).toEqual([expect.stringContaining('not provisioned yet: run `tpaexec provision` first')]);
  });

  it('refuses an AWS key on a bare instance, where it was written, once, naming the platform it belongs to', async () => {
    const err = await rejected(`cluster_name: c
instance_defaults:
  type: t3.micro
  platform: bare
instances:
- {Name: one, node: 1, ip_address: 10.0.0.1}
- {Name: two, node: 2, ip_address: 10.0.0.2}
`);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ key: 'instance_defaults.type', pos: { line: 3, col: 3 } });
    expect(err.issues[0]?.message).toBe('Unrecognised key type for platform bare (should it be under vars:?)');
    expect(err.issues[0]?.hint).toBe('type is a setting of platform aws; instance one is on bare');
  });

  it('refuses ip_address on aws and public_ip on docker, as TPA does', async () => {
    const err = await rejected(`cluster_name: c
instances:
- {Name: one, node: 1, platform: aws, type: t3.micro, ip_address: 10.0.0.1}
- {Name: two, node: 2, platform: docker, image: tpa/debian:12, public_ip: 10.0.0.2}
`);
    expect(err.issues.map((i) => [i.key, i.message])).toEqual([
      ['instances[0].ip_address', 'Unrecognised key ip_address for platform aws (should it be under vars:?)'],
      ['instances[1].public_ip', 'Unrecognised key public_ip for platform docker (should it be under vars:?)'],
    ]);
  });

  it('merges every location key into the instance (so a location region on bare is refused)', async () => {
    const err = await rejected(`cluster_name: c
locations:
- {Name: dc1, region: eu-west-1}
instances:
- {Name: one, node: 1, platform: bare, location: dc1, ip_address: 10.0.0.1}
`);
    expect(err.issues[0]).toMatchObject({ key: 'locations[0].region', message: 'Unrecognised key region for platform bare (should it be under vars:?)' });
  });

  it('still refuses keys no platform knows, with a suggestion, in instances, instance_defaults and locations', async () => {
    const err = await rejected(`cluster_name: c
locations:
- {Name: dc1, regoin: x}
instance_defaults:
  platfrom: bare
instances:
- {Name: one, node: 1, ip_adress: 10.0.0.1}
`);
    expect(err.issues.map((i) => [i.key, i.message.split(' (')[0], i.hint])).toEqual([
      ['locations[0].regoin', 'Unrecognised key regoin', 'did you mean region?'],
      ['instance_defaults.platfrom', 'Unrecognised key platfrom', 'did you mean platform?'],
      ['instances[0].ip_adress', 'Unrecognised key ip_adress', 'did you mean ip_address?'],
    ]);
  });

  it('type-checks provisioning-only keys', async () => {
    const err = await rejected(`cluster_name: c
instance_defaults: {platform: docker, image: tpa/debian:12, privileged: maybe, restart_policy: sometimes, memory: [1]}
instances:
- {Name: one, node: 1, ip_address: 10.0.0.1}
`);
    expect(err.issues.map((i) => i.key)).toEqual(['instance_defaults.privileged', 'instance_defaults.restart_policy', 'instance_defaults.memory']);
  });

  it('refuses an unknown platform, suggesting a known one', async () => {
    const err = await rejected(`cluster_name: c\ninstances:\n- {Name: one, node: 1, platform: dokker, ip_address: 10.0.0.1}\n`);
    expect(err.issues[0]?.message).toBe('unknown platform "dokker"');
    expect(err.issues[0]?.hint).toBe("did you mean docker? TPA's platforms are bare, aws, docker");
  });

  it('catches top-level typos of the keys it reads, and accepts every other top-level key', async () => {
    const err = await rejected(`cluster_name: c\ncluster_var: {a: 1}\ninstances:\n- {Name: one, node: 1, ip_address: 10.0.0.1}\n`);
    expect(err.issues[0]).toMatchObject({ key: 'cluster_var', message: 'Unrecognised top-level key cluster_var', hint: 'did you mean cluster_vars?' });
    const spec = await load(`cluster_name: c\narchitecture: M1\ncluster_tags: {Owner: me}\nmy_own_setting: 1\ninstances:\n- {Name: one, node: 1, ip_address: 10.0.0.1}\n`);
    expect(spec.configKeys).toEqual({
      honoured: ['cluster_name', 'instances', 'instances[*].Name', 'instances[*].node', 'instances[*].ip_address'],
      provisioningOnly: ['cluster_tags'],
      notRead: ['architecture', 'my_own_setting'],
    });
  });
});

describe('platform when config.yml sets none', () => {
  it('is bare for an instance TPA could not provision on aws (no type, region or subnet), and says so', async () => {
    const spec = await load(`cluster_name: c\ninstances:\n- {Name: one, node: 1, private_ip: 10.0.0.1}\n`);
    expect(spec.hosts[0]?.platform).toBe('bare');
    expect(spec.hosts[0]?.platformInferred).toContain("read as bare, because TPA's default (aws) needs type, region and subnet");
  });

  it("is TPA's default, aws, for an instance with aws settings", async () => {
    const err = await rejected(`cluster_name: c\ninstance_defaults: {type: t3.micro}\ninstances:\n- {Name: one, node: 1}\n`);
    expect(err.message).toContain('cluster c is not provisioned yet: run `tpaexec provision` first (aws instances one get their addresses from inventory/00-c');
  });
});

describe('volumes', () => {
  it('merges default_volumes by device name and records the device variables TPA exports', async () => {
    const spec = await load(`cluster_name: c
instance_defaults:
  platform: bare
  default_volumes:
  - {device_name: root, volume_size: 16}
  - {device_name: /dev/xvdf, vars: {volume_for: postgres_data}}
instances:
- {Name: one, node: 1, ip_address: 10.0.0.1}
- Name: two
  node: 2
  ip_address: 10.0.0.2
  volumes:
  - {device_name: xvdf, vars: {volume_for: barman_data}}
- {Name: three, node: 3, ip_address: 10.0.0.3, volumes: []}
`);
    const vol = (h: number): unknown => spec.hosts[h]?.vars['volumes']?.value;
    expect(vol(0)).toEqual([{ device: 'root' }, { device: '/dev/xvdf', volume_for: 'postgres_data' }]);
    // The instance's xvdf replaces the default /dev/xvdf (same device once /dev/ is cut).
    expect(vol(1)).toEqual([{ device: 'root' }, { device: 'xvdf', volume_for: 'barman_data' }]);
    expect(vol(2)).toBeUndefined();
  });

  it('refuses an unknown volume_for and a tablespace volume without a name', async () => {
    const err = await rejected(`cluster_name: c
instances:
- Name: one
  node: 1
  ip_address: 10.0.0.1
  volumes:
  - {device_name: /dev/xvdf, vars: {volume_for: barman}}
  - {device_name: /dev/xvdg, vars: {volume_for: postgres_tablespace}}
  - {volume_size: 3}
`);
    expect(err.issues.map((i) => [i.key, i.message])).toEqual([
      ['instances[0].volumes[0].vars.volume_for', 'volume /dev/xvdf has unrecognised volume_for="barman"'],
      ['instances[0].volumes[1].vars', 'volume /dev/xvdg is postgres_tablespace; it must define tablespace_name'],
      ['instances[0].volumes[2]', 'a volume needs a device_name (e.g. /dev/xvdf or root)'],
    ]);
  });
});

describe('roles as roles/init derives them', () => {
  it('turns an EFM witness into an efm-witness, which runs no PostgreSQL', () => {
    expect(impliedRoles(['barman', 'witness'], { failoverManager: 'efm', clusterHasPemServer: false })).toEqual(['barman', 'efm-witness']);
    expect(impliedRoles(['barman', 'witness'], { failoverManager: 'repmgr', clusterHasPemServer: false })).toEqual(['barman', 'witness', 'postgres']);
  });

  it('makes BDR and PEM servers primaries unless they are replicas, and adds pem-agent with a PEM server', () => {
    expect(impliedRoles(['bdr'], { clusterHasPemServer: false })).toEqual(['bdr', 'primary', 'postgres']);
    expect(impliedRoles(['bdr', 'replica'], { clusterHasPemServer: false })).toEqual(['bdr', 'replica', 'postgres']);
    expect(impliedRoles(['pem-server'], { clusterHasPemServer: true })).toEqual(['pem-server', 'primary', 'postgres']);
    expect(impliedRoles(['replica'], { clusterHasPemServer: true })).toEqual(['replica', 'postgres', 'pem-agent']);
    expect(impliedRoles(['bdr'], { pauseInStandby: true, clusterHasPemServer: false })).toEqual(['bdr', 'primary', 'readonly', 'postgres']);
  });

  it('requires an upstream on a (non-BDR) witness, as TPA does', async () => {
    const err = await rejected(`cluster_name: c\ninstances:\n- {Name: one, node: 1, role: [witness], ip_address: 10.0.0.1}\n`);
    expect(err.issues[0]?.message).toBe('witness one has no upstream');
  });

  it('lifts role, backup and upstream from the legacy tags: form', async () => {
    const spec = await load(`cluster_name: c
instances:
- {node: 1, Name: pp, public_ip: 10.0.0.1, tags: {role: [primary], backup: bb}}
- {node: 2, Name: bb, public_ip: 10.0.0.2, tags: {role: [barman, witness], upstream: pp}}
`);
    expect(spec.hosts.map((h) => [h.name, h.roles, h.backup, h.upstream])).toEqual([
      ["pp", ["primary", "postgres"], ["bb"], undefined],
      ["bb", ["barman", "witness", "postgres"], [], "pp"],
    ]);
  });

  it('maps a top-level cluster_ssh_user to ansible_user below instance_defaults, as compat_defaults does', async () => {
    const spec = await load(`cluster_name: c
cluster_ssh_user: legacy
instance_defaults: {platform: bare}
instances:
- {Name: one, node: 1, ip_address: 10.0.0.1}
- {Name: two, node: 2, ip_address: 10.0.0.2, vars: {ansible_user: own}}
`);
    expect(spec.hosts.map((h) => h.ssh.user)).toEqual(['legacy', 'own']);
  });
});
