// Issue 9 on one real lab (2 PostgreSQL + 1 Barman): --list-hosts/--list-tasks never
// connect; status (text and JSON) after a deploy; graph; --limit and --tags repair only
// what they select; status names a stopped WAL stream (exit 2) and an unreachable host (4).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startLab, type Lab } from '../support/lab.js';
import { controllerLogins } from '../support/logins.js';

interface Change {
  host: string;
  resource: string;
  status: string;
}

interface DeployDoc {
  exit_code: number;
  changes: Change[];
}

interface StatusServer {
  server: string;
  barman_host: string;
  pg_host: string;
  ok: boolean;
  backups: number | null;
  last_backup: { id: string; end_time: string; age_seconds: number; size_bytes: number } | null;
  receive_wal: string;
  streaming: string;
  slot: { name: string; exists: boolean | null; active: boolean | null; lag_bytes: number | null };
  retention_policy: string | null;
  schedule: string | null;
  next_backup: string | null;
  problems: string[];
}

const HBA = '/etc/postgresql/15/main/pg_hba.conf';

function changed(doc: DeployDoc): string[] {
  return doc.changes
    .filter((c) => c.status === 'changed')
    .map((c) => `${c.host} ${c.resource}`)
    .sort();
}

async function deploy(lab: Lab, args: string[]): Promise<{ code: number; doc: DeployDoc; stderr: string }> {
  const r = await cli(['deploy', lab.dir, '--json', ...args], { timeoutMs: 900_000 });
  let doc: DeployDoc = { exit_code: -1, changes: [] };
  try {
    doc = JSON.parse(r.stdout) as DeployDoc;
  } catch {
    /* the exit code assertion shows stderr */
  }
  return { code: r.code, doc, stderr: r.stderr };
}

async function plan(lab: Lab): Promise<{ code: number; changed: string[]; stderr: string }> {
  const r = await cli(['plan', lab.dir, '--json']);
  const doc = JSON.parse(r.stdout) as DeployDoc;
  return { code: r.code, changed: changed(doc), stderr: r.stderr };
}

/** Logins of the controller (root) on every lab host, from sshd's log. */
async function status(lab: Lab, extra: string[] = []): Promise<{ code: number; servers: StatusServer[]; stderr: string }> {
  const r = await cli(['status', lab.dir, '--json', ...extra]);
  const doc = JSON.parse(r.stdout) as { exit_code: number; servers: StatusServer[] };
  expect(doc.exit_code).toBe(r.code);
  return { code: r.code, servers: doc.servers, stderr: r.stderr };
}

