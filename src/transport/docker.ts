// The docker-exec connector, for TPA's docker platform: TPA's inventory says
// `ansible_connection=docker` for those hosts, and Ansible runs every task with
// `docker exec` in the container (named after the instance, or its ansible_host). No ssh
// and no host key: whoever may talk to the Docker daemon is root on those containers.
// Scripts run as root (`-u root`) through `/bin/sh -s`, the script on stdin, as over ssh.
import { UnreachableError } from '../errors.js';
import { runChild } from './child.js';
import { CommandTimeout, newCounters, type ConnectionCounters, type Connector, type ScriptOptions, type ScriptResult, type Session } from './connector.js';

export class DockerExecConnector implements Connector {
  readonly describe: string;
  constructor(
    readonly host: string,
    readonly container: string,
    private readonly docker = 'docker',
  ) {
    this.describe = `docker exec ${container}`;
  }

  /** "Connecting" asks the daemon whether the container runs: a clear error now, not mid-run. */
  async connect(): Promise<Session> {
    const started = Date.now();
    const r = await runChild(this.docker, ['inspect', '--type', 'container', '--format', '{{.State.Running}}', this.container], '', { timeoutMs: 20_000 }).catch((e: Error) => {
      throw new UnreachableError(this.host, `cannot run ${this.docker}: ${e.message}`, 'the docker platform needs the docker CLI on this machine, with access to the daemon that runs the containers');
    });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n')[0] ?? '';
      throw new UnreachableError(this.host, `docker container ${this.container} not found${why ? ` (${why})` : ''}`, 'tpaexec provision creates the containers; `docker ps -a` lists them');
    }
    if (r.stdout.trim() !== 'true') throw new UnreachableError(this.host, `docker container ${this.container} is not running`, `start it: docker start ${this.container}`);
    const session = new DockerExecSession(this.host, this.container, this.docker);
    session.counters.connections = 1;
    session.counters.connectMs = Date.now() - started;
    return session;
  }
}

class DockerExecSession implements Session {
  readonly counters: ConnectionCounters = newCounters();
  readonly becomesRoot = false;
  private closed = false;
  constructor(
    readonly host: string,
    private readonly container: string,
    private readonly docker: string,
  ) {}

  async runScript(script: string, opts: ScriptOptions): Promise<ScriptResult> {
    if (this.closed) throw new UnreachableError(this.host, 'connection lost: session closed');
    this.counters.channels++;
    const input = Buffer.from(script, 'utf8');
    this.counters.bytesOut += input.length;
    const onBytesIn = (n: number): void => {
      this.counters.bytesIn += n;
    };
    const r = await runChild(this.docker, ['exec', '-i', '-u', 'root', this.container, '/bin/sh', '-s'], input, { timeoutMs: opts.timeoutMs, host: this.host, label: opts.label, onBytesIn }).catch((e: Error) => {
      throw e instanceof CommandTimeout ? e : new UnreachableError(this.host, `could not run '${opts.label}': ${e.message}`);
    });
    // `docker exec` itself fails with 125-127 when the container went away.
    if (r.code >= 125 && r.code <= 127 && /No such container|is not running|OCI runtime/i.test(r.stderr)) {
      throw new UnreachableError(this.host, `docker exec in ${this.container} failed: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    return r;
  }

  close(): void {
    this.closed = true;
  }
}
