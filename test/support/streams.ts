// Two in-memory streams standing in for stdout and stderr, for in-process command runs.
import { PassThrough } from 'node:stream';

export interface Captured {
  out: PassThrough;
  err: PassThrough;
  text(): { out: string; err: string };
}

export function captureStreams(): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: string[] = [];
  const e: string[] = [];
  out.on('data', (c: Buffer) => o.push(c.toString()));
  err.on('data', (c: Buffer) => e.push(c.toString()));
  return { out, err, text: () => ({ out: o.join(''), err: e.join('') }) };
}
