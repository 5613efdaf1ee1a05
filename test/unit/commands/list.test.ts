// --list-hosts / --list-tasks: the play as built locally, never a connection.
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPlay, placeholderDiscovery, runList } from '../../../src/commands/list.js';
import { runDeploy } from '../../../src/commands/deploy.js';
import { loadCluster } from '../../../src/config/load.js';
import { barmanPlay } from '../../../playbooks/barman/deploy.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/config/good');

async function play(fixture: string): Promise<ReturnType<typeof barmanPlay>> {
  const cluster = await loadCluster(join(FIXTURES, fixture));
  return barmanPlay(cluster, resolveBarman(cluster), {}, {});
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('listing a play', () => {
  it('the placeholder discovery is one unknown host key and nothing else', async () => {
    const p = await play('single-primary');
    expect(placeholderDiscovery(p).size).toBe(p.hosts.length);
    for (const d of placeholderDiscovery(p).values()) {
      expect(d.hostKeys).toHaveLength(1);
      expect(d.postgresHome).toBeUndefined();
      expect(d.pgSsl).toBeUndefined();
    }
  });

  it('--limit selects hosts by name or glob', async () => {
    const p = await play('three-primaries');
    const all = listPlay(p, {}, placeholderDiscovery(p)).map((h) => h.host);
    expect(all).toEqual(['backup1', 'alpha', 'beta', 'gamma']);
    expect(listPlay(p, { limit: ['b*'] }, placeholderDiscovery(p)).map((h) => h.host)).toEqual(['backup1', 'beta']);
    expect(listPlay(p, { limit: ['*', '!alpha'] }, placeholderDiscovery(p)).map((h) => h.host)).toEqual(['backup1', 'beta', 'gamma']);
  });

  it('tasks carry their phase and tags; --tags/--skip-tags filter them; handlers only follow selected tasks', async () => {
    const p = await play('single-primary');
    const hosts = listPlay(p, {}, placeholderDiscovery(p));
    const pg1 = hosts.find((h) => h.host === 'pg1');
    expect(pg1?.tasks.find((t) => t.id === 'lines:/etc/postgresql/15/main/pg_hba.conf')).toMatchObject({ phase: 'configure', kind: 'lines', tags: ['barman', 'config'], handler: false });
    expect(pg1?.tasks.filter((t) => t.handler).map((t) => t.id)).toEqual(['handler:postgres-reload', 'handler:postgres-restart']);
    const barman1 = hosts.find((h) => h.host === 'barman1');
    expect(barman1?.tasks.find((t) => t.id === 'first-backup:pg1')).toMatchObject({ phase: 'bring-up', tags: ['barman', 'first-backup'] });
    // Known-hosts lines come from discovered host keys: listed, and flagged as such.
    expect(barman1?.tasks.find((t) => t.id.endsWith('/.ssh/known_hosts'))?.knownAtRunTime).toBe(true);
    expect(barman1?.tasks.find((t) => t.id === 'file:/etc/barman.conf')?.knownAtRunTime).toBe(false);

    const pgpass = listPlay(p, { tags: ['pgpass'] }, placeholderDiscovery(p));
    expect(pgpass.map((h) => [h.host, h.tasks.map((t) => t.id)])).toEqual([
      ['barman1', ['lines:/var/lib/barman/.pgpass']],
      ['pg1', []],
    ]);
    const noFirst = listPlay(p, { skipTags: ['first-backup', 'pkg'] }, placeholderDiscovery(p)).flatMap((h) => h.tasks);
    expect(noFirst.some((t) => t.tags.includes('first-backup') || t.tags.includes('pkg'))).toBe(false);
    expect(noFirst.length).toBeGreaterThan(10);
  });

  it('text and JSON output', async () => {
    const p = await play('single-primary');
    const hostsOut = capture();
    expect(runList('deploy', 'speedy', p, { listHosts: true, limit: ['pg*'] }, hostsOut.stream)).toBe(0);
    expect(hostsOut.text()).toBe('play: barman  (cluster speedy)\n\n  hosts (1):\n    pg1\n');
    const tasksOut = capture();
    runList('deploy', 'speedy', p, { listTasks: true, tags: ['ssh'] }, tasksOut.stream);
    expect(tasksOut.text()).toMatch(/^  host: pg1\n    configure:\n      directory:\/var\/lib\/postgresql\/\.ssh +TAGS: \[barman, ssh\]$/m);
    expect(tasksOut.text()).toMatch(/known_hosts +TAGS: \[barman, ssh\]  \*$/m);
    const json = capture();
    runList('plan', 'speedy', p, { listTasks: true, json: true, limit: ['barman1'], tags: ['first-backup'] }, json.stream);
    expect(JSON.parse(json.text())).toEqual({
      schema_version: 1,
      document: 'list-tasks',
      command: 'plan',
      ok: true,
      exit_code: 0,
      cluster: 'speedy',
      play: 'barman',
      hosts: [{ host: 'barman1', tasks: [{ phase: 'bring-up', id: 'first-backup:pg1', kind: 'first_backup', tags: ['barman', 'first-backup'], handler: false, known_at_run_time: false }] }],
    });
  });

  it('deploy --list-tasks returns 0 without connecting (the fixture hosts do not exist)', async () => {
    const out = capture();
    const err = capture();
    const t0 = Date.now();
    // runDeploy's stream parameters are typed after process.stdout/stderr.
    const code = await runDeploy(
      join(FIXTURES, 'two-barman-servers'),
      { mode: 'apply', listTasks: true, connectTimeout: 1 },
      out.stream as unknown as typeof process.stdout,
      err.stream as unknown as typeof process.stderr,
    );
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(900);
    expect(out.text()).toContain('  host: barman-dc1.example.com');
    expect(err.text()).toBe('');
  });
});
