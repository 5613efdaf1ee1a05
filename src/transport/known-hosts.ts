// OpenSSH known_hosts reading and checking. Written by hand (no library does this
// well for ssh2): plain and hashed (|1|salt|hmac) host patterns, [host]:port,
// wildcards and negation, @revoked markers. @cert-authority lines are ignored.
import { createHash, createHmac } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
  file: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; expected: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    if (fields.length < 3) return;
    const [patterns, keyType, b64] = fields as [string, string, string];
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    entries.push({ marker, patterns, keyType, key, file, line: idx + 1 });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return mac === parts[3];
}

/** Does a comma-separated pattern list match `name`? A negated match wins. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const glob = negated ? p.slice(1) : p;
    // Most entries are plain names or addresses: compare them without building a RegExp
    // (every connection checks every entry of the file).
    const hit = /[*?]/.test(glob) ? globToRegExp(glob).test(name) : glob.toLowerCase() === name.toLowerCase();
    if (hit) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Key type stored inside an SSH wire-format public key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Check a presented host key against the entries for any of `names`.
 * Strict like OpenSSH with StrictHostKeyChecking=yes: a host that has entries, none of
 * which matches, has a changed key.
 */
export function checkHostKey(entries: KnownHostEntry[], names: string[], presented: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && names.some((n) => patternsMatch(e.patterns, n)));
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(presented));
  if (revoked) return { status: 'revoked', entry: revoked };
  const match = forHost.find((e) => e.marker === undefined && e.key.equals(presented));
  if (match) return { status: 'ok', entry: match };
  const expected = forHost.filter((e) => e.marker === undefined);
  if (expected.length > 0) return { status: 'changed', expected };
  return { status: 'unknown' };
}

/** Known key types for a host, so the handshake prefers an algorithm we can verify. */
export function knownKeyTypes(entries: KnownHostEntry[], names: string[]): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && names.some((n) => patternsMatch(e.patterns, n)))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

export async function loadKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** Append (never rewrite) a host key line to a known_hosts file. */
export async function appendKnownHost(file: string, name: string, blob: Buffer): Promise<void> {
  await appendFile(file, `${name} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o644 });
}
