// The local-shell connector: runs the engine's scripts under /bin/sh on this machine,
// as the current user, with a temp directory standing in for the host's root. It exists
// so that the runner and every resource can be tested without Docker: the scripts are
// the very ones sent over ssh. Resources under test use paths inside `root`; the host
// lock goes to <root>/var/lock (TPAB_LOCK_DIR), and <root>/bin comes first on PATH so a
// test can stand in a fake command (a psql that fails, say).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UnreachableError } from '../errors.js';
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
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-s'], {
        cwd: this.root,
        env: { ...process.env, PATH: `${join(this.root, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, TPAB_LOCK_DIR: join(this.root, 'var', 'lock'), LC_ALL: 'C' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new CommandTimeout(this.host, opts.label, opts.timeoutMs ?? 0));
        }, opts.timeoutMs);
      }
      child.stdout.on('data', (d: Buffer) => {
        this.counters.bytesIn += d.length;
        out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        this.counters.bytesIn += d.length;
        err.push(d);
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new UnreachableError(this.host, `could not run '${opts.label}': ${e.message}`));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? (signal ? 128 : -1) });
      });
      child.stdin.on('error', () => undefined); // EPIPE when the script exits early
      child.stdin.end(input);
    });
  }

  close(): void {
    this.closed = true;
  }
}
