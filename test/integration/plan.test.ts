// Issue 6 acceptance: in several start states, `plan` changes nothing anywhere (digest
// of managed paths and catalog state before/after; nothing new in the cluster dir) and
// predicts exactly the changes the following deploy reports; no secret is ever shown.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestScript } from '../support/digest.js';
import { cli, defaultLabKind, labKindName, startLab, type Lab } from '../support/lab.js';

// /var/lib/barman/pg1 holds backups and WAL, which change by themselves.
const digestOf = (lab: Lab): string =>
  digestScript(['/etc/barman.conf', '/etc/barman.d', '/etc/cron.d', '/etc/tpa', '/etc/hosts', '/var/lib/barman', '/var/lib/postgresql/.ssh', ...lab.pg.managedPaths], ['/var/lib/barman/pg1']);

interface Doc {
  exit_code: number;
  changes: Array<{ host: string; resource: string; status: string; known_after_apply: boolean }>;
}

describe(`plan on the lab (${labKindName(defaultLabKind())})`, () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ postgres: 1, barman: 1 });
  });
  afterAll(async () => {
    await lab?.down();
  });

  async function digest(): Promise<string> {
    const parts = await Promise.all(lab.hosts.map(async (h) => `${h.name}\n${(await lab.exec(h.name, digestOf(lab))).stdout}`));
    const dir = (await readdir(lab.dir, { recursive: true })).filter((f) => !f.endsWith('.log')).sort().join('\n');
    return `${parts.join('\n')}\n${dir}`;
  }

  async function planChecked(extra: string[] = []): Promise<{ doc: Doc; text: string }> {
    const before = await digest();
    const r = await cli(['plan', lab.dir, '--json', ...extra]);
    expect([0, 2], r.stderr).toContain(r.code);
    const after = await digest();
    expect(after).toBe(before);
    await assertNoSecrets(r.stdout + r.stderr);
    return { doc: JSON.parse(r.stdout) as Doc, text: r.stderr };
  }

  async function assertNoSecrets(output: string): Promise<void> {
    const secrets: string[] = [];
    for (const dir of ['secrets', 'keys']) {
      const files = await readdir(join(lab.dir, dir)).catch(() => [] as string[]);
      for (const f of files.filter((x) => !x.endsWith('.pub'))) secrets.push((await readFile(join(lab.dir, dir, f), 'utf8')).trim());
    }
    for (const s of secrets) {
      expect(output).not.toContain(s);
      for (const line of s.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(output).not.toContain(line);
    }
  }

  const set = (d: Doc): string[] =>
    d.changes
      .filter((c) => c.status === 'changed')
      .map((c) => `${c.host} ${c.resource}`)
      .sort();

  async function deployAndCompare(predicted: string[], extra: string[] = []): Promise<void> {
    const r = await cli(['deploy', lab.dir, '--json', ...extra], { timeoutMs: 900_000 });
    expect(r.code, r.stderr).toBe(0);
    await assertNoSecrets(r.stdout + r.stderr + (await readFile(join(lab.dir, 'tpa-barman.log'), 'utf8')));
    expect(set(JSON.parse(r.stdout) as Doc)).toEqual(predicted);
  }

  it('fresh hosts: plan changes nothing and predicts the package step exactly', async () => {
    const full = await planChecked();
    expect(full.doc.exit_code).toBe(2);
    // TPA's layout already listens on '*'; Debian's listens on localhost until we add the address.
    expect(full.text).toMatch(lab.kind.layout === 'tpa' ? /Plan: \d+ changes on 2 hosts\n/ : /Plan: \d+ changes on 2 hosts; 1 PostgreSQL restart/);
    expect(full.doc.changes.some((c) => c.known_after_apply)).toBe(true);
    const pkg = await planChecked(['--tags', 'pkg']);
    await deployAndCompare(set(pkg.doc), ['--tags', 'pkg']);
  });

  it('half-deployed (interrupted after the packages): plan predicts the rest exactly', async () => {
    const p = await planChecked();
    expect(p.doc.changes.some((c) => c.resource.startsWith('package:'))).toBe(false);
    await deployAndCompare(set(p.doc));
  });

  it('fully deployed: plan exits 0 and says nothing would change', async () => {
    const r = await cli(['plan', lab.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/No changes/);
  });

  it('drifted by hand: a changed value, a removed grant, a deleted cron file', async () => {
    // A value Barman's running processes don't act on, so cron can't change the state under the plan.
    await lab.exec('barman1', `sed -i 's/^description = .*/description = "edited by hand"/' /etc/barman.d/pg1.conf && rm /etc/cron.d/pg1`);
    await lab.exec('pg1', `runuser -u postgres -- psql -Xqc "revoke execute on function pg_create_restore_point(text) from barman_role"`);
    const p = await planChecked();
    expect(set(p.doc)).toEqual(['barman1 file:/etc/barman.d/pg1.conf', 'barman1 file:/etc/cron.d/pg1', 'pg1 pg_grant:barman_role:pg_catalog.pg_create_restore_point(text)']);
    expect(p.text).toContain('-description = "edited by hand"');
    expect(p.text).toContain('+description = "Backups from pg1"');
    await deployAndCompare(set(p.doc));
  });

  it('old-TPA superuser state: plan shows the migration and predicts the deploy', async () => {
    await lab.exec('pg1', `runuser -u postgres -- psql -Xqc "alter role barman superuser; revoke barman_role from barman"`);
    const p = await planChecked();
    expect(p.text).toMatch(/role barman: SUPERUSER → NOSUPERUSER/);
    expect(set(p.doc)).toEqual(['pg1 pg_membership:barman_role:barman', 'pg1 pg_role:barman']);
    await deployAndCompare(set(p.doc));
  });
});
