// Issue 7 acceptance: a cluster left by an older TPA — barman is SUPERUSER, there is no
// barman_role, and our cluster directory has no copy of the passwords — is migrated by a
// re-deploy to NOSUPERUSER + barman_role while `barman check` keeps passing every second,
// and the backups taken before the migration are still there and restore.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, defaultLabKind, labKindName, startLab, type Lab } from '../support/lab.js';
import { restoreAndQuery } from '../support/restore.js';

const psql = (sql: string): string => `runuser -u postgres -- psql -XAtq -c "${sql}"`;

describe(`migrating an old-TPA SUPERUSER barman (${labKindName(defaultLabKind())})`, () => {
  let lab: Lab;
  let oldBackup = '';
  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1 });
    const first = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
    if (first.code !== 0) throw new Error(`fixture deploy failed:\n${first.stderr}`);
    // Recreate what TPA < 23.35 left: a SUPERUSER barman, no barman_role at all.
    const old = await lab.exec(
      'pg1',
      psql(
        [
          'ALTER ROLE barman SUPERUSER',
          'REVOKE barman_role FROM barman',
          'REVOKE EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean), pg_switch_wal(), pg_create_restore_point(text) FROM barman_role',
          'REVOKE pg_read_all_settings, pg_read_all_stats, pg_checkpoint FROM barman_role',
          'DROP ROLE barman_role',
          // A privilege a DBA granted by hand: reported, never revoked.
          'GRANT pg_monitor TO barman',
          "CREATE TABLE old_era(note text)",
          "INSERT INTO old_era VALUES ('before-migration')",
        ].join('; '),
      ),
    );
    if (old.code !== 0) throw new Error(old.stderr);
    // Older TPA kept its passwords in an ansible vault we can't read.
    await rm(join(lab.dir, 'secrets'), { recursive: true, force: true });
    const b = await lab.exec('barman1', 'runuser -u barman -- barman backup --wait pg1 && runuser -u barman -- barman list-backups --minimal pg1 | head -1');
    if (b.code !== 0) throw new Error(b.stdout + b.stderr);
    oldBackup = b.stdout.trim().split('\n').pop() ?? '';
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('plan names the migration, with passwords masked', async () => {
    const r = await cli(['plan', lab.dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/role barman: SUPERUSER → NOSUPERUSER/);
    expect(r.stderr).toMatch(/create role barman_role/);
    expect(r.stderr).toMatch(/grant role barman_role to barman/);
    expect(r.stderr).toMatch(/adopted the existing barman password/);
    expect(r.stderr).toMatch(/NOTE \[pg1\] role barman is also a member of pg_monitor, granted outside tpa-barman/);
    const pgpass = (await lab.exec('barman1', 'cat /var/lib/barman/.pgpass')).stdout;
    // Comment lines name the owning cluster; the others hold passwords.
    for (const line of pgpass.trim().split('\n').filter((l) => !l.startsWith('#'))) {
      const pw = line.split(':').slice(4).join(':');
      expect(r.stderr).not.toContain(pw);
      expect(r.stdout).not.toContain(pw);
    }
  });

  it('deploy migrates in one step while barman check stays green every second', async () => {
    const loop = lab.exec(
      'barman1',
      'rm -f /tmp/stop /tmp/checks.log; for i in $(seq 1 300); do [ -e /tmp/stop ] && break; if runuser -u barman -- barman check pg1 > /tmp/one.log 2>&1; then echo ok >> /tmp/checks.log; else echo FAILED >> /tmp/checks.log; cat /tmp/one.log >> /tmp/failed.log; fi; sleep 1; done',
    );
    // Checks before, during and after the deploy: wait for the loop's results (bounded), not for a time.
    const checksLogged = async (): Promise<number> => Number((await lab.exec('barman1', 'cat /tmp/checks.log 2>/dev/null | wc -l')).stdout.trim() || '0');
    const waitForChecks = async (n: number): Promise<number> => {
      for (let i = 0; i < 240; i++) {
        const have = await checksLogged();
        if (have >= n) return have;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`barman check loop logged fewer than ${n} results in 60 s`);
    };
    const before = await waitForChecks(2);
    const r = await cli(['deploy', lab.dir, '--json'], { timeoutMs: 900_000 });
    const atEnd = await checksLogged();
    await waitForChecks(atEnd + 2);
    await lab.exec('barman1', 'touch /tmp/stop');
    await loop;
    expect(r.code, r.stderr).toBe(0);
    const checks = (await lab.exec('barman1', 'cat /tmp/checks.log; cat /tmp/failed.log 2>/dev/null')).stdout;
    expect(checks).not.toMatch(/FAILED/);
    expect(checks.split('\n').filter((l) => l === 'ok').length).toBeGreaterThanOrEqual(before + 2);

    const roles = await lab.exec('pg1', psql("select rolname, rolsuper, rolinherit from pg_roles where rolname in ('barman','barman_role') order by 1"));
    expect(roles.stdout.trim()).toBe('barman|f|t\nbarman_role|f|t');
    const fns = await lab.exec(
      'pg1',
      psql(
        "select p.oid::regprocedure from pg_proc p, aclexplode(p.proacl) a where a.grantee = 'barman_role'::regrole and a.privilege_type = 'EXECUTE' order by 1",
      ),
    );
    expect(fns.stdout.trim().split('\n').sort()).toEqual(['pg_backup_start(text,boolean)', 'pg_backup_stop(boolean)', 'pg_create_restore_point(text)', 'pg_switch_wal()'].sort());
    const groups = await lab.exec('pg1', psql("select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = 'barman_role'::regrole order by 1"));
    expect(groups.stdout.trim()).toBe('pg_checkpoint\npg_read_all_settings\npg_read_all_stats');
    const member = await lab.exec('pg1', psql("select pg_has_role('barman', 'barman_role', 'MEMBER'), pg_has_role('barman', 'pg_monitor', 'MEMBER')"));
    expect(member.stdout.trim()).toBe('t|t');
  });

  it('backups keep working: check OK, a new backup, old backups listed and restorable', async () => {
    const check = await lab.exec('barman1', 'runuser -u barman -- barman check pg1');
    expect(check.code, check.stdout).toBe(0);
    const b = await lab.exec('barman1', 'runuser -u barman -- barman backup --wait pg1');
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const list = (await lab.exec('barman1', 'runuser -u barman -- barman list-backups --minimal pg1')).stdout;
    expect(list).toContain(oldBackup);
    const got = await restoreAndQuery(lab, { barmanHost: 'barman1', server: 'pg1', pgHost: 'pg1', backupId: oldBackup, sql: 'select note from old_era' });
    expect(got).toBe('before-migration');
  });

  it('a re-deploy after the migration changes nothing', async () => {
    const r = await cli(['deploy', lab.dir, '--json'], { timeoutMs: 900_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { recap: Array<{ changed: number }> };
    expect(doc.recap.every((x) => x.changed === 0)).toBe(true);
  });
});
