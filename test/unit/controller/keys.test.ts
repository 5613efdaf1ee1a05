// Key pairs: ours always load in OpenSSH; a broken pair (ssh2's dropped zero byte, a
// mismatched .pub) is refused with the file and the safe way out.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertKeyPairs, ensureKeyPair, keyPairIssues, readKeyPair } from '../../../src/controller/keys.js';
import { checkKeyPair, generateEd25519Pair, parsePublicLine } from '../../../src/controller/openssh-key.js';
import { ConfigError } from '../../../src/errors.js';
import { ssh2BrokenPair } from '../../support/keys.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'tpab-keys-'));

/** What OpenSSH itself derives from a private key file (ssh-keygen -y), or its error. */
function opensshPublic(privateKey: string): { code: number; out: string } {
  const dir = tmp();
  const f = join(dir, 'k');
  writeFileSync(f, privateKey, { mode: 0o600 });
  const r = spawnSync('ssh-keygen', ['-y', '-f', f], { encoding: 'utf8' });
  if (r.error) throw r.error; // no ssh-keygen: a failure, not a skip
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('ed25519 pairs written by us', () => {
  it('100 fresh pairs each check, and ssh-keygen -y derives exactly the .pub from each', () => {
    for (let i = 0; i < 100; i++) {
      const p = generateEd25519Pair(`barman@c${i}`);
      expect(checkKeyPair(p.privateKey, p.publicKey).ok).toBe(true);
      const got = opensshPublic(p.privateKey);
      expect(got.code, got.out).toBe(0);
      expect(got.out.split(' ').slice(0, 2).join(' ')).toBe(p.publicKey.split(' ').slice(0, 2).join(' '));
    }
  });

  it('keys made by ssh-keygen (ed25519 and RSA, as TPA makes them) check too', () => {
    const dir = tmp();
    for (const t of ['ed25519', 'rsa']) {
      execFileSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', 'barman@tpa', '-f', join(dir, t)]);
      const priv = execFileSync('cat', [join(dir, t)], { encoding: 'utf8' });
      const pub = execFileSync('cat', [join(dir, `${t}.pub`)], { encoding: 'utf8' });
      expect(checkKeyPair(priv, pub)).toMatchObject({ ok: true, type: `ssh-${t}` });
    }
  });
});

describe('broken pairs', () => {
  it("ssh2's short ed25519 key: OpenSSH refuses it, and so do we", () => {
    const bad = ssh2BrokenPair();
    expect(opensshPublic(bad.private).code).not.toBe(0);
    const c = checkKeyPair(bad.private, bad.public);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.problem).toMatch(/31-byte ed25519 public key/);
  });

  it('a .pub of another key, a missing half, an encrypted key, garbage', () => {
    const a = generateEd25519Pair('a');
    const b = generateEd25519Pair('b');
    expect(checkKeyPair(a.privateKey, b.publicKey)).toEqual({ ok: false, problem: 'the .pub file holds another key than the private key file' });
    expect(checkKeyPair('hello', a.publicKey).ok).toBe(false);
    expect(checkKeyPair(a.privateKey, 'ssh-ed25519 AAAA!').ok).toBe(false);
    const dir = tmp();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(dir, 'enc')]);
    const enc = checkKeyPair(execFileSync('cat', [join(dir, 'enc')], { encoding: 'utf8' }), execFileSync('cat', [join(dir, 'enc.pub')], { encoding: 'utf8' }));
    expect(enc.ok).toBe(false);
    if (!enc.ok) expect(enc.problem).toMatch(/encrypted/);
  });

  it('a broken pair in keys/ is refused with the file and the safe replacement', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'keys'));
    const bad = ssh2BrokenPair();
    writeFileSync(join(dir, 'keys', 'id_barman'), bad.private, { mode: 0o600 });
    writeFileSync(join(dir, 'keys', 'id_barman.pub'), `${bad.public}\n`);
    const issues = await keyPairIssues(dir, ['postgres', 'barman']);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain(`${join(dir, 'keys', 'id_barman')}: this key pair cannot be used`);
    expect(issues[0]?.hint).toContain(`mv ${join(dir, 'keys', 'id_barman')} ${join(dir, 'keys', 'id_barman')}.broken`);
    expect(issues[0]?.hint).toContain('replaces the old key on every host where it is installed or authorized');
    await expect(assertKeyPairs(dir, ['barman'])).rejects.toBeInstanceOf(ConfigError);
    await expect(readKeyPair(dir, 'barman')).rejects.toBeInstanceOf(ConfigError);
    await expect(ensureKeyPair(dir, 'barman', 'c')).rejects.toBeInstanceOf(ConfigError);
    // Half a pair is broken too.
    writeFileSync(join(dir, 'keys', 'id_postgres.pub'), `${generateEd25519Pair('p').publicKey}\n`);
    expect((await keyPairIssues(dir, ['postgres']))[0]?.message).toMatch(/private key file is missing/);
  });
});

describe('ensureKeyPair', () => {
  it('generates a checked pair once (0600), and returns the same pair after', async () => {
    const dir = tmp();
    const p = await ensureKeyPair(dir, 'barman', 'alpha');
    expect(statSync(join(dir, 'keys', 'id_barman')).mode & 0o777).toBe(0o600);
    expect(p.publicKey).toMatch(/^ssh-ed25519 \S+ barman@alpha$/);
    expect(parsePublicLine(p.publicKey).blob.toString('base64')).toBe(p.blob);
    expect(await ensureKeyPair(dir, 'barman', 'alpha')).toEqual(p);
    expect(opensshPublic(p.privateKey).code).toBe(0);
  });
});
