// Golden inventories: each good cluster resolves to exactly the hand-written JSON.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInventoryCaptured } from '../../support/inventory.js';

const GOOD = join(import.meta.dirname, '../../fixtures/config/good');

const run = runInventoryCaptured;

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
    // The golden files hold the body; the header every --json document starts with is checked here.
    const { schema_version, document, command, ok, exit_code, cluster, ...body } = JSON.parse(out) as Record<string, unknown>;
    expect({ schema_version, document, command, ok, exit_code, cluster }).toEqual({ schema_version: 1, document: 'inventory', command: 'inventory', ok: true, exit_code: 0, cluster: body['cluster_name'] });
    expect(body).toEqual(expected);
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
