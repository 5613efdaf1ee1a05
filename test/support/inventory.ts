// Runs the inventory command in-process, capturing what it writes.
import { runInventory } from '../../src/commands/inventory.js';
import { captureStreams } from './streams.js';

export async function runInventoryCaptured(dir: string, json = false): Promise<{ code: number; out: string; err: string }> {
  const s = captureStreams();
  const code = await runInventory(dir, { json, out: s.out, err: s.err });
  return { code, ...s.text() };
}