describe('DBA experience on a lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('--list-hosts and --list-tasks print the play and exit 0 without connecting anywhere', async () => {
    const before = await controllerLogins(lab);
    const hosts = await cli(['deploy', lab.dir, '--list-hosts', '--limit', 'pg*']);
    expect(hosts.code, hosts.stderr).toBe(0);
    expect(hosts.stdout).toBe(`play: barman  (cluster ${lab.name})\n\n  hosts (2):\n    pg1\n    pg2\n`);

    const tasks = await cli(['plan', lab.dir, '--list-tasks', '--tags', 'pgpass,first-backup', '--json']);
    expect(tasks.code, tasks.stderr).toBe(0);
    const doc = JSON.parse(tasks.stdout) as { hosts: Array<{ host: string; tasks: Array<{ id: string; tags: string[]; phase: string }> }> };
    expect(doc.hosts.map((h) => [h.host, h.tasks.map((t) => `${t.phase} ${t.id}`)])).toEqual([
      ['barman1', ['configure lines:/var/lib/barman/.pgpass', 'bring-up first-backup:pg1', 'bring-up first-backup:pg2']],
      ['pg1', []],
      ['pg2', []],
    ]);

    const text = await cli(['deploy', lab.dir, '--list-tasks', '--limit', 'pg2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^  host: pg2\n    configure:\n/m);
    expect(text.stdout).toMatch(/^      lines:\/etc\/postgresql\/15\/main\/pg_hba\.conf +TAGS: \[barman, config\]$/m);
    expect(text.stdout).not.toContain('host: pg1');
    // Nothing was deployed and nobody logged in.
    expect(await controllerLogins(lab)).toBe(before);
    expect((await lab.exec('barman1', 'test -e /etc/barman.conf')).code).not.toBe(0);
  });

  it('first deploy', async () => {
    const r = await deploy(lab, []);
    expect(r.code, r.stderr).toBe(0);
  });

  it('status after a deploy: last backup, streaming, slot lag, retention, next backup; text and JSON agree', async () => {
    const s = await status(lab);
    expect(s.code, s.stderr).toBe(0);
    expect(s.servers.map((x) => `${x.server}@${x.barman_host}`)).toEqual(['pg1@barman1', 'pg2@barman1']);
    for (const x of s.servers) {
      expect(x).toMatchObject({ ok: true, backups: 3, receive_wal: 'running', streaming: 'streaming', retention_policy: 'RECOVERY WINDOW OF 4 WEEKS', schedule: '0 4 * * wed,sat', problems: [] });
      expect(x.slot).toMatchObject({ name: 'backup_barman1', exists: true, active: true });
      expect(x.slot.lag_bytes).toEqual(expect.any(Number));
      expect(x.last_backup?.size_bytes).toBeGreaterThan(1_000_000);
      expect(x.last_backup?.age_seconds).toBeLessThan(900);
      // Next run of "0 4 * * wed,sat": a Wednesday or Saturday at 04:00, in the future.
      const next = x.next_backup ?? '';
      expect(next).toMatch(/T04:00:00[+-]\d\d:\d\d$/);
      expect([3, 6]).toContain(new Date(`${next.slice(0, 10)}T00:00:00Z`).getUTCDay());
      expect(Date.parse(next)).toBeGreaterThan(Date.now());
    }
    const text = await cli(['status', lab.dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^SERVER +BARMAN +LAST BACKUP +N +WAL +SLOT LAG +RETENTION +NEXT BACKUP +STATUS$/m);
    expect(text.stderr).toMatch(/^pg1 +barman1 +\d+ (s|min) ago, [\d.]+ MiB +3 +streaming +[\d.]+ (B|KiB|MiB) +window 4 weeks +(Wed|Sat) 04:00 \(in \d+ (h|d|min)\) +OK$/m);
    expect(text.stderr).toContain('All 2 backup servers OK.');
  });

  it('graph: who is backed up where, from the inventory alone', async () => {
    const m = await cli(['graph', lab.dir]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('c0_n0 -->|"pg1"| b0');
    expect(m.stdout).toContain('c0_n1 -->|"pg2"| b0');
    const svg = await cli(['graph', lab.dir, '--format', 'svg']);
    expect(svg.stdout).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.stdout.match(/class="edge"/g)).toHaveLength(2);
  });

  it('--limit pg1 repairs pg1 only; pg2 stays drifted and the plan still shows it', async () => {
    for (const h of ['pg1', 'pg2']) {
      const r = await lab.exec(h, `sed -i '/tpa-barman.*barman=barman1/{/streaming_barman/d}' ${HBA} && pg_ctlcluster 15 main reload`);
      expect(r.code, r.stderr).toBe(0);
    }
    const before = await plan(lab);
    expect(before.code).toBe(2);
    expect(before.changed).toEqual(['pg1 handler:postgres-reload', `pg1 lines:${HBA}`, 'pg2 handler:postgres-reload', `pg2 lines:${HBA}`]);

    const r = await deploy(lab, ['--limit', 'pg1']);
    expect(r.code, r.stderr).toBe(0);
    expect(changed(r.doc)).toEqual(['pg1 handler:postgres-reload', `pg1 lines:${HBA}`]);
    expect(r.doc.changes.filter((c) => c.host !== 'pg1').every((c) => c.status === 'skipped')).toBe(true);
    expect((await lab.exec('pg1', `grep -c streaming_barman ${HBA}`)).stdout.trim()).toBe('1');
    expect((await lab.exec('pg2', `grep -c streaming_barman ${HBA}`)).stdout.trim()).toBe('0');

    const after = await plan(lab);
    expect(after.code).toBe(2);
    expect(after.changed).toEqual(['pg2 handler:postgres-reload', `pg2 lines:${HBA}`]);
  });

  it('--tags pgpass changes only the .pgpass; other drift stays for the next full deploy', async () => {
    await lab.exec('barman1', "sed -i '/^pg2:/d' /var/lib/barman/.pgpass && rm -f /etc/cron.d/pg2");
    const r = await deploy(lab, ['--tags', 'pgpass']);
    expect(r.code, r.stderr).toBe(0);
    expect(changed(r.doc)).toEqual(['barman1 lines:/var/lib/barman/.pgpass']);
    expect((await lab.exec('barman1', 'grep -c "^pg2:" /var/lib/barman/.pgpass')).stdout.trim()).toBe('2');
    expect((await lab.exec('barman1', 'test -e /etc/cron.d/pg2')).code).not.toBe(0);
    const p = await plan(lab);
    expect(p.changed).toEqual(['barman1 file:/etc/cron.d/pg2', 'pg2 handler:postgres-reload', `pg2 lines:${HBA}`]);
  });

  it('status names a stopped WAL stream and a missing schedule (exit 2); a full deploy repairs all of it', async () => {
    // Without barman-home-ok, cron does not restart receive-wal behind our back.
    const stop = await lab.exec('barman1', 'mv /etc/tpa/barman-home-ok /etc/tpa/barman-home-ok.off && cd / && runuser -u barman -- barman receive-wal --stop pg2');
    expect(stop.code, stop.stderr).toBe(0);
    let pg2: StatusServer | undefined;
    for (let i = 0; i < 20; i++) {
      const s = await status(lab);
      pg2 = s.servers.find((x) => x.server === 'pg2');
      if (pg2?.receive_wal === 'not running') {
        expect(s.code).toBe(2);
        break;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    expect(pg2).toMatchObject({ ok: false, receive_wal: 'not running', streaming: 'not streaming', schedule: null, next_backup: null });
    expect(pg2?.problems).toEqual(
      expect.arrayContaining(['no scheduled backup: /etc/cron.d/pg2 is missing', 'WAL streaming stopped: receive-wal is not running', 'replication slot backup_barman1 on pg2 is not in use']),
    );
    const text = await cli(['status', lab.dir]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^pg2 +barman1 .* not streaming .* PROBLEM$/m);
    expect(text.stderr).toContain('✗ pg2 on barman1: no scheduled backup: /etc/cron.d/pg2 is missing; WAL streaming stopped: receive-wal is not running');
    expect(text.stderr).toContain('1 of 2 backup servers with problems.');

    const fix = await deploy(lab, []);
    expect(fix.code, fix.stderr).toBe(0);
    expect(changed(fix.doc)).toEqual(['barman1 file:/etc/cron.d/pg2', 'barman1 file:/etc/tpa/barman-home-ok', 'barman1 streaming:pg2', 'pg2 handler:postgres-reload', `pg2 lines:${HBA}`]);
    const ok = await status(lab);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await plan(lab)).code).toBe(0);
  });

  it('status exits 4 when a host cannot be reached, and says which', async () => {
    // A copy of the cluster dir with barman1 at an address of the lab's own network
    // where nobody answers.
    const dir = await mkdtemp(join(tmpdir(), 'tpab-ux-'));
    try {
      await cp(lab.dir, dir, { recursive: true });
      const ip = lab.host('barman1').ip;
      const nobody = `${ip.split('.').slice(0, 3).join('.')}.254`;
      await writeFile(join(dir, 'config.yml'), (await readFile(join(lab.dir, 'config.yml'), 'utf8')).replace(`ip_address: ${ip}`, `ip_address: ${nobody}`));
      const r = await cli(['status', dir, '--json', '--connect-timeout', '5']);
      expect(r.code, r.stderr).toBe(4);
      const doc = JSON.parse(r.stdout) as { exit_code: number; servers: StatusServer[]; unreachable: Array<{ host: string }> };
      expect(doc.exit_code).toBe(4);
      expect(doc.unreachable.map((u) => u.host)).toEqual(['barman1']);
      expect(doc.servers.every((x) => x.problems.some((p) => p.startsWith('Barman host barman1 unreachable')))).toBe(true);
      // The PostgreSQL hosts were still read.
      expect(doc.servers.every((x) => x.slot.exists === true)).toBe(true);
      expect(r.stderr).toMatch(/^unreachable barman1: /m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
