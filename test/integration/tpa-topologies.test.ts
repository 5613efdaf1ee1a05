// Issue 16 on the real lab, one lab for all of it: TPA's default M1 shape (a primary, a
// streaming replica, and a host that is both the Barman server and the repmgr witness,
// a PostgreSQL instance), reached only through a bastion host named in the cluster's
// ssh_config (ProxyJump), and then the same hosts as TPA's docker platform (docker exec).
//
// What is counted: the per-host counters of `deploy --json` (connections and commands of
// the host's own session; through the bastion, that session is one ssh connection
// tunnelled in one forwarded channel), and, separately, the bastion's own ssh
// connections, from the bastion's sshd log.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployJson } from '../support/deploy.js';
import { cli, opensshArgs, run, startLab, type Lab } from '../support/lab.js';

const TARGETS = ['pg1', 'replica1', 'barman1'];

function config(lab: Lab, platform: 'bare' | 'docker'): string {
  const ip = (n: string): string => lab.host(n).ip;
  const docker = platform === 'docker' ? '  image: tpa/debian:12\n' : '';
  return `---
architecture: M1
cluster_name: ${lab.name}
ssh_key_file: id_lab
cluster_vars:
  failover_manager: repmgr
  postgres_flavour: postgresql
  postgres_version: '${lab.pg.version}'
locations:
- Name: main
instance_defaults:
  platform: ${platform}
${docker}  vars:
    ansible_user: root
instances:
- Name: pg1
  node: 1
  role: [primary]
  location: main
  ip_address: ${ip('pg1')}
  backup: barman1
- Name: replica1
  node: 2
  role: [replica]
  upstream: pg1
  location: main
  ip_address: ${ip('replica1')}
- Name: barman1
  node: 3
  role: [barman, log-server, witness]
  upstream: pg1
  location: main
  ip_address: ${ip('barman1')}
`;
}

/** sshd's "Accepted publickey for USER from IP" lines of a container since `since`. */
async function accepted(lab: Lab, host: string, since: string): Promise<Array<{ user: string; from: string }>> {
  const r = await run('docker', ['logs', '--since', since, lab.host(host).container]);
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .map((l) => /Accepted publickey for (\S+) from (\S+) port/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ user: m[1] as string, from: m[2] as string }));
}

