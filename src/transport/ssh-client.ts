// Logging in to one ssh server with ssh2, its host key verified during key exchange,
// before authentication: used for every host (connection.ts) and every bastion (jump.ts).
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { UnreachableError } from '../errors.js';
import type { ConnectOptions, SshTarget } from './connection.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownKeyTypes,
  loadKnownHosts,
  lookupName,
  type HostKeyVerdict,
} from './known-hosts.js';

/**
 * An ssh2 client logged in to `target`, its host key verified during key exchange
 * (before authentication) against opts.knownHostsFiles under the target's address and
 * name. `sock` carries the connection when it is tunnelled through a bastion.
 */
export async function connectClient(target: SshTarget, opts: ConnectOptions, sock?: Duplex): Promise<Client> {
  const entries = await loadKnownHosts(opts.knownHostsFiles);
  const names = [lookupName(target.address, target.port), lookupName(target.name, target.port)];
  const types = knownKeyTypes(entries, names);
  let verdict: HostKeyVerdict = { status: 'unknown' };
  let presented: Buffer | undefined;

  const config: ConnectConfig = {
    host: target.address,
    port: target.port,
    username: target.user,
    readyTimeout: opts.connectTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: 3,
    // Never accept a key silently: verified here, during key exchange, before auth.
    hostVerifier: (key: Buffer): boolean => {
      presented = key;
      verdict = checkHostKey(entries, names, key);
      if (verdict.status === 'ok') return true;
      return verdict.status === 'unknown' && opts.acceptNewHostKeys;
    },
  };
  if (sock) config.sock = sock;
  if (types.length > 0) {
    // Prefer the algorithms we hold keys for, as OpenSSH does, so a host with an
    // ed25519 entry is not reported "changed" because it offered RSA first.
    config.algorithms = { serverHostKey: preferredHostKeyAlgorithms(types) };
  }
  if (target.privateKeyFile) {
    try {
      config.privateKey = await readFile(target.privateKeyFile);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new UnreachableError(target.name, `cannot read the key file ${target.privateKeyFile} (${code})`, 'set ssh_key_file (config.yml) or IdentityFile (ssh_config) to a private key on this machine');
    }
  } else if (process.env.SSH_AUTH_SOCK) {
    config.agent = process.env.SSH_AUTH_SOCK;
  }

  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (err) => reject(err));
      client.connect(config);
    });
  } catch (err) {
    // ssh2 may emit more errors while it tears down (e.g. after a handshake timeout);
    // an unheard 'error' event would crash the process.
    client.on('error', () => undefined);
    client.end();
    throw hostKeyOrConnectError(target, verdict, presented, err as Error, opts);
  }
  if (verdict.status === 'unknown' && presented && opts.acceptNewHostKeys) {
    const file = opts.knownHostsFiles[0];
    if (file) await appendKnownHost(file, lookupName(target.address, target.port), presented);
  }
  client.setNoDelay(true);
  return client;
}

function preferredHostKeyAlgorithms(types: string[]): ServerHostKeyAlgorithm[] {
  const all: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const wanted = new Set<string>();
  for (const t of types) {
    if (t === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => wanted.add(a));
    else wanted.add(t);
  }
  return all.filter((a) => wanted.has(a));
}

function hostKeyOrConnectError(
  target: SshTarget,
  verdict: HostKeyVerdict,
  presented: Buffer | undefined,
  err: Error,
  opts: ConnectOptions,
): UnreachableError {
  const where = `${target.address}:${target.port}`;
  if (presented && verdict.status === 'changed') {
    const old = verdict.expected.map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.file}:${e.line})`).join(', ');
    return new UnreachableError(
      target.name,
      `HOST KEY CHANGED for ${where}: presented ${keyTypeOf(presented)} ${fingerprint(presented)}, expected ${old}. Refused before authentication; nothing was run.`,
      `if the host was really re-installed, remove the old line from ${verdict.expected[0]?.file ?? 'tpa_known_hosts'} and verify the new fingerprint out of band`,
    );
  }
  if (presented && verdict.status === 'revoked') {
    return new UnreachableError(target.name, `host key ${fingerprint(presented)} for ${where} is marked @revoked; refused`);
  }
  if (presented && verdict.status === 'unknown' && !opts.acceptNewHostKeys) {
    return new UnreachableError(
      target.name,
      `unknown host key for ${where}: ${keyTypeOf(presented)} ${fingerprint(presented)}. Refused.`,
      `verify the fingerprint, then re-run with --accept-new-host-keys (appends to ${opts.knownHostsFiles[0] ?? 'tpa_known_hosts'}), or add it with: ssh-keyscan -t ed25519 -p ${target.port} ${target.address} >> ${opts.knownHostsFiles[0] ?? 'tpa_known_hosts'}`,
    );
  }
  const msg = err.message;
  if (/All configured authentication methods failed/i.test(msg)) {
    return new UnreachableError(target.name, `authentication failed for ${target.user}@${where}`, `check ssh_key_file and ansible_user`);
  }
  if (/Timed out while waiting for handshake/i.test(msg)) {
    return new UnreachableError(target.name, `no ssh handshake from ${where} within ${opts.connectTimeoutMs / 1000} s`);
  }
  return new UnreachableError(target.name, `cannot connect to ${where}: ${msg}`);
}
