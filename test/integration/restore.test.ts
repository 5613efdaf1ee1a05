// Issue 20 acceptance on the real lab: restore-test on every server (RTO and WAL gap
// reported, host digests unchanged), point-in-time recovery, `restore --to` refusals and
// a real restore, the scheduled restore test run by hand and read back by `status`, and a
// damaged backup failing for its server only. One lab: pg1 and pg2 backed up to barman1;
// pg2's restore tests run on pg1 (barman_restore_host).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestScript } from '../support/digest.js';
import { cli, defaultLabKind, labKindName, startLab, type Lab } from '../support/lab.js';
import { expectDocument } from '../support/schema.js';

function config(lab: Lab): string {
  const ip = (n: string): string => lab.host(n).ip;
  return `---
cluster_name: ${lab.name}
ssh_key_file: id_lab
cluster_vars:
  postgres_version: ${lab.pg.version}
  barman_minimum_redundancy: 1
instances:
- Name: pg1
  node: 1
  role: [primary]
  platform: bare
  ip_address: ${ip('pg1')}
  backup: barman1
  vars:
    barman_restore_test_interval: '30 2 * * *'
- Name: pg2
  node: 2
  role: [primary]
  platform: bare
  ip_address: ${ip('pg2')}
  backup: barman1
  vars:
    barman_restore_host: pg1
- Name: barman1
  node: 3
  role: [barman]
  platform: bare
  ip_address: ${ip('barman1')}
`;
}

interface ServerResult {
  server: string;
  barman_host: string;
  restore_host: string;
  ok: boolean;
  error: string | null;
  detail: string | null;
  backup: { id: string; end_time: string | null } | null;
  restore_seconds: number | null;
  wal_gap_bytes: number | null;
  primary_lsn: string | null;
  newest_wal: string | null;
  restored_size_bytes: number | null;
  catalog: Record<string, number> | null;
  sql_output: string | null;
  cleaned_up: boolean | null;
}

async function restoreTest(lab: Lab, args: string[] = []): Promise<{ code: number; stderr: string; servers: ServerResult[] }> {
  const r = await cli(['restore-test', lab.dir, '--json', ...args], { timeoutMs: 900_000 });
  const doc = expectDocument(r.stdout, r.code, ['restore-test'], `restore-test ${args.join(' ')}\n${r.stderr}`);
  return { code: r.code, stderr: r.stderr, servers: doc['servers'] as ServerResult[] };
}

