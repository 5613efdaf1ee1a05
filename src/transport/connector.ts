// The connector seam: how the engine reaches a host. Everything the engine (and every
// command) runs on a host is a POSIX sh script sent to a Session; how the script gets
// there is the connector's business. Implementations:
//   - ssh2 (`SshConnector`, connection.ts): the real thing, host keys always verified;
//   - a local /bin/sh in a temp root (`LocalShellConnector`, local.ts), for unit tests;
//   - later: docker exec (TPA's docker platform), ssh through a jump host.
//
// API (issue #15):
//   interface Connector { host; describe; connect(): Promise<Session> }   one per host
//   interface Session   { host; counters; runScript(script, opts): Promise<ScriptResult>; close() }
//   openSession(connector, { readOnly })   what callers use: plan mode's guard sits here
//
// A connector is bound to one host and knows everything needed to reach it (address,
// user, key, container...). connect() rejects with UnreachableError (src/errors.ts) when
// the host cannot be reached or refuses us; runScript() rejects with UnreachableError
// when the session is lost. The script goes on stdin (never in argv) and runs as root
// (a connector that logs in as another user becomes root itself, e.g. `sudo -n`).
// Scripts may read TPAB_LOCK_DIR (default /var/lock): the local connector points it into
// its temp root.

export interface ScriptOptions {
  /** Must be declared by every caller; a read-only session refuses anything else. */
  readOnly: boolean;
  /** Short description for errors and verbose output. */
  label: string;
  timeoutMs?: number;
}

export interface ScriptResult {
  /** Decoded as UTF-8: scripts that return bytes frame them in base64. */
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

export interface Session {
  /** The host's inventory name. */
  readonly host: string;
  readonly counters: ConnectionCounters;
  /** Whether scripts go through a privilege change (sudo) to become root. */
  readonly becomesRoot: boolean;
  runScript(script: string, opts: ScriptOptions): Promise<ScriptResult>;
  close(): void;
}

export interface Connector {
  /** The host's inventory name. */
  readonly host: string;
  /** How the host is reached, for messages: `ssh root@10.0.0.1:22`, `local shell in /tmp/x`. */
  readonly describe: string;
  connect(): Promise<Session>;
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

/** A session that refuses every script not declared read-only (plan mode). */
class ReadOnlySession implements Session {
  constructor(private readonly inner: Session) {}
  get host(): string {
    return this.inner.host;
  }
  get counters(): ConnectionCounters {
    return this.inner.counters;
  }
  get becomesRoot(): boolean {
    return this.inner.becomesRoot;
  }
  runScript(script: string, opts: ScriptOptions): Promise<ScriptResult> {
    if (!opts.readOnly) return Promise.reject(new ReadOnlyViolation(this.inner.host, opts.label));
    return this.inner.runScript(script, opts);
  }
  close(): void {
    this.inner.close();
  }
}

/**
 * Connect through any connector. With readOnly, the session refuses every script not
 * declared read-only: plan mode is enforced here, below every step and every connector.
 */
export async function openSession(connector: Connector, opts: { readOnly: boolean }): Promise<Session> {
  const session = await connector.connect();
  return opts.readOnly ? new ReadOnlySession(session) : session;
}

/** Counters of a session that has not moved a byte yet. */
export function newCounters(): ConnectionCounters {
  return { connections: 0, channels: 0, channelRetries: 0, bytesOut: 0, bytesIn: 0, connectMs: 0 };
}
