// Test support for the real multi-host Docker lab (docker/lab).
//
//   const lab = await startLab({ postgres: 2, barman: 1 });   // builds images if needed
//   await lab.exec('pg1', 'psql --version');                  // docker exec, as root
//   await cli(['ping', lab.dir]);                             // node dist/src/cli.js ...
//   await lab.down();
//
// Each call makes a lab with a unique name under <repo>/labs/<name> (gitignored): a
// ready TPA cluster dir (config.yml, id_lab, tpa_known_hosts, lab.json). A missing
// Docker is a failure (startLab throws), never a skip.
// TPA_BARMAN_KEEP_LABS=1 keeps labs (containers and dir) after down() for debugging.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT: string = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const LAB_SCRIPT: string = join(REPO_ROOT, 'docker', 'lab');
export const CLI_JS: string = join(REPO_ROOT, 'dist', 'src', 'cli.js');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  cwd?: string;
  /** merged over process.env */
  env?: Record<string, string | undefined>;
  /** written to stdin, which is then closed (stdin is always closed) */
  input?: string;
  /** killed (whole process group, SIGKILL) after this long; code 124 */
  timeoutMs?: number;
}

/** Runs a command without a shell; never rejects: spawn errors give code 127. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills grandchildren too
    });
    const finish = (code: number, extra = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extra,
        code,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish(127, `\n[spawn ${cmd} failed: ${e.message}]`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(124, `\n[${cmd} killed after ${timeoutMs} ms]`);
      else finish(code ?? (signal ? 128 : 1));
    });
    child.stdin.on('error', () => undefined); // EPIPE if the child does not read
    child.stdin.end(opts.input ?? '');
  });
}

export type CliOptions = RunOptions;

/**
 * Runs the built CLI: `node dist/src/cli.js ...args` from the repo root, bounded
 * (default 180 s). NO_COLOR=1 unless opts.env sets it (picocolors colours output
 * whenever CI is set, which would break text assertions).
 */
export function cli(args: readonly string[], opts: CliOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CLI_JS, ...args], {
    ...opts,
    env: { NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs ?? 180_000,
  });
}

export async function dockerAvailable(): Promise<boolean> {
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  return r.code === 0;
}

const isCI = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

export interface LabHost {
  name: string;
  ip: string;
  container: string;
  kind: 'postgres' | 'barman';
}

export interface ExecOptions {
  user?: string;
  input?: string;
  timeoutMs?: number;
}

export interface Lab {
  name: string;
  dir: string;
  subnet: string;
  hosts: LabHost[];
  host(name: string): LabHost;
  /** run a shell command (bash -c) inside a host container (docker exec), as root unless opts.user */
  exec(hostName: string, script: string, opts?: ExecOptions): Promise<RunResult>;
  /** rewrite config.yml of the lab dir (or another dir) */
  writeConfig(yamlText: string, dir?: string): Promise<void>;
  down(): Promise<void>;
}

export interface StartLabOptions {
  name?: string;
  postgres: number;
  barman: number;
  user?: 'root' | 'admin';
  /** cluster dir; default <repo>/labs/<name> */
  dir?: string;
}

interface LabJson {
  name: string;
  network: string;
  subnet: string;
  hosts: LabHost[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseLabJson(text: string, path: string): LabJson {
  const doc: unknown = JSON.parse(text);
  const bad = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  if (!isRecord(doc)) return bad('not an object');
  const { name, network, subnet, hosts } = doc;
  if (typeof name !== 'string' || typeof network !== 'string' || typeof subnet !== 'string') {
    return bad('name, network and subnet must be strings');
  }
  if (!Array.isArray(hosts)) return bad('hosts must be an array');
  const parsed: LabHost[] = hosts.map((h: unknown, i) => {
    if (!isRecord(h)) return bad(`hosts[${i}] is not an object`);
    const { name: hn, ip, container, kind } = h;
    if (typeof hn !== 'string' || typeof ip !== 'string' || typeof container !== 'string') {
      return bad(`hosts[${i}]: name, ip and container must be strings`);
    }
    if (kind !== 'postgres' && kind !== 'barman') return bad(`hosts[${i}]: bad kind`);
    return { name: hn, ip, container, kind };
  });
  return { name, network, subnet, hosts: parsed };
}

const liveLabs = new Map<string, string>(); // name -> dir
let exitHookInstalled = false;

// Safety net: a worker that dies without running afterAll still removes its labs.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (process.env.TPA_BARMAN_KEEP_LABS === '1') return;
    for (const [name, dir] of liveLabs) {
      spawnSync('bash', [LAB_SCRIPT, 'down', '--name', name, '--purge', '--dir', dir], {
        stdio: 'ignore',
        timeout: 60_000,
      });
    }
  });
}

