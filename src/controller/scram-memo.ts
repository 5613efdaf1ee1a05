// Proven SCRAM verifier/password matches, kept in <cluster>/.tpa-barman/scram-verified
// (one HMAC per line, mode 0600, beside secrets/ which holds the passwords themselves):
// a re-deploy then checks each role's password on each host without a PBKDF2. Plans
// read it and never write it. Only the pairs a run used are written back, so entries
// of changed passwords and removed hosts fall away.
import { readFileSync } from 'node:fs';
import type { ScramMatchMemo } from '../postgres/scram.js';
import { stateFilePath, writeStateFile } from './state-file.js';

export interface FileScramMemo extends ScramMatchMemo {
  /** Write the pairs this run used, if that set differs from the file's (apply mode only). */
  save(): void;
}

export function scramMemoPath(clusterDir: string): string {
  return stateFilePath(clusterDir, 'scram-verified');
}

export function fileScramMemo(clusterDir: string, writable: boolean): FileScramMemo {
  const path = scramMemoPath(clusterDir);
  const loaded = new Set<string>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) if (/^[0-9a-f]{64}$/.test(line)) loaded.add(line);
  } catch {
    // missing or unreadable: every pair is computed
  }
  const used = new Set<string>();
  return {
    has(key) {
      if (!loaded.has(key)) return false;
      used.add(key);
      return true;
    },
    add(key) {
      used.add(key);
    },
    save() {
      if (!writable || used.size === 0) return;
      if (used.size === loaded.size && [...used].every((k) => loaded.has(k))) return;
      writeStateFile(clusterDir, 'scram-verified', [...used].sort().map((k) => `${k}\n`).join(''));
    },
  };
}
