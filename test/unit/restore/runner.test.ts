// The restore runner (Python) in plan mode against a fake `barman` on PATH, with the
// restore host being this machine (no ssh): backup choice for each kind of target, the
// Barman command for old and new Barman, the WAL gap, and refusals (space, binaries,
// destination). The real runs are in test/integration/restore.test.ts.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunnerParams } from '../../../playbooks/barman/restore/params.js';
import { extractResult, readResult, resultJson } from '../../../playbooks/barman/restore/result.js';
import { header } from '../../../src/report/json.js';
import { schemaValidators } from '../../support/schema.js';
import { runnerProgram } from '../../../playbooks/barman/restore/runner-source.js';

const root = mkdtempSync(join(tmpdir(), 'tpab-runner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const B1 = { backup_id: '20261201T040000', status: 'DONE', end_time_timestamp: '1796097600', size_bytes: 1000 };
const B2 = { backup_id: '20261202T040000', status: 'DONE', end_time_timestamp: '1796184000', size_bytes: 1000 };
const FAILED = { backup_id: '20261203T040000', status: 'FAILED', end_time_timestamp: '1796270400' };

function showBackup(id: string, endLsn: string, sizeBytes: number, lastAvailable: string): unknown {
  return {
    pg1: {
      backup_id: id,
      postgresql_version: 150020,
      status: 'DONE',
      tablespaces: [],
      base_backup_information: { begin_wal: '000000010000000000000003', end_wal: '000000010000000000000003', end_lsn: endLsn, end_time: 'x', end_time_timestamp: '1', disk_usage_bytes: sizeBytes, timeline: 1 },
      // Barman's "Last available": the newest WAL of its catalogue after this backup (up to the next one).
      wal_information: { last_available: lastAvailable },
    },
  };
}

/** A world: fake barman, fake PostgreSQL bin dir, a scratch base. */
function world(opts: { version?: string; backupSize?: number; withBin?: boolean; getWal?: boolean } = {}): { dir: string; env: NodeJS.ProcessEnv; bin: string } {
  const dir = mkdtempSync(join(root, 'w-'));
  const fake = join(dir, 'fake');
  const bin = join(dir, 'pgbin');
  mkdirSync(fake);
  writeFileSync(join(fake, 'list.json'), JSON.stringify({ pg1: [FAILED, B1, B2] }));
  writeFileSync(join(fake, 'servers.json'), JSON.stringify({ pg1: { recovery_options: opts.getWal ? "RecoveryOptions({'get-wal'})" : 'RecoveryOptions()', xlog_segment_size: 16777216, xlogpos: '0/9000000' } }));
  writeFileSync(join(fake, `backup-${B1.backup_id}.json`), JSON.stringify(showBackup(B1.backup_id, '0/3000100', opts.backupSize ?? 1000, '000000010000000000000005')));
  writeFileSync(join(fake, `backup-${B2.backup_id}.json`), JSON.stringify(showBackup(B2.backup_id, '0/5000100', opts.backupSize ?? 1000, '000000010000000000000007')));
  const barman = join(fake, 'barman');
  writeFileSync(
    barman,
    [
      '#!/bin/sh',
      `F=${fake}`,
      'case "$*" in',
      `  --version) echo "${opts.version ?? '3.13.0'} Barman by EnterpriseDB (www.enterprisedb.com)" ;;`,
      '  "-f json list-backups pg1") cat $F/list.json ;;',
      '  "-f json show-servers pg1") cat $F/servers.json ;;',
      '  "-f json show-backup pg1 "*) cat "$F/backup-$5.json" ;;',
      '  *) echo "unexpected barman $*" >&2; exit 9 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(barman, 0o755);
  if (opts.withBin !== false) {
    mkdirSync(bin);
    writeFileSync(join(bin, 'pg_ctl'), '#!/bin/sh\necho "pg_ctl (PostgreSQL) 15.20"\n');
    writeFileSync(join(bin, 'postgres'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'pg_ctl'), 0o755);
    chmodSync(join(bin, 'postgres'), 0o755);
  }
  return { dir, bin, env: { ...process.env, PATH: `${fake}:${process.env.PATH ?? ''}` } };
}

function params(w: { dir: string; bin: string }, over: Partial<RunnerParams> = {}): RunnerParams {
  return {
    mode: 'plan',
    server: 'pg1',
    barman_host: 'barman1',
    restore: { host: 'pg1', user: 'postgres', ssh: null },
    bin_dirs: ['/nonexistent/{M}/bin', w.bin],
    scratch_base: w.dir,
    port_range: [55432, 55531],
    target: null,
    backup_id: null,
    sql_b64: null,
    destination: null,
    force: false,
    timeout: 60,
    result_file: null,
    ...over,
  };
}

function runRunner(p: RunnerParams, env: NodeJS.ProcessEnv): { code: number; doc: ReturnType<typeof readResult> } {
  const r = spawnSync('python3', ['-'], { input: runnerProgram(p), env, encoding: 'utf8', timeout: 30_000 });
  const doc = extractResult(r.stdout);
  if (!doc) throw new Error(`no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { code: r.status ?? -1, doc: readResult(doc, { server: 'pg1', barmanHost: 'barman1', restoreHost: 'pg1' }) };
}

describe('restore runner (plan mode, fake Barman)', () => {
  it('plans the latest DONE backup with barman restore, the WAL gap and the space', () => {
    const w = world();
    const { code, doc } = runRunner(params(w), w.env);
    expect(code, doc.error ?? '').toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.backup?.id).toBe(B2.backup_id);
    expect(doc.barmanCommand).toBe('restore');
    expect(doc.walMode).toBe('copy');
    expect(doc.command).toEqual(['barman', 'restore', 'pg1', B2.backup_id, '<scratch>/data']);
    // Newest archived WAL (Barman's, from the newest backup) ...07 ends at 0/8000000; the primary is at 0/9000000.
    expect(doc.newestWal).toBe('000000010000000000000007');
    expect(doc.walGapBytes).toBe(16 * 1024 * 1024);
    expect(doc.space?.path).toBe(w.dir);
    expect(doc.space?.neededBytes).toBeGreaterThan(5 * 16 * 1024 * 1024);
    expect(doc.port).toBeGreaterThanOrEqual(55432);
    expect(doc.raw['bin_dir']).toBe(w.bin);
    // The --json documents that carry it follow their schemas.
    const validate = (kind: string, body: object): unknown => {
      const v = schemaValidators().get(kind);
      if (!v) throw new Error(`no schema ${kind}`);
      return v({ ...header(kind as 'restore-test', kind, 0, 'c'), ...body }) ? [] : v.errors;
    };
    expect(validate('restore-test', { check: true, target: null, output_dir: null, servers: [resultJson(doc)], unreachable: [] })).toEqual([]);
    expect(validate('restore', { check: true, refused: null, destination: { host: 'pg1', dir: '/x/y', state: 'missing', real_path: '/x/y' }, restore: resultJson(doc) })).toEqual([]);
  });

  it('picks the newest backup that ended before a target time or LSN, and promotes at the target', () => {
    const w = world({ version: '3.4.0' });
    const t = runRunner(params(w, { target: { kind: 'time', value: '2026-12-01 12:00:00+00:00', epoch: 1796097600 + 3600 } }), w.env).doc;
    expect(t.backup?.id).toBe(B1.backup_id);
    // The newest WAL is still Barman's newest (the newest backup's), not the chosen backup's.
    expect(t.newestWal).toBe('000000010000000000000007');
    expect(t.barmanCommand).toBe('recover');
    expect(t.command).toEqual(['barman', 'recover', '--target-time', '2026-12-01 12:00:00+00:00', '--target-action', 'promote', 'pg1', B1.backup_id, '<scratch>/data']);
    const l = runRunner(params(w, { target: { kind: 'lsn', value: '0/4000000' } }), w.env).doc;
    expect(l.backup?.id).toBe(B1.backup_id);
    const early = runRunner(params(w, { target: { kind: 'time', value: 'early', epoch: 1 } }), w.env);
    expect(early.code).toBe(2);
    expect(early.doc.error).toMatch(/no backup of pg1 ended before the target time early/);
    expect(early.doc.refused).toBe(true);
  });

  it('refuses when the restore host is short of space, or has no server binaries of the major', () => {
    const big = world({ backupSize: 2 ** 60 });
    const s = runRunner(params(big), big.env);
    expect(s.code).toBe(2);
    expect(s.doc.refused).toBe(true);
    expect(s.doc.error).toMatch(/^not enough space on pg1:.*bytes free, \d+ needed/);
    const nobin = world({ withBin: false });
    const b = runRunner(params(nobin), nobin.env);
    expect(b.doc.error).toMatch(/the restore host pg1 has no PostgreSQL 15 server binaries \(looked in \/nonexistent\/15\/bin, /);
  });

  it('restore mode: refuses a non-empty destination, and an empty one without force; never promotes', () => {
    const w = world({ getWal: true });
    const dest = join(w.dir, 'dest');
    mkdirSync(dest);
    const empty = runRunner(params(w, { destination: dest, target: { kind: 'name', value: 'before-upgrade' } }), w.env).doc;
    expect(empty.error).toMatch(/exists \(empty\): give --force/);
    const forced = runRunner(params(w, { destination: dest, force: true, target: { kind: 'name', value: 'before-upgrade' } }), w.env).doc;
    expect(forced.ok).toBe(true);
    expect(forced.walMode).toBe('get-wal');
    expect(forced.command).toEqual(['barman', 'restore', '--target-name', 'before-upgrade', 'pg1', B2.backup_id, dest]);
    writeFileSync(join(dest, 'PG_VERSION'), '15\n');
    const full = runRunner(params(w, { destination: dest, force: true }), w.env).doc;
    expect(full.error).toMatch(/is not empty: refusing/);
  });
});
