// The ssh2 connector: one ssh2 connection per host. Everything runs as a script on stdin
// of a fixed, harmless `/bin/sh -s` (through `sudo -n` when the login user is not root).
// Host keys are verified during key exchange, before authentication.
import type { Client, ClientChannel } from 'ssh2';
import { UnreachableError } from '../errors.js';
import { tunnel, type JumpHop } from './jump.js';
import { Semaphore } from './semaphore.js';
import { CommandTimeout, newCounters, type ConnectionCounters, type Connector, type ScriptOptions, type ScriptResult, type Session } from './connector.js';
import { connectClient } from './ssh-client.js';

export { CommandTimeout, ReadOnlyViolation, type ConnectionCounters } from './connector.js';

export interface SshTarget {
  /** Inventory name, for messages and as an alias in known_hosts lookups. */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  /** Bastions to go through, first one connected to directly (ssh_config ProxyJump). */
  jumps?: JumpHop[];
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
    // Through bastions (ssh_config ProxyJump): ssh over a channel forwarded by the last hop.
    const via = target.jumps?.length ? await tunnel(target.name, target.jumps, target.address, target.port, opts) : undefined;
    let client: Client;
    try {
      client = await connectClient(target, opts, via?.sock);
    } catch (err) {
      via?.done();
      throw err;
    }
    if (via) client.once('close', via.done);
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

