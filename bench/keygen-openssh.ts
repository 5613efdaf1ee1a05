// Are the key pairs we generate always loadable by OpenSSH? Generates N ed25519 pairs
// (default 10,000; KEYS=n) with our writer and asks `ssh-keygen -y` for each one's
// public key, which must equal our .pub. Prints one JSON line; exit 1 on any failure.
// (ssh2's own generator fails this for about 1 pair in 256: upstream issues 1390/1513.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { checkKeyPair, generateEd25519Pair } from '../src/controller/openssh-key.js';

const n = Number(process.env.KEYS ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'tpab-keygen-'));

function sshKeygenY(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh-keygen', ['-y', '-f', file]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => resolve({ code: 127, out: e.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const t0 = Date.now();
const limit = pLimit(4);
const failures: string[] = [];
let selfChecked = 0;
await Promise.all(
  Array.from({ length: n }, (_, i) =>
    limit(async () => {
      const pair = generateEd25519Pair(`k${i}@bench`);
      if (checkKeyPair(pair.privateKey, pair.publicKey).ok) selfChecked++;
      const file = join(dir, `k${i}`);
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      const r = await sshKeygenY(file);
      const want = pair.publicKey.split(' ').slice(0, 2).join(' ');
      if (r.code !== 0 || r.out.trim().split(' ').slice(0, 2).join(' ') !== want) failures.push(`k${i}: exit ${r.code}: ${r.out.trim()}`);
      rmSync(file);
    }),
  ),
);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ pairs: n, acceptedBySshKeygen: n - failures.length, selfChecked, failures: failures.slice(0, 5), seconds: (Date.now() - t0) / 1000 })}\n`);
process.exitCode = failures.length === 0 && selfChecked === n ? 0 : 1;
