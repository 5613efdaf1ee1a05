// The local-shell connector: runs the engine's scripts under /bin/sh on this machine,
// as the current user, with a temp directory standing in for the host's root. It exists
// so that the runner and every resource can be tested without Docker: the scripts are
// the very ones sent over ssh. Resources under test use paths inside `root`; the host
// lock goes to <root>/var/lock (TPAB_LOCK_DIR), and <root>/bin comes first on PATH so a
// test can stand in a fake command (a psql that fails, say).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnreachableError } from '../errors.js';
import { runChild } from './child.js';
import { CommandTimeout, newCounters, type ConnectionCounters, type Connector, type ScriptOptions, type ScriptResult, type Session } from './connector.js';

export class LocalShellConnector implements Connector {
  readonly describe: string;
  /** Set to make connect() fail, as an unreachable host would. */
  unreachable?: string;
  constructor(
    readonly host: string,
    readonly root: string,
  ) {
    this.describe = `local shell in ${root}`;
  }
  connect(): Promise<Session> {
    if (this.unreachable !== undefined) return Promise.reject(new UnreachableError(this.host, this.unreachable));
    mkdirSync(join(this.root, 'var', 'lock'), { recursive: true });
    mkdirSync(join(this.root, 'bin'), { recursive: true });
    return Promise.resolve(new LocalShellSession(this.host, this.root));
  }
}

class LocalShellSession implements Session {
  readonly counters: ConnectionCounters = newCounters();
  readonly becomesRoot = false;
  private closed = false;
  constructor(
    readonly host: string,
    private readonly root: string,
  ) {
    this.counters.connections = 1;
  }

  runScript(script: string, opts: ScriptOptions): Promise<ScriptResult> {
    if (this.closed) return Promise.reject(new UnreachableError(this.host, 'connection lost: session closed'));
    this.counters.channels++;
    const input = Buffer.from(script, 'utf8');
    this.counters.bytesOut += input.length;
    const env = { ...process.env, PATH: `${join(this.root, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, TPAB_LOCK_DIR: join(this.root, 'var', 'lock'), LC_ALL: 'C' };
    const onBytesIn = (n: number): void => {
      this.counters.bytesIn += n;
    };
    return runChild('/bin/sh', ['-s'], input, { cwd: this.root, env, timeoutMs: opts.timeoutMs, host: this.host, label: opts.label, onBytesIn }).catch((e: Error) => {
      throw e instanceof CommandTimeout ? e : new UnreachableError(this.host, `could not run '${opts.label}': ${e.message}`);
    });
  }

  close(): void {
    this.closed = true;
  }
}
