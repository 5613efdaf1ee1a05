// secrets/ and keys/ get a .gitignore when nothing ignores them yet; checked with real git.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSecretsIgnored } from '../../../src/controller/gitignore.js';

const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function clusterDir(git: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'tpab-gi-'));
  temps.push(dir);
  mkdirSync(join(dir, 'secrets'));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'secrets', 'barman_password'), 'pw\n');
  writeFileSync(join(dir, 'keys', 'id_barman'), 'private\n');
  writeFileSync(join(dir, 'keys', 'id_barman.pub'), 'public\n');
  if (git) expect(spawnSync('git', ['init', '-q', dir]).status).toBe(0);
  return dir;
}

function ignored(dir: string, path: string): boolean {
  return spawnSync('git', ['-C', dir, 'check-ignore', '-q', path]).status === 0;
}

describe('a .gitignore for secrets/ and keys/', () => {
  it('is written in a git work tree that does not ignore them: passwords and private keys ignored, .pub kept', async () => {
    const dir = clusterDir(true);
    expect(ignored(dir, 'secrets/barman_password')).toBe(false);
    expect((await ensureSecretsIgnored(dir)).sort()).toEqual([join(dir, 'keys', '.gitignore'), join(dir, 'secrets', '.gitignore')]);
    expect(ignored(dir, 'secrets/barman_password')).toBe(true);
    expect(ignored(dir, 'secrets/streaming_barman_password')).toBe(true);
    expect(ignored(dir, 'keys/id_barman')).toBe(true);
    expect(ignored(dir, 'keys/id_barman.pub')).toBe(false);
    expect(ignored(dir, 'secrets/.gitignore')).toBe(false);
    // Once there, never rewritten.
    expect(await ensureSecretsIgnored(dir)).toEqual([]);
  });

  it('is not written when the repository already ignores them, nor over a .gitignore of the user', async () => {
    const dir = clusterDir(true);
    writeFileSync(join(dir, '.gitignore'), 'secrets/\nkeys/id_*\n!keys/*.pub\n');
    expect(await ensureSecretsIgnored(dir)).toEqual([]);
    const own = clusterDir(false);
    writeFileSync(join(own, 'keys', '.gitignore'), 'mine\n');
    expect(await ensureSecretsIgnored(own)).toEqual([join(own, 'secrets', '.gitignore')]);
    expect(readFileSync(join(own, 'keys', '.gitignore'), 'utf8')).toBe('mine\n');
  });
});
