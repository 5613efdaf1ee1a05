// Passwords kept in <cluster>/secrets/<name>_password (0600 in a 0700 directory),
// generated once and reused on every deploy. They are never printed or logged.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePassword } from '../postgres/scram.js';

export function secretPath(clusterDir: string, name: string): string {
  return join(clusterDir, 'secrets', `${name}_password`);
}

export async function readSecret(clusterDir: string, name: string): Promise<string | undefined> {
  try {
    return (await readFile(secretPath(clusterDir, name), 'utf8')).replace(/\n$/, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function storeSecret(clusterDir: string, name: string, value: string): Promise<void> {
  await mkdir(join(clusterDir, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(secretPath(clusterDir, name), `${value}\n`, { mode: 0o600, flag: 'wx' });
}

export async function ensureSecret(clusterDir: string, name: string): Promise<string> {
  const existing = await readSecret(clusterDir, name);
  if (existing !== undefined) return existing;
  const value = generatePassword();
  try {
    await storeSecret(clusterDir, name, value);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readSecret(clusterDir, name)) ?? value;
    throw err;
  }
  return value;
}
