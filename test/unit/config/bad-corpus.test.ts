// Every directory under test/fixtures/config/bad is a malformed or hostile cluster: each must
// be rejected with exit code 5 and a message naming config.yml:LINE:COL and the key.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runInventory } from '../../../src/commands/inventory.js';

interface Expectation {
  key?: string;
  line?: number;
  col?: number;
  message?: string;
  /** Build the file at test time instead (too big to commit). */
  generate?: { bytes: number };
}

const BAD = join(import.meta.dirname, '../../fixtures/config/bad');
const cases = readdirSync(BAD).sort();
const temps: string[] = [];

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A valid-looking config padded with comment lines to `bytes`. */
function generated(bytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-huge-'));
  temps.push(dir);
  const head = 'cluster_name: speedy\ninstances: []\n';
  const line = `# ${'x'.repeat(77)}\n`;
  writeFileSync(join(dir, 'config.yml'), head + line.repeat(Math.ceil(bytes / line.length)));
  return dir;
}

async function inventoryErrors(dir: string): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: { out: string[]; err: string[] } = { out: [], err: [] };
  out.on('data', (c: Buffer) => chunks.out.push(c.toString()));
  err.on('data', (c: Buffer) => chunks.err.push(c.toString()));
  const code = await runInventory(dir, { json: false, out, err });
  return { code, stderr: chunks.err.join(''), stdout: chunks.out.join('') };
}

describe('malformed and hostile cluster directories', () => {
  it('has a corpus of at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s is rejected with exit 5 at the right place', async (name) => {
    const dir = join(BAD, name);
    const want = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as Expectation;
    const target = want.generate ? generated(want.generate.bytes) : dir;
    const { code, stderr, stdout } = await inventoryErrors(target);
    expect(code).toBe(5);
    expect(stdout).toBe('');
    if (want.line !== undefined) expect(stderr).toContain(`config.yml:${want.line}:${want.col}:`);
    else expect(stderr).toContain(existsSync(join(dir, 'config.yml')) ? 'config.yml' : join(dir, 'config.yml'));
    if (want.key) expect(stderr).toContain(`(${want.key})`);
    if (want.message) expect(stderr).toContain(want.message);
  });
});