function uniqueName(): string {
  return `t${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function startLab(opts: StartLabOptions): Promise<Lab> {
  const name = opts.name ?? uniqueName();
  const dir = resolve(opts.dir ?? join(REPO_ROOT, 'labs', name));
  const user = opts.user ?? 'root';
  if (!(await dockerAvailable())) {
    throw new Error(
      `startLab: Docker does not answer \`docker info\`${isCI() ? ' (CI=true: this is a failure, not a skip)' : ''}. ` +
        'As root on Debian, `docker/ensure-docker` installs and starts it.',
    );
  }
  installExitHook();
  liveLabs.set(name, dir);
  const up = await run(
    'bash',
    [LAB_SCRIPT, 'up', '--name', name, '--postgres', String(opts.postgres), '--barman', String(opts.barman), '--user', user, '--dir', dir],
    { timeoutMs: 20 * 60_000 }, // includes a first, uncached image build
  );
  if (up.code !== 0) {
    liveLabs.delete(name);
    throw new Error(`docker/lab up --name ${name} failed (exit ${up.code}):\n${up.stderr.slice(-4000)}`);
  }
  const labJsonPath = join(dir, 'lab.json');
  const info = parseLabJson(await readFile(labJsonPath, 'utf8'), labJsonPath);
  let isDown = false;

  const lab: Lab = {
    name,
    dir,
    subnet: info.subnet,
    hosts: info.hosts,
    host(hostName: string): LabHost {
      const h = info.hosts.find((x) => x.name === hostName);
      if (!h) throw new Error(`lab ${name} has no host ${hostName} (has ${info.hosts.map((x) => x.name).join(', ')})`);
      return h;
    },
    exec(hostName: string, script: string, eopts: ExecOptions = {}): Promise<RunResult> {
      const h = lab.host(hostName);
      const args = ['exec', '-i'];
      if (eopts.user) args.push('-u', eopts.user);
      args.push(h.container, 'bash', '-c', script);
      const ropts: RunOptions = { timeoutMs: eopts.timeoutMs ?? 300_000 };
      if (eopts.input !== undefined) ropts.input = eopts.input;
      return run('docker', args, ropts);
    },
    async writeConfig(yamlText: string, where?: string): Promise<void> {
      await writeFile(join(where ?? dir, 'config.yml'), yamlText);
    },
    async down(): Promise<void> {
      if (isDown) return;
      if (process.env.TPA_BARMAN_KEEP_LABS === '1') {
        process.stderr.write(`TPA_BARMAN_KEEP_LABS=1: keeping lab ${name} (${dir}); docker/lab down --name ${name} --purge\n`);
        isDown = true;
        liveLabs.delete(name);
        return;
      }
      const r = await run('bash', [LAB_SCRIPT, 'down', '--name', name, '--purge', '--dir', dir], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`docker/lab down --name ${name} failed (exit ${r.code}):\n${r.stderr}`);
      isDown = true;
      liveLabs.delete(name);
    },
  };
  return lab;
}

/** OpenSSH client arguments that log in to a lab host with the lab's key, verifying its host key. */
export function opensshArgs(lab: Lab, hostName: string, user = 'root'): string[] {
  const h = lab.host(hostName);
  return [
    '-F', '/dev/null',
    '-i', join(lab.dir, 'id_lab'),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${join(lab.dir, 'tpa_known_hosts')}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    `${user}@${h.ip}`,
  ];
}
