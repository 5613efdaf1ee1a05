// SSH key pairs kept in <cluster>/keys/, generated once on the controller (never
// replaced). ssh2's generator writes OpenSSH-format ed25519 keys, so no ssh-keygen is
// needed on the controller.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface KeyPair {
  privateKey: string;
  publicKey: string;
  /** The base64 key blob, used to recognise the key in authorized_keys. */
  blob: string;
}

export function keyPath(clusterDir: string, user: string): string {
  return join(clusterDir, 'keys', `id_${user}`);
}

export async function readKeyPair(clusterDir: string, user: string): Promise<KeyPair | undefined> {
  const path = keyPath(clusterDir, user);
  try {
    const [priv, pub] = await Promise.all([readFile(path, 'utf8'), readFile(`${path}.pub`, 'utf8')]);
    return { privateKey: priv, publicKey: pub.trim(), blob: pub.trim().split(/\s+/)[1] ?? '' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Returns the existing pair, or generates one (mode 0600) if there is none. */
export async function ensureKeyPair(clusterDir: string, user: string, clusterName: string): Promise<KeyPair> {
  const existing = await readKeyPair(clusterDir, user);
  if (existing) return existing;
  await mkdir(join(clusterDir, 'keys'), { recursive: true, mode: 0o700 });
  const pair = utils.generateKeyPairSync('ed25519', { comment: `${user}@${clusterName}` });
  const path = keyPath(clusterDir, user);
  // 'wx': never overwrite a key that appeared meanwhile (a concurrent run).
  await writeFile(path, pair.private, { mode: 0o600, flag: 'wx' });
  await writeFile(`${path}.pub`, `${pair.public}\n`, { mode: 0o644, flag: 'wx' });
  const got = await readKeyPair(clusterDir, user);
  if (!got) throw new Error(`could not read back ${path}`);
  return got;
}
