// Issue 4 acceptance on the real lab: every resource type goes absent → applied →
// unchanged → drifted by hand → repaired; a no-op run of a 30-resource play costs one
// connection and one exec per host; a cut connection never leaves a half-written file;
// a password never shows up anywhere.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Play, ResourceResult } from '../../src/engine/play.js';
import type { Placed, Resource } from '../../src/engine/resource.js';
import { FileResource } from '../../src/engine/resources/file.js';
import { parseFileState } from '../../src/engine/resources/file-state.js';
import { thirtyResources } from '../../bench/thirty-resources.js';
import { runPlay, type RunResult } from '../../src/engine/runner.js';
import { SshConnector, type ConnectOptions, type SshTarget } from '../../src/transport/connection.js';
import { openSession } from '../../src/transport/connector.js';
import { startLab, type Lab } from '../support/lab.js';

const PASSWORD = 'Sup3r-s3cret:pw\\with*chars';

function resourcesFor(ip: string, big: string): Resource[] {
  return thirtyResources(ip, big, PASSWORD);
}

function target(lab: Lab, name: string): SshTarget {
  return { name, address: lab.host(name).ip, port: 22, user: 'root', privateKeyFile: join(lab.dir, 'id_lab') };
}

function connectOptions(lab: Lab): ConnectOptions {
  return { knownHostsFiles: [join(lab.dir, 'tpa_known_hosts')], acceptNewHostKeys: false, connectTimeoutMs: 20_000 };
}

function playFor(lab: Lab, big: string): Play {
  const hosts = lab.hosts.filter((h) => h.kind === 'postgres');
  return {
    name: 'engine-test',
    phases: ['one'],
    hosts: hosts.map((h) => ({ name: h.name, pg: { osUser: 'postgres', port: 5432 } })),
    build: () => hosts.flatMap((h) => resourcesFor(h.ip, big).map((resource): Placed => ({ host: h.name, phase: 0, resource }))),
  };
}

async function run(lab: Lab, mode: 'apply' | 'plan', big: string): Promise<RunResult> {
  return runPlay(playFor(lab, big), {
    mode,
    forks: 8,
    connector: (name) => new SshConnector(target(lab, name), connectOptions(lab)),
    selection: {},
    keepGoing: false,
    holder: 'engine-test',
    lockWaitSeconds: 30,
  });
}

const changedIds = (r: RunResult, host: string): string[] =>
  r.results
    .filter((x: ResourceResult) => x.host === host && x.status === 'changed')
    .map((x) => x.id)
    .sort();

