// Running a local program with a script on its stdin: the docker-exec and local-shell
// connectors both come down to this.
import { spawn } from 'node:child_process';
import { CommandTimeout, type ScriptResult } from './connector.js';

export interface ChildOptions {
  /** Killed (SIGKILL) after this long; the promise then rejects with CommandTimeout. */
  timeoutMs?: number;
  /** For the CommandTimeout message. */
  host?: string;
  label?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the size of every chunk read from stdout and stderr (session counters). */
  onBytesIn?: (n: number) => void;
}

/** Run `cmd args` with `input` on stdin; resolves with its output and exit code, rejects if it cannot start. */
export function runChild(cmd: string, args: readonly string[], input: string | Buffer, opts: ChildOptions = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new CommandTimeout(opts.host ?? cmd, opts.label ?? cmd, opts.timeoutMs ?? 0));
      }, opts.timeoutMs);
    }
    child.stdout.on('data', (d: Buffer) => {
      opts.onBytesIn?.(d.length);
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      opts.onBytesIn?.(d.length);
      err.push(d);
    });
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? (signal ? 128 : -1) });
    });
    child.stdin.on('error', () => undefined); // EPIPE when the program exits before reading it all
    child.stdin.end(input);
  });
}
