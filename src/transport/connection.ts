// One ssh2 connection per host. Everything the engine runs on a host goes through
// HostConnection.exec: the command is fixed and harmless in argv, data and scripts
// travel on stdin, and every call declares whether it is read-only so that plan mode
// can be enforced here, below every step (see ReadOnlyViolation).
import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { UnreachableError } from '../errors.js';
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
  /** Refuse any exec not declared read-only (plan mode). */
  readOnly: boolean;
  keepaliveIntervalMs?: number;
}

export interface ExecOptions {
  /** Must be declared by every caller; in plan mode only read-only commands may run. */
  readOnly: boolean;
  /** Run through `sudo -n` when the login user is not root (default true). */
  become?: boolean;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Short description for errors and verbose output. */
  label: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ConnectionCounters {
  connections: number;
  channels: number;
  channelRetries: number;
  bytesOut: number;
  bytesIn: number;
  connectMs: number;
}

/** Raised when a step that changes state is attempted in plan mode: a bug, never user error. */
export class ReadOnlyViolation extends Error {
  constructor(host: string, label: string) {
    super(`internal error: '${label}' on ${host} is not read-only and was refused in plan mode`);
    this.name = 'ReadOnlyViolation';
  }
}

export class CommandTimeout extends Error {
  constructor(host: string, label: string, ms: number) {
    super(`${host}: '${label}' did not finish within ${Math.round(ms / 1000)} s`);
    this.name = 'CommandTimeout';
  }
}

const MAX_CHANNELS = 4;
const SUDO_PASSWORD_RE = /sudo: (a password is required|a terminal is required|no tty present)/;

export class HostConnection {
  readonly counters: ConnectionCounters = {
    connections: 0,
    channels: 0,
    channelRetries: 0,
    bytesOut: 0,
    bytesIn: 0,
    connectMs: 0,
  };
  private active = 0;
  private waiters: Array<() => void> = [];
  private closed = false;
  private lastError?: Error;

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly readOnly: boolean,
  ) {
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('close', () => {
      this.closed = true;
    });
  }

  get isRoot(): boolean {
    return this.target.user === 'root';
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
    const conn = new HostConnection(target, client, opts.readOnly);
    conn.counters.connections = 1;
    conn.counters.connectMs = Date.now() - started;
    return conn;
  }

  /** Run a command; the caller's script goes on stdin (`sh -s`), never in argv. */
  async exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.readOnly && !opts.readOnly) throw new ReadOnlyViolation(this.target.name, opts.label);
    if (this.closed) {
      throw new UnreachableError(this.target.name, `connection lost${this.lastError ? `: ${this.lastError.message}` : ''}`);
    }
    const become = opts.become ?? true;
    const full = become && !this.isRoot ? `sudo -n -- ${command}` : command;
    await this.acquire();
    try {
      const result = await this.execOnce(full, opts);
      if (become && !this.isRoot && result.code !== 0 && SUDO_PASSWORD_RE.test(result.stderr)) {
        throw new UnreachableError(
          this.target.name,
          `sudo needs a password for ${this.target.user}`,
          `configure passwordless sudo (NOPASSWD) for ${this.target.user}, or connect as root`,
        );
      }
      return result;
    } finally {
      this.release();
    }
  }

  /** Convenience: run a POSIX sh script (sent on stdin) through /bin/sh -s. */
  runScript(script: string, opts: Omit<ExecOptions, 'stdin'>): Promise<ExecResult> {
    return this.exec('/bin/sh -s', { ...opts, stdin: script });
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }

  private async execOnce(command: string, opts: ExecOptions): Promise<ExecResult> {
    const channel = await this.openChannel(command, opts.label);
    return new Promise<ExecResult>((resolve, reject) => {
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
        const data = typeof opts.stdin === 'string' ? Buffer.from(opts.stdin, 'utf8') : opts.stdin;
        this.counters.bytesOut += data.length;
        channel.end(data);
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

  private async acquire(): Promise<void> {
    if (this.active < MAX_CHANNELS) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiters.shift()?.();
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
