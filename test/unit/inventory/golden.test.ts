// Golden inventories: each good cluster resolves to exactly the hand-written JSON.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runInventory } from '../../../src/commands/inventory.js';

const GOOD = join(import.meta.dirname, '../../fixtures/config/good');

async function run(dir: string, json: boolean): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: string[] = [];
  const e: string[] = [];
  out.on('data', (c: Buffer) => o.push(c.toString()));
  err.on('data', (c: Buffer) => e.push(c.toString()));
  const code = await runInventory(dir, { json, out, err });
  return { code, out: o.join(''), err: e.join('') };
}

describe('golden inventories', () => {
  const cases = readdirSync(GOOD).sort();

  it('covers the required topologies', () => {
    expect(cases).toEqual(expect.arrayContaining(['single-primary', 'two-barman-servers', 'three-primaries', 'shared-barman']));
  });

  it.each(cases)('%s --json matches expected-inventory.json', async (name) => {
    const { code, out, err } = await run(join(GOOD, name), true);
    expect(err).toBe('');
    expect(code).toBe(0);
    const expected: unknown = JSON.parse(readFileSync(join(GOOD, name, 'expected-inventory.json'), 'utf8'));
    expect(JSON.parse(out)).toEqual(expected);
  });

  it.each(cases)('%s has a human view naming every host', async (name) => {
    const { code, out } = await run(join(GOOD, name), false);
    expect(code).toBe(0);
    const expected = JSON.parse(readFileSync(join(GOOD, name, 'expected-inventory.json'), 'utf8')) as { hosts: Array<{ name: string }> };
    for (const h of expected.hosts) expect(out).toContain(h.name);
  });

  it('prints the same JSON twice (stable output)', async () => {
    const dir = join(GOOD, 'three-primaries');
    const a = await run(dir, true);
    const b = await run(dir, true);
    expect(a.out).toBe(b.out);
  });
});
