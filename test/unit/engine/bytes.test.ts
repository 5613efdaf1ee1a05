// File contents travel as bytes both ways, whole, at any size up to 64 MiB: foreign
// bytes (Latin-1, CRLF, NUL, a missing final newline) come back exactly; a larger file
// is refused, never cut. Run through PlayRun on the local-shell connector.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Play } from '../../../src/engine/play.js';
import type { Resource } from '../../../src/engine/resource.js';
import { MAX_FILE_BYTES, fileDiff } from '../../../src/engine/resources/file-state.js';
import { FileResource } from '../../../src/engine/resources/file.js';
import { LinesResource, type LineEntry } from '../../../src/engine/resources/lines.js';
import { runPlay, type RunResult } from '../../../src/engine/runner.js';
import { LocalShellConnector } from '../../../src/transport/local.js';

const USER = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
const GROUP = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function runOn(root: string, resources: Resource[], mode: 'apply' | 'plan' = 'apply'): Promise<RunResult> {
  const play: Play = { name: 'bytes', phases: ['one'], hosts: [{ name: 'h' }], build: () => resources.map((resource) => ({ host: 'h', phase: 0, resource })) };
  return runPlay(play, { mode, forks: 1, connector: (n) => new LocalShellConnector(n, root), selection: {}, keepGoing: false, holder: 't', lockWaitSeconds: 5 });
}

function lines(path: string, entries: LineEntry[], insert: 'top' | 'bottom' = 'bottom'): LinesResource {
  return new LinesResource({ path, owner: USER, group: GROUP, mode: '0644', entries, matchMode: 'prefix', insert, tags: [], markedBy: 'c' });
}

/** The file without our lines (those carrying our marker), as bytes. */
function foreign(b: Buffer): Buffer {
  return Buffer.from(
    b
      .toString('latin1')
      .split('\n')
      .filter((l) => !l.includes('tpa-barman:c'))
      .join('\n'),
    'latin1',
  );
}

describe('exact bytes', () => {
  it('Latin-1, CRLF, NUL and a missing final newline survive an edit and a re-run, byte for byte', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpab-bytes-'));
    const path = join(root, 'pg_hba.conf');
    const before = Buffer.concat([Buffer.from('# r\xe8gle de G\xe9rard\r\nlocal all all peer\r\n', 'latin1'), Buffer.from([0x23, 0x00, 0xff, 0x0a]), Buffer.from('host all all 0.0.0.0/0 reject', 'latin1')]);
    writeFileSync(path, before);
    const r = lines(path, [{ match: 'hostssl x', line: 'hostssl x barman 10.0.0.9/32 scram-sha-256 # tpa-barman:c barman=b1' }], 'top');
    const first = await runOn(root, [r]);
    expect(first.errors).toEqual([]);
    expect(first.exitCode).toBe(0);
    const after = readFileSync(path);
    expect(foreign(after).equals(foreign(before))).toBe(true);
    expect(after.subarray(-29).toString('latin1')).toBe('host all all 0.0.0.0/0 reject'); // still no final newline
    expect(after.toString('latin1')).toContain('\r\nhostssl x barman 10.0.0.9/32 scram-sha-256 # tpa-barman:c barman=b1\nlocal all all peer\r\n');
    const again = await runOn(root, [r]);
    expect(again.results.map((x) => x.status)).toEqual(['ok']);
    expect(readFileSync(path).equals(after)).toBe(true);
  });

  it('a line added at the bottom of a file without a final newline keeps the foreign bytes as they were', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpab-bytes-'));
    const path = join(root, '.pgpass');
    writeFileSync(path, 'reporting:5432:*:report:s3cret');
    await runOn(root, [lines(path, [{ match: 'pg1:', line: 'pg1:*:*:barman:pw', claim: 'pgpass=pg1:*:*:barman' }])]);
    expect(readFileSync(path, 'latin1')).toBe('reporting:5432:*:report:s3cret\n# tpa-barman:c pgpass=pg1:*:*:barman\npg1:*:*:barman:pw');
  });

  it(`a file of ${MAX_FILE_BYTES} bytes is read and rewritten whole; the plan summarises its diff`, { timeout: 180_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpab-bytes-'));
    const path = join(root, 'known_hosts');
    const line = 'foreign.example.com,10.9.9.9 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k\n';
    const ours = 'pg1,10.0.0.1 ssh-ed25519 AAAA tpa-barman:c host=pg1';
    // Foreign lines, leaving room for ours, up to exactly 64 MiB with it.
    const body = Buffer.alloc(MAX_FILE_BYTES - ours.length - 1, line);
    body[body.length - 1] = 0x0a;
    writeFileSync(path, body);
    const r = lines(path, [{ match: 'pg1,10.0.0.1 ', line: ours }]);
    const plan = await runOn(root, [r], 'plan');
    expect(plan.errors).toEqual([]);
    expect(plan.results[0]?.change?.diff).toBe(`(content of ${path} changes: 64.0 MiB → 64.0 MiB; a diff of a file over 256.0 KiB is not shown)`);
    const applied = await runOn(root, [r]);
    expect(applied.errors).toEqual([]);
    expect(applied.exitCode).toBe(0);
    const after = readFileSync(path);
    expect(after.length).toBe(MAX_FILE_BYTES);
    expect(sha(after.subarray(0, body.length))).toBe(sha(body));
    expect(after.subarray(body.length).toString()).toBe(`${ours}\n`);
  });

  it('a file over 64 MiB is refused with a clear error, never truncated', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpab-bytes-'));
    const path = join(root, 'hosts');
    writeFileSync(path, '');
    truncateSync(path, MAX_FILE_BYTES + 1);
    const before = sha(readFileSync(path));
    const r = await runOn(root, [lines(path, [{ match: 'x', line: 'x y' }])]);
    expect(r.exitCode).toBe(2);
    expect(r.errors.map((e) => e.message)).toEqual([
      `h: probe 'file ${path}' failed: its output does not parse: ${path} is ${MAX_FILE_BYTES + 1} bytes, more than the ${MAX_FILE_BYTES} (64 MiB) tpa-barman reads and writes whole; refused (a managed file is never truncated)`,
    ]);
    expect(sha(readFileSync(path))).toBe(before);
  });

  it('whole files of ours: bytes as given, and a change to NUL content is summarised, not shown', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tpab-bytes-'));
    const path = join(root, 'motd');
    writeFileSync(path, Buffer.from([0, 1, 2]));
    const f = new FileResource({ path, content: 'héllo\n', owner: USER, group: GROUP, mode: '0644', tags: [] });
    const plan = await runOn(root, [f], 'plan');
    expect(plan.results[0]?.change?.diff).toBe(`(binary content of ${path} changes: 3 B → 7 B; not shown)`);
    await runOn(root, [f]);
    expect(readFileSync(path).equals(Buffer.from('héllo\n', 'utf8'))).toBe(true);
  });

  it('a Latin-1 file is shown as Latin-1 in a diff', () => {
    expect(fileDiff('/f', Buffer.from('caf\xe9\n', 'latin1'), Buffer.from('caf\xe9\nx\n', 'latin1'))).toContain('+x');
    expect(fileDiff('/f', Buffer.from('caf\xe9\n', 'latin1'), Buffer.from('caf\xe9\nx\n', 'latin1'))).toContain(' café');
  });
});