describe('M1 (primary, replica, barman+witness) through a bastion, then as docker containers', () => {
  let lab: Lab;
  let gateway: string;
  let bastion: string;
  const temps: string[] = [];

  beforeAll(async () => {
    // barman2 is no part of the cluster: it is the bastion.
    lab = await startLab({ postgres: 1, replicas: 1, barman: 2, barmanPostgres: true });
    await lab.writeConfig(config(lab, 'bare'));
    bastion = lab.host('barman2').ip;
    gateway = lab.subnet.replace(/\.0\/24$/, '.1');
    writeFileSync(
      join(lab.dir, 'ssh_config'),
      `Host bastion\n    HostName ${bastion}\n    User root\n    IdentityFile id_lab\n    UserKnownHostsFile tpa_known_hosts\n\nHost ${TARGETS.join(' ')}\n    ProxyJump bastion\n`,
    );
    // The targets refuse the controller (the bridge's gateway): only the bastion gets in.
    for (const h of TARGETS) {
      const r = await lab.exec(h, `printf 'DenyUsers *@${gateway}\\n' > /etc/ssh/sshd_config.d/01-only-bastion.conf && pkill -HUP -o -x sshd`);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await lab?.down();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('the targets really refuse direct connections from the controller', async () => {
    // The same login works on the bastion, which refuses nobody.
    expect((await run('ssh', [...opensshArgs(lab, 'barman2'), 'true'], { timeoutMs: 20_000 })).code).toBe(0);
    for (const h of TARGETS) {
      // sshd re-reads its config on SIGHUP; poll (bounded) until the deny is in force.
      let code = 0;
      for (let i = 0; i < 20 && code === 0; i++) {
        code = (await run('ssh', [...opensshArgs(lab, h), 'true'], { timeoutMs: 20_000 })).code;
        if (code === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(code, h).not.toBe(0);
    }
  });

  let deployedAt = '';
  it('deploys through the bastion: barman check passes, the witness has the barman roles, the replica still streams', async () => {
    deployedAt = new Date().toISOString();
    const r = await deployJson(lab.dir);
    expect(r.code, r.stderr).toBe(0);
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check pg1');
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).not.toMatch(/FAILED/);
    // TPA creates the users on every non-replica, the witness included.
    expect(await lab.psql('barman1', "select string_agg(rolname, ',' order by rolname) from pg_roles where rolname in ('barman','barman_role','streaming_barman')")).toBe('barman,barman_role,streaming_barman');
    expect(await lab.psql('pg1', "select count(*) from pg_stat_replication where state = 'streaming' and application_name <> 'barman_receive_wal'")).toBe('1');
    expect(await lab.psql('replica1', 'select pg_is_in_recovery()')).toBe('t');
  });

  it("every connection the targets' sshd accepted for root came from the bastion", async () => {
    for (const h of TARGETS) {
      const root = (await accepted(lab, h, deployedAt)).filter((a) => a.user === 'root');
      expect(root.length, h).toBeGreaterThan(0);
      expect(new Set(root.map((a) => a.from)), h).toEqual(new Set([bastion]));
    }
  });

  it('a second deploy changes nothing: 1 connection and 1 command per host, and 1 bastion connection in all', async () => {
    const since = new Date().toISOString();
    const r = await deployJson(lab.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.recap.map((x) => `${x.host} changed=${x.changed}`).sort()).toEqual(TARGETS.map((h) => `${h} changed=0`).sort());
    expect(r.doc.hosts.map((h) => `${h.host} ${h.connections} ${h.execs}`).sort()).toEqual(TARGETS.map((h) => `${h} 1 1`).sort());
    // The bastion's own connections: the hosts share one.
    expect((await accepted(lab, 'barman2', since)).filter((a) => a.from === gateway)).toHaveLength(1);
    for (const h of TARGETS) expect((await accepted(lab, h, since)).filter((a) => a.user === 'root').map((a) => a.from), h).toEqual([bastion]);
  });

  it("through the bastion both host keys are verified: an unknown bastion key and a changed target key are refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-bastion-keys-'));
    temps.push(dir);
    cpSync(lab.dir, dir, { recursive: true });
    const known = readFileSync(join(lab.dir, 'tpa_known_hosts'), 'utf8');
    // The bastion's key is looked up in a file of its own, here without it.
    writeFileSync(join(dir, 'ssh_config'), readFileSync(join(lab.dir, 'ssh_config'), 'utf8').replace('UserKnownHostsFile tpa_known_hosts', 'UserKnownHostsFile bastion_known_hosts'));
    writeFileSync(join(dir, 'bastion_known_hosts'), known.split('\n').filter((l) => !l.startsWith(`${bastion} `)).join('\n'));
    const unknown = await cli(['ping', dir]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(`through bastion bastion: unknown host key for ${bastion}:22`);
    // pg1's entry holds another host's key: refused before authentication, behind the bastion too.
    writeFileSync(join(dir, 'bastion_known_hosts'), known);
    const other = known.split('\n').find((l) => l.startsWith(`${lab.host('replica1').ip} `))?.split(' ').slice(1).join(' ');
    writeFileSync(join(dir, 'tpa_known_hosts'), known.replace(new RegExp(`^${lab.host('pg1').ip.replace(/\./g, '\\.')} .*$`, 'm'), `${lab.host('pg1').ip} ${other}`));
    const changed = await cli(['ping', dir]);
    expect(changed.code).toBe(4);
    expect(changed.stderr).toMatch(/pg1.*HOST KEY CHANGED/);
  });

  it('the same hosts as TPA\'s docker platform (docker exec, no ssh at all) are already deployed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-docker-platform-'));
    temps.push(dir);
    // Same cluster (its keys, secrets and state), provisioned the way TPA's docker platform is.
    cpSync(lab.dir, dir, { recursive: true });
    rmSync(join(dir, 'ssh_config'));
    writeFileSync(join(dir, 'config.yml'), config(lab, 'docker'));
    const lines = [`[tag_Cluster_${lab.name}]`, ...TARGETS.map((h, i) => `${h} ansible_connection=docker ansible_host=${lab.host(h).container} node=${i + 1} platform=docker`)];
    mkdirSync(join(dir, 'inventory'), { recursive: true });
    writeFileSync(join(dir, 'inventory', `00-${lab.name}`), `${lines.join('\n')}\n`);
    const since = new Date().toISOString();
    const r = await deployJson(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.recap.map((x) => `${x.host} changed=${x.changed}`).sort()).toEqual(TARGETS.map((h) => `${h} changed=0`).sort());
    expect(r.doc.hosts.map((h) => `${h.host} ${h.connections} ${h.execs}`).sort()).toEqual(TARGETS.map((h) => `${h} 1 1`).sort());
    for (const h of TARGETS) expect(await accepted(lab, h, since), h).toEqual([]);
    const test = await cli(['test', dir]);
    expect(test.code, test.stderr).toBe(0);
  });
});
