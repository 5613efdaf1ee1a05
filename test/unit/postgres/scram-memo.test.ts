import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileScramMemo, scramMemoPath } from '../../../src/controller/scram-memo.js';
import { scramMatchKey, scramSha256Verifier, scramVerifierMatches, useScramMatchMemo, type ScramMatchMemo } from '../../../src/postgres/scram.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'scram-memo-'));
  dirs.push(d);
  return d;
};

afterEach(() => {
  useScramMatchMemo(undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the SCRAM match memo', () => {
  it('remembers proven matches only, and a remembered pair is not computed again', () => {
    const keys = new Set<string>();
    const memo: ScramMatchMemo = { has: (k) => keys.has(k), add: (k) => void keys.add(k) };
    useScramMatchMemo(memo);
    const v = scramSha256Verifier('right password');
    expect(scramVerifierMatches(v, 'wrong password')).toBe(false);
    expect(keys.size).toBe(0);
    expect(scramVerifierMatches(v, 'right password')).toBe(true);
    expect([...keys]).toEqual([scramMatchKey(v, 'right password')]);
    // A key that claims a match is believed: proof that the PBKDF2 is skipped.
    keys.add(scramMatchKey(v, 'wrong password'));
    expect(scramVerifierMatches(v, 'wrong password')).toBe(true);
    useScramMatchMemo(undefined);
    expect(scramVerifierMatches(v, 'wrong password')).toBe(false);
  });

  it('keys reveal neither the password nor the verifier, and differ per verifier', () => {
    const a = scramSha256Verifier('pw');
    const b = scramSha256Verifier('pw');
    const k = scramMatchKey(a, 'pw');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(k).not.toContain(Buffer.from('pw').toString('hex'));
    expect(scramMatchKey(b, 'pw')).not.toBe(k);
  });

  it('is kept in the cluster directory by deploys (0600, only the pairs used), never by plans', () => {
    const dir = tempDir();
    const v1 = scramSha256Verifier('one');
    const v2 = scramSha256Verifier('two');
    const plan = fileScramMemo(dir, false);
    useScramMatchMemo(plan);
    expect(scramVerifierMatches(v1, 'one')).toBe(true);
    plan.save();
    expect(existsSync(scramMemoPath(dir))).toBe(false);

    const deploy = fileScramMemo(dir, true);
    useScramMatchMemo(deploy);
    expect(scramVerifierMatches(v1, 'one')).toBe(true);
    expect(scramVerifierMatches(v2, 'two')).toBe(true);
    deploy.save();
    const path = scramMemoPath(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim().split('\n').sort()).toEqual([scramMatchKey(v1, 'one'), scramMatchKey(v2, 'two')].sort());

    // The next run uses only v2 (v1's password changed): v1's entry falls away.
    const next = fileScramMemo(dir, true);
    useScramMatchMemo(next);
    expect(next.has(scramMatchKey(v2, 'two'))).toBe(true);
    expect(scramVerifierMatches(v2, 'two')).toBe(true);
    next.save();
    expect(readFileSync(path, 'utf8')).toBe(`${scramMatchKey(v2, 'two')}\n`);

    // A run that used exactly the file's pairs leaves the file alone.
    const before = statSync(path).ino; // a rewrite renames a new file into place
    const same = fileScramMemo(dir, true);
    useScramMatchMemo(same);
    expect(scramVerifierMatches(v2, 'two')).toBe(true);
    same.save();
    expect(statSync(path).ino).toBe(before);
  });
});
