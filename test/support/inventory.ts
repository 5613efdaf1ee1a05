// Runs the inventory command in-process, capturing what it writes.
import { PassThrough } from 'node:stream';
import { runInventory } from '../../src/commands/inventory.js';

export async function runInventoryCaptured(dir: string, json = false): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: string[] = [];
  const e: string[] = [];
  out.on('data', (c: Buffer) => o.push(c.toString()));
  err.on('data', (c: Buffer) => e.push(c.toString()));
  const code = await runInventory(dir, { json, out, err });
  return { code, out: o.join(''), err: e.join('') };
}
