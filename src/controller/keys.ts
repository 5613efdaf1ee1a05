// SSH key pairs kept in <cluster>/keys/ (id_<user>, id_<user>.pub), generated once on
// the controller. New pairs are ed25519 from node:crypto, written in OpenSSH's formats
// by openssh-key.ts; every pair, new or found, is parsed back and proved against its
// .pub before it is used. A broken pair is refused before any connection, with the safe
// way to replace it: a deploy then installs the new pair and replaces the old key on
// every host where it was installed or authorized.
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkKeyPair, generateEd25519Pair } from './openssh-key.js';

export interface KeyPair {
  privateKey: string;
  publicKey: string;
  /** The base64 key blob, used to recognise the key in authorized_keys. */
  blob: string;
}

export function keyPath(clusterDir: string, user: string): string {
  return join(clusterDir, 'keys', `id_${user}`);
}

type Found = { state: 'absent' } | { state: 'ok'; pair: KeyPair } | { state: 'broken'; issue: ConfigIssue };

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function brokenIssue(path: string, problem: string): ConfigIssue {
  return {
    message: `${path}: this key pair cannot be used: ${problem}`,
    hint:
      `move both files aside (mv ${path} ${path}.broken && mv ${path}.pub ${path}.pub.broken), then run deploy: ` +
      'it makes a new pair and replaces the old key on every host where it is installed or authorized ' +
      '(another cluster sharing this Barman server then needs a copy of the new pair)',
  };
}

async function findKeyPair(clusterDir: string, user: string): Promise<Found> {
  const path = keyPath(clusterDir, user);
  const [priv, pub] = await Promise.all([readText(path), readText(`${path}.pub`)]);
  if (priv === undefined && pub === undefined) return { state: 'absent' };
  if (priv === undefined) return { state: 'broken', issue: brokenIssue(path, `${path}.pub exists but the private key file is missing`) };
  if (pub === undefined) return { state: 'broken', issue: brokenIssue(path, `the private key file exists but ${path}.pub is missing`) };
  const check = checkKeyPair(priv, pub);
  if (!check.ok) return { state: 'broken', issue: brokenIssue(path, check.problem) };
  return { state: 'ok', pair: { privateKey: priv, publicKey: pub.trim(), blob: check.blob } };
}

/** Every broken pair among these users' keys (none missing is not a problem). */
export async function keyPairIssues(clusterDir: string, users: readonly string[]): Promise<ConfigIssue[]> {
  const found = await Promise.all([...new Set(users)].map((u) => findKeyPair(clusterDir, u)));
  return found.flatMap((f) => (f.state === 'broken' ? [f.issue] : []));
}

/** Refuse (exit 5, before any connection) when any of these users' pairs is broken. */
export async function assertKeyPairs(clusterDir: string, users: readonly string[]): Promise<void> {
  const issues = await keyPairIssues(clusterDir, users);
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The pair, proved; undefined when there is none; ConfigError when it is broken. */
export async function readKeyPair(clusterDir: string, user: string): Promise<KeyPair | undefined> {
  const f = await findKeyPair(clusterDir, user);
  if (f.state === 'broken') throw new ConfigError([f.issue]);
  return f.state === 'ok' ? f.pair : undefined;
}

/** Returns the existing pair, or generates one (mode 0600), proved before it is returned. */
export async function ensureKeyPair(clusterDir: string, user: string, clusterName: string): Promise<KeyPair> {
  const existing = await readKeyPair(clusterDir, user);
  if (existing) return existing;
  await mkdir(join(clusterDir, 'keys'), { recursive: true, mode: 0o700 });
  const pair = generateEd25519Pair(`${user}@${clusterName}`);
  const check = checkKeyPair(pair.privateKey, pair.publicKey);
  if (!check.ok) throw new Error(`internal error: a freshly generated key pair does not check: ${check.problem}`);
  const path = keyPath(clusterDir, user);
  // Written under temp names, then hard-linked into place (link never replaces a file):
  // a pair that appeared meanwhile (a concurrent run) is kept, never overwritten.
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(`${tmp}.pub`, `${pair.publicKey}\n`, { mode: 0o644, flag: 'wx' });
    await writeFile(tmp, pair.privateKey, { mode: 0o600, flag: 'wx' });
    await link(`${tmp}.pub`, `${path}.pub`);
    await link(tmp, path);
  } finally {
    await Promise.all([unlink(tmp).catch(() => undefined), unlink(`${tmp}.pub`).catch(() => undefined)]);
  }
  const got = await readKeyPair(clusterDir, user);
  if (!got) throw new Error(`could not read back ${path}`);
  return got;
}