// On every kind of lab host (vitest.config.ts): Debian 12 (PostgreSQL 15, Barman 3.4:
// barman recover) and Debian 13 (PostgreSQL 17, Barman 3.13: barman restore, backup
// metadata in meta/), each in Debian's layout and in TPA's.
describe(`restore-test and restore on a real lab (${labKindName(defaultLabKind())})`, () => {
  let lab: Lab;
  const psql = (host: string, sql: string): Promise<{ stdout: string; code: number; stderr: string }> =>
    lab.exec(host, `runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -c ${JSON.stringify(sql)}`);
  const digests = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const h of ['barman1', 'pg1', 'pg2']) {
      // What a restore test might leave behind on the restore host: scratch directories, postmasters.
      const extra = `ls -a /var/lib/postgresql; pgrep -a -x postgres | sed 's/^[0-9]* //' | grep -e ' -D ' | sort`;
      out[h] = (await lab.exec(h, `${digestScript()}\n${extra}`)).stdout;
    }
    return out;
  };

  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
    await lab.writeConfig(config(lab));
    const r = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('passes for every server, with restore time and WAL gap, and changes nothing on the hosts', async () => {
    const before = await digests();
    const r = await restoreTest(lab);
    expect(r.code, r.stderr).toBe(0);
    expect(r.servers.map((s) => `${s.server} ${s.restore_host} ${s.ok}`)).toEqual(['pg1 pg1 true', 'pg2 pg1 true']);
    for (const s of r.servers) {
      const latest = (await lab.exec('barman1', `runuser -u barman -- barman list-backups --minimal ${s.server} | head -n 1`)).stdout.trim();
      expect(s.backup?.id).toBe(latest);
      expect(s.restore_seconds).toBeGreaterThan(0);
      expect(s.wal_gap_bytes).toBeGreaterThanOrEqual(0);
      expect(s.primary_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(s.newest_wal).toMatch(/^[0-9A-F]{24}$/);
      expect(s.restored_size_bytes).toBeGreaterThan(0);
      expect(Object.keys(s.catalog ?? {})).toContain('postgres');
      expect(s.cleaned_up).toBe(true);
    }
    expect(r.stderr).toMatch(/^pg1\s+barman1\s+pg1\s+\d{8}T\d{6}\s+[\d.]+ s\s+\S+ \S+\s+\S+ \S+\s+PASSED$/m);
    expect(await digests()).toEqual(before);
  });

  it('recovers to a point in time: marker A is there, marker B is not', async () => {
    await psql('pg1', "create table markers(note text); insert into markers values ('A')");
    const t = (await psql('pg1', "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")).stdout.trim();
    await lab.exec('pg1', 'sleep 1');
    await psql('pg1', "insert into markers values ('B')");
    const sw = await lab.exec('barman1', 'runuser -u barman -- barman switch-wal --archive --archive-timeout 120 pg1');
    expect(sw.code, sw.stdout + sw.stderr).toBe(0);
    const sqlFile = join(lab.dir, 'markers.sql');
    await writeFile(sqlFile, "select 'markers: ' || string_agg(note, ',' order by note) from markers;\n");
    const r = await restoreTest(lab, ['--server', 'pg1', '--target-time', t, '--sql', sqlFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.servers).toHaveLength(1);
    expect(r.servers[0]?.sql_output).toMatch(/markers: A\n/);
  });

  it('restore --to refuses a directory of a running cluster before anything is copied; restores into a new one', async () => {
    const restores = async (): Promise<string> => (await lab.exec('barman1', "grep -c 'recovery_executor' /var/log/barman/barman.log || true")).stdout.trim();
    const restoresBefore = await restores();
    for (const dir of [lab.pg.dataDir, `${lab.pg.dataDir}/base`]) {
      const r = await cli(['restore', lab.dir, '--server', 'pg1', '--to', `pg1:${dir}`, '--json']);
      expect(r.code, r.stderr).toBe(3);
      const doc = expectDocument(r.stdout, 3, ['restore'], 'restore into a running cluster');
      expect(doc['restore']).toBeNull();
      expect(r.stderr).toContain(`belongs to a running cluster`);
      expect(r.stderr).toMatch(new RegExp(`\\(postmaster pid \\d+, data directory ${lab.pg.dataDir}\\); nothing was copied`));
    }
    // Barman never started a restore.
    expect(await restores()).toBe(restoresBefore);

    // --check: a restore is pending (2, as plan), nothing written.
    const check = await cli(['restore', lab.dir, '--server', 'pg2', '--to', 'pg2:/var/lib/postgresql/restored', '--check']);
    expect(check.code, check.stderr).toBe(2);
    expect(check.stderr).toMatch(/writes to\s+pg2:\/var\/lib\/postgresql\/restored \(missing: Barman creates it\)/);
    expect(check.stderr).toMatch(/space\s+about .* needed, .* free on pg2:/);
    expect((await lab.exec('pg2', 'test -e /var/lib/postgresql/restored')).code).not.toBe(0);

    const real = await cli(['restore', lab.dir, '--server', 'pg2', '--to', 'pg2:/var/lib/postgresql/restored'], { timeoutMs: 600_000 });
    expect(real.code, real.stderr).toBe(0);
    expect((await lab.exec('pg2', 'cat /var/lib/postgresql/restored/PG_VERSION')).stdout.trim()).toBe(String(lab.pg.version));
    const again = await cli(['restore', lab.dir, '--server', 'pg2', '--to', 'pg2:/var/lib/postgresql/restored']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/is not empty/);
    await lab.exec('pg2', 'rm -rf /var/lib/postgresql/restored');
  });

  it('the scheduled restore test (cron job run by hand) writes a result that status shows', async () => {
    const line = (await lab.exec('barman1', "grep -v '^#' /etc/cron.d/pg1 | grep restore-test")).stdout.trim();
    expect(line).toMatch(/^30 2 \* \* \* barman /);
    const fields = line.split(/\s+/);
    const run = await lab.exec('barman1', `runuser -u ${fields[5]} -- sh -c ${JSON.stringify(fields.slice(6).join(' '))}`, { timeoutMs: 600_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const st = await cli(['status', lab.dir, '--json']);
    expect(st.code, st.stderr).toBe(0);
    const doc = expectDocument(st.stdout, 0, ['status'], 'status') as unknown as { servers: Array<{ server: string; restore_test: { schedule: string; last: { ok: boolean; age_seconds: number } | null } | null }> };
    const pg1 = doc.servers.find((s) => s.server === 'pg1');
    expect(pg1?.restore_test?.schedule).toBe('30 2 * * *');
    expect(pg1?.restore_test?.last?.ok).toBe(true);
    expect(pg1?.restore_test?.last?.age_seconds).toBeLessThan(600);
    expect(doc.servers.find((s) => s.server === 'pg2')?.restore_test).toBeNull();
    expect(st.stderr).toMatch(/^pg1 .*passed \d+ s ago\s+OK$/m);

    // Unset, the next deploy takes the program and the cron line away (results are kept).
    await lab.writeConfig(config(lab).replace("  vars:\n    barman_restore_test_interval: '30 2 * * *'\n", ''));
    const d = await cli(['deploy', lab.dir], { timeoutMs: 600_000 });
    expect(d.code, d.stderr).toBe(0);
    const left = await lab.exec('barman1', 'grep -c restore-test /etc/cron.d/pg1; ls /etc/tpa/restore-test; ls /var/lib/barman/restore-tests');
    expect(left.stdout).toBe('0\npg1.json\n');
  });

  it('a damaged backup fails for its server, named with the error; the other server still passes', async () => {
    const latest = (await lab.exec('barman1', 'runuser -u barman -- barman list-backups --minimal pg1 | head -n 1')).stdout.trim();
    const rm = await lab.exec('barman1', `f=$(find /var/lib/barman/pg1/base/${latest} -path '*/global/pg_control' | head -n 1) && [ -n "$f" ] && rm "$f"`);
    expect(rm.code, rm.stderr).toBe(0);
    const r = await restoreTest(lab);
    expect(r.code).toBe(2);
    const pg1 = r.servers.find((s) => s.server === 'pg1');
    expect(pg1?.ok).toBe(false);
    expect(`${pg1?.error}\n${pg1?.detail}`).toMatch(/pg_control/);
    expect(pg1?.cleaned_up).toBe(true);
    expect(r.servers.find((s) => s.server === 'pg2')?.ok).toBe(true);
    expect(r.stderr).toMatch(/✗ pg1 on barman1 \(restore host pg1\): /);
    expect(r.stderr).toMatch(/^pg2\s+.*PASSED$/m);
  });
});
