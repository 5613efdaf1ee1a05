// The ssh2 connector: one ssh2 connection per host. Everything runs as a script on stdin
// of a fixed, harmless `/bin/sh -s` (through `sudo -n` when the login user is not root).
// Host keys are verified during key exchange, before authentication.
import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { UnreachableError } from '../errors.js';
import { Semaphore } from './semaphore.js';
import { CommandTimeout, newCounters, type ConnectionCounters, type Connector, type ScriptOptions, type ScriptResult, type Session } from './connector.js';
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

export { CommandTimeout, ReadOnlyViolation, type ConnectionCounters } from './connector.js';

export interface SshTarget {
  /** Inventory name, for messages and as an alias in known_hosts lookups. */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
}

export interface ConnectOptions {
  /** known_hosts files in lookup order; the first is where new keys are appended. */
  knownHostsFiles: string[];
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs?: number;
}

/** Reaches one host over ssh2 (the Connector for real hosts). */
export class SshConnector implements Connector {
  readonly host: string;
  readonly describe: string;
  constructor(
    readonly target: SshTarget,
    private readonly opts: ConnectOptions,
  ) {
    this.host = target.name;
    this.describe = `ssh ${target.user}@${target.address}:${target.port}`;
  }
  connect(): Promise<Session> {
    return HostConnection.open(this.target, this.opts);
  }
}

export const MAX_CHANNELS = 4;
const SUDO_PASSWORD_RE = /sudo: (a password is required|a terminal is required|no tty present)/;

interface ExecOptions extends ScriptOptions {
  stdin?: Buffer;
}

class HostConnection implements Session {
  readonly counters: ConnectionCounters = newCounters();
  private readonly channelSlots = new Semaphore(MAX_CHANNELS);
  private closed = false;
  private lastError?: Error;

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
  ) {
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('close', () => {
      this.closed = true;
    });
  }

  get host(): string {
    return this.target.name;
  }

  get becomesRoot(): boolean {
    return this.target.user !== 'root';
  }

  static async open(target: SshTarget, opts: ConnectOptions): Promise<HostConnection> {
    const started = Date.now();
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
    if (types.length > 0) {
      // Prefer the algorithms we hold keys for, as OpenSSH does, so a host with an
      // ed25519 entry is not reported "changed" because it offered RSA first.
      config.algorithms = { serverHostKey: preferredHostKeyAlgorithms(types) };
    }
    if (target.privateKeyFile) {
      config.privateKey = await readFile(target.privateKeyFile);
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
    const conn = new HostConnection(target, client);
    conn.counters.connections = 1;
    conn.counters.connectMs = Date.now() - started;
    return conn;
  }

  /** Run a POSIX sh script, sent on stdin of `/bin/sh -s` (never in argv), as root. */
  async runScript(script: string, opts: ScriptOptions): Promise<ScriptResult> {
    if (this.closed) {
      throw new UnreachableError(this.target.name, `connection lost${this.lastError ? `: ${this.lastError.message}` : ''}`);
    }
    const command = this.becomesRoot ? 'sudo -n -- /bin/sh -s' : '/bin/sh -s';
    const result = await this.channelSlots.with(() => this.execOnce(command, { ...opts, stdin: Buffer.from(script, 'utf8') }));
    if (this.becomesRoot && result.code !== 0 && SUDO_PASSWORD_RE.test(result.stderr)) {
      throw new UnreachableError(
        this.target.name,
        `sudo needs a password for ${this.target.user}`,
        `configure passwordless sudo (NOPASSWD) for ${this.target.user}, or connect as root`,
      );
    }
    return result;
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }

  private async execOnce(command: string, opts: ExecOptions): Promise<ScriptResult> {
    const channel = await this.openChannel(command, opts.label);
    return new Promise<ScriptResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code = -1;
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          channel.close();
          reject(new CommandTimeout(this.target.name, opts.label, opts.timeoutMs ?? 0));
        }, opts.timeoutMs);
      }
      const onClientClose = (): void => {
        if (timer) clearTimeout(timer);
        reject(new UnreachableError(this.target.name, `connection lost during '${opts.label}'`));
      };
      this.client.once('close', onClientClose);
      channel.on('data', (d: Buffer) => {
        this.counters.bytesIn += d.length;
        out.push(d);
      });
      channel.stderr.on('data', (d: Buffer) => {
        this.counters.bytesIn += d.length;
        err.push(d);
      });
      channel.on('exit', (c: number | null, signal?: string) => {
        code = c ?? (signal ? 128 : -1);
      });
      channel.on('close', () => {
        if (timer) clearTimeout(timer);
        this.client.removeListener('close', onClientClose);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code });
      });
      if (opts.stdin !== undefined) {
        this.counters.bytesOut += opts.stdin.length;
        channel.end(opts.stdin);
      } else {
        channel.end();
      }
    });
  }

  /** Open a channel, retrying sshd's transient "open failed" (MaxSessions churn). */
  private async openChannel(command: string, label: string): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ch = await new Promise<ClientChannel>((resolve, reject) => {
          this.client.exec(command, (err, stream) => (err ? reject(err) : resolve(stream)));
        });
        this.counters.channels++;
        return ch;
      } catch (err) {
        const msg = (err as Error).message;
        if (attempt < 5 && /open failed|Channel open failure/i.test(msg)) {
          this.counters.channelRetries++;
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          continue;
        }
        throw new UnreachableError(this.target.name, `could not run '${label}': ${msg}`);
      }
    }
  }
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