describe('engine on a real lab', () => {
  let lab: Lab;
  const big = 'x'.repeat(3_000_000) + '\n';
  beforeAll(async () => {
    lab = await startLab({ postgres: 8, barman: 0 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('applies every resource type, then a re-run changes nothing with 1 connection and 1 exec per host', async () => {
    const first = await run(lab, 'apply', big);
    expect(first.errors).toEqual([]);
    expect(first.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(first.exitCode).toBe(0);
    const pg1 = lab.hosts[0]?.name ?? '';
    expect(changedIds(first, pg1).length).toBeGreaterThanOrEqual(30);

    const second = await run(lab, 'apply', big);
    expect(second.exitCode).toBe(0);
    expect(second.results.filter((r) => r.status !== 'ok')).toEqual([]);
    for (const h of second.hosts) {
      expect(h.counters?.connections).toBe(1);
      expect(h.execs).toBeLessThanOrEqual(2);
      expect(h.counters?.channels).toBeLessThanOrEqual(2);
    }

    const st = await lab.exec(pg1, "stat -c '%U %G %a' /srv/tpabtest /srv/tpabtest/f0.conf; cat /srv/tpabtest/lines; getent passwd tpabtest | cut -d: -f6,7; grep -v '^#' /etc/postgresql/15/main/pg_hba.conf | grep -v '^$' | head -1");
    expect(st.stdout).toContain('tpabtest tpabtest 750\ntpabtest tpabtest 640\nalpha=1\nbeta=2\n/srv/tpabtest:/bin/sh\nhost postgres tpabtest 10.213.255.1/32 scram-sha-256');
    const roles = await lab.exec(pg1, `runuser -u postgres -- psql -XAtc "select rolsuper, rolinherit, rolcanlogin, pg_has_role('tpabtest','pg_read_all_stats','USAGE'), has_function_privilege('tpabtest','pg_switch_wal()','EXECUTE') from pg_roles where rolname='tpabtest'"`);
    expect(roles.stdout.trim()).toBe('f|t|t|t|t');
  });

  it('repairs exactly what was drifted by hand', async () => {
    const pg1 = lab.hosts[0]?.name ?? '';
    const verifierBefore = (await lab.exec(pg1, `runuser -u postgres -- psql -XAtc "select rolpassword from pg_authid where rolname='tpabtest'"`)).stdout;
    await lab.exec(
      pg1,
      [
        'echo "value = hacked" > /srv/tpabtest/f3.conf',
        'chmod 0666 /srv/tpabtest/f4.conf',
        "sed -i '/^beta=/d' /srv/tpabtest/lines && echo 'local=keep' >> /srv/tpabtest/lines",
        `runuser -u postgres -- psql -Xqc "alter role tpabtest superuser; revoke execute on function pg_switch_wal() from tpabtest_group"`,
      ].join('\n'),
    );
    const r = await run(lab, 'apply', big);
    expect(r.exitCode).toBe(0);
    expect(changedIds(r, pg1)).toEqual(
      ['file:/srv/tpabtest/f3.conf', 'file:/srv/tpabtest/f4.conf', 'lines:/srv/tpabtest/lines', 'pg_grant:tpabtest_group:pg_catalog.pg_switch_wal()', 'pg_role:tpabtest'].sort(),
    );
    for (const h of lab.hosts.slice(1)) expect(changedIds(r, h.name)).toEqual([]);
    const st = await lab.exec(pg1, "cat /srv/tpabtest/f3.conf; stat -c %a /srv/tpabtest/f4.conf; cat /srv/tpabtest/lines");
    expect(st.stdout).toBe('value = 3\n640\nalpha=1\nlocal=keep\nbeta=2\n');
    // The password was not rotated: the verifier is byte-identical.
    const verifierAfter = (await lab.exec(pg1, `runuser -u postgres -- psql -XAtc "select rolpassword from pg_authid where rolname='tpabtest'"`)).stdout;
    expect(verifierAfter).toBe(verifierBefore);
  });

  it('a connection cut during a file write leaves the old file intact; the next run converges', async () => {
    const h = lab.hosts[1];
    if (!h) throw new Error('no host');
    const before = (await lab.exec(h.name, 'sha256sum /srv/tpabtest/big.bin')).stdout;
    const other = 'y'.repeat(3_000_000) + '\n';
    const conn = await openSession(new SshConnector(target(lab, h.name), connectOptions(lab)), { readOnly: false });
    const res = new FileResource({ path: '/srv/tpabtest/big.bin', content: other, owner: 'root', group: 'root', mode: '0644', tags: [] });
    const change = res.plan(parseFileState('/srv/tpabtest/big.bin', Buffer.from('ABSENT\n')));
    const { REMOTE_RUNTIME } = await import('../../src/engine/remote-runtime.js');
    const script = `${REMOTE_RUNTIME}\n${change?.sh ?? ''}\n`;
    const pending = conn.runScript(script, { readOnly: false, label: 'cut test' }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 40));
    conn.close();
    await pending;
    await new Promise((r) => setTimeout(r, 500));
    const after = (await lab.exec(h.name, 'sha256sum /srv/tpabtest/big.bin; ls -A /srv/tpabtest | grep -c tpab-tmp || true')).stdout;
    expect(after.split('\n')[0]).toBe(before.trim());
    const r = await run(lab, 'apply', big);
    expect(r.exitCode).toBe(0);
  });

  it('plan mode refuses any write at the transport and changes nothing', async () => {
    const pg1 = lab.hosts[0]?.name ?? '';
    await lab.exec(pg1, 'echo drift > /srv/tpabtest/f7.conf');
    const r = await run(lab, 'plan', big);
    expect(r.exitCode).toBe(2);
    expect(changedIds(r, pg1)).toEqual(['file:/srv/tpabtest/f7.conf']);
    expect((await lab.exec(pg1, 'cat /srv/tpabtest/f7.conf')).stdout).toBe('drift\n');
    const conn = await openSession(new SshConnector(target(lab, pg1), connectOptions(lab)), { readOnly: true });
    await expect(conn.runScript('touch /tmp/x\n', { readOnly: false, label: 'write' })).rejects.toThrow(/not read-only/);
    conn.close();
  });

  it('never exposes the password: not in argv, not in the PostgreSQL log with log_statement=all', async () => {
    const pg1 = lab.hosts[2]?.name ?? '';
    await lab.exec(pg1, `runuser -u postgres -- psql -Xqc "alter system set log_statement = 'all'" && runuser -u postgres -- psql -Xqc "select pg_reload_conf()" && runuser -u postgres -- psql -Xqc "alter role tpabtest password 'other'"`);
    // Capture the process list while the run applies.
    const watcher = lab.exec(pg1, 'for i in $(seq 1 60); do ps -eo args >> /tmp/ps.log; sleep 0.05; done');
    const r = await run(lab, 'apply', big);
    await watcher;
    expect(r.exitCode).toBe(0);
    const logs = await lab.exec(pg1, 'cat /var/log/postgresql/*.log /tmp/ps.log');
    expect(logs.stdout.length).toBeGreaterThan(0);
    expect(logs.stdout).not.toContain(PASSWORD);
    expect(logs.stdout).not.toContain('SCRAM-SHA-256$');
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });
});
