// The examples/ cluster directories deploy as they are, on real lab hosts: each example's
// config.yml with only the connection data of its instances swapped for the lab's
// (ip_address, ssh_key_file, ansible_user), everything else kept. Then `tpa-barman test`
// (barman check on every server) and `tpa-barman status` must pass.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument, type Document } from 'yaml';
import { REPO_ROOT, cli, startLab, type Lab, type LabHost } from '../support/lab.js';

interface Instance {
  name: string;
  roles: string[];
}

function instancesOf(doc: Document): Instance[] {
  const raw = doc.toJS() as { instances?: Array<{ Name?: string; role?: string | string[] }> };
  return (raw.instances ?? []).map((i) => ({ name: String(i.Name), roles: Array.isArray(i.role) ? i.role : [String(i.role)] }));
}

/**
 * The example's config.yml on the lab: the n-th PostgreSQL instance on the lab's pgN, the
 * n-th Barman instance on barmanN. Names, roles, backup:, vars, comments stay as written.
 */
async function exampleOnLab(example: string, lab: Lab, hosts?: { postgres: LabHost[]; barman: LabHost[] }): Promise<string> {
  const doc = parseDocument(await readFile(join(REPO_ROOT, 'examples', example, 'config.yml'), 'utf8'));
  const labDoc = parseDocument(await readFile(join(lab.dir, 'config.yml'), 'utf8'));
  const pool = hosts
    ? { postgres: [...hosts.postgres], barman: [...hosts.barman] }
    : { postgres: lab.hosts.filter((h) => h.kind === 'postgres'), barman: lab.hosts.filter((h) => h.kind === 'barman') };
  instancesOf(doc).forEach((inst, i) => {
    const kind = inst.roles.includes('barman') ? 'barman' : 'postgres';
    const host = pool[kind].shift();
    if (!host) throw new Error(`the lab has too few ${kind} hosts for ${example}`);
    const labInstance = (labDoc.toJS() as { instances: Array<{ Name: string; ip_address: string }> }).instances.find((x) => x.Name === host.name);
    doc.setIn(['instances', i, 'ip_address'], labInstance?.ip_address ?? host.ip);
    doc.deleteIn(['instances', i, 'public_ip']);
    doc.deleteIn(['instances', i, 'private_ip']);
  });
  doc.set('ssh_key_file', labDoc.get('ssh_key_file'));
  const user = labDoc.getIn(['cluster_vars', 'ansible_user']);
  if (user !== undefined) doc.setIn(['cluster_vars', 'ansible_user'], user);
  return doc.toString();
}

describe('examples deploy on a lab', () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.down();
    lab = undefined;
  });

  for (const [example, postgres, barman] of [
    ['single-primary', 1, 1],
    ['two-barman', 1, 2],
  ] as const) {
    it(`${example}: deploy, then barman check OK everywhere and status OK`, async () => {
      lab = await startLab({ postgres, barman });
      const config = await exampleOnLab(example, lab);
      // Only connection data changed: names, roles, targets and settings are the example's.
      const original = await readFile(join(REPO_ROOT, 'examples', example, 'config.yml'), 'utf8');
      expect(instancesOf(parseDocument(config))).toEqual(instancesOf(parseDocument(original)));
      expect(config).toContain('barman_backup_interval');
      await lab.writeConfig(config);

      const deploy = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
      expect(deploy.code, deploy.stderr).toBe(0);
      const test = await cli(['test', lab.dir, '--json']);
      expect(test.code, test.stderr).toBe(0);
      const servers = (JSON.parse(test.stdout) as { servers: Array<{ server: string; host: string; ok: boolean }> }).servers;
      const want = example === 'two-barman' ? ['db1@backup-dc1', 'db1@backup-dc2'] : ['db1@backup1'];
      expect(servers.map((s) => `${s.server}@${s.host}`).sort()).toEqual(want);
      expect(servers.every((s) => s.ok)).toBe(true);

      const status = await cli(['status', lab.dir, '--json']);
      expect(status.code, status.stderr).toBe(0);
      const doc = JSON.parse(status.stdout) as { servers: Array<{ server: string; backups: number; schedule: string; streaming: string }> };
      const schedule = example === 'two-barman' ? '0 2 * * sun,wed' : '30 1 * * *';
      for (const s of doc.servers) {
        expect(s.streaming).toBe('streaming');
        expect(s.schedule).toBe(schedule);
        expect(s.backups).toBeGreaterThanOrEqual(1);
      }
    });
  }

  it('shared-barman: both clusters deploy to one Barman server, barman check OK for the servers of both', async () => {
    lab = await startLab({ postgres: 2, barman: 1 });
    const [pgA, pgB] = lab.hosts.filter((h) => h.kind === 'postgres');
    const barman = lab.hosts.filter((h) => h.kind === 'barman');
    if (!pgA || !pgB) throw new Error('lab without two PostgreSQL hosts');
    await lab.writeConfig(await exampleOnLab('shared-barman/cluster-a', lab, { postgres: [pgA], barman }));
    const a = await cli(['deploy', lab.dir], { timeoutMs: 900_000 });
    expect(a.code, a.stderr).toBe(0);

    // cluster-b: its own directory, with cluster-a's Barman key pair copied in (as its README says).
    const dirB = join(lab.dir, 'cluster-b');
    await mkdir(join(dirB, 'keys'), { recursive: true, mode: 0o700 });
    for (const f of ['id_lab', 'tpa_known_hosts']) await copyFile(join(lab.dir, f), join(dirB, f));
    for (const f of ['id_barman', 'id_barman.pub']) await copyFile(join(lab.dir, 'keys', f), join(dirB, 'keys', f));
    await lab.writeConfig(await exampleOnLab('shared-barman/cluster-b', lab, { postgres: [pgB], barman }), dirB);
    const b = await cli(['deploy', dirB], { timeoutMs: 900_000 });
    expect(b.code, b.stderr).toBe(0);

    const test = await cli(['test', dirB, '--json']);
    expect(test.code, test.stderr).toBe(0);
    const servers = (JSON.parse(test.stdout) as { servers: Array<{ server: string; host: string; ok: boolean }> }).servers;
    expect(servers.map((s) => `${s.server}@${s.host}`).sort()).toEqual(['a-db1@backup-shared', 'b-db1@backup-shared']);
    expect(servers.every((s) => s.ok)).toBe(true);
  }, 1_200_000);
});
