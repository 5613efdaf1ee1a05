// Test support for the real multi-host Docker lab (docker/lab).
//
//   const lab = await startLab({ postgres: 2, barman: 1 });   // builds images if needed
//   await lab.exec('pg1', 'psql --version');                  // docker exec, as root
//   await lab.psql('pg1', 'select 1');                        // as postgres, SQL on stdin
//   await cli(['ping', lab.dir]);                             // node dist/src/cli.js ...
//   await lab.down();
//
// Each call makes a lab with a unique name under <repo>/labs/<name> (gitignored): a
// ready TPA cluster dir (config.yml, id_lab, tpa_known_hosts, lab.json). A missing
// Docker is a failure (startLab throws), never a skip.
//
// Kinds of host: an OS (bookworm: PostgreSQL 15 + Barman 3.4; trixie: PostgreSQL 17 +
// Barman 3.13) and a layout (debian: Debian's cluster in /etc/postgresql/<v>/main,
// pg_ctlcluster; tpa: TPA's /opt/postgres/data and `postgres` service). A lab's kind
// comes from startLab's os/layout options, else from TPA_BARMAN_LAB_KIND (bookworm,
// trixie, bookworm-tpa, trixie-tpa; default bookworm), which vitest.config.ts sets per
// project so one test file runs on every kind. Tests reach kind-specific paths and
// commands through lab.pg (never by writing /etc/postgresql/15/main themselves).
// TPA_BARMAN_KEEP_LABS=1 keeps labs (containers and dir) after down() for debugging.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentProblem } from './schema.js';

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
 * whenever CI is set, which would break text assertions). With --json among the
 * arguments, stdout must be one document valid against its JSON Schema, with the
 * process's exit code (test/support/schema.ts); otherwise cli() rejects.
 */
export async function cli(args: readonly string[], opts: CliOptions = {}): Promise<RunResult> {
  const r = await run(process.execPath, [CLI_JS, ...args], {
    ...opts,
    env: { NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs ?? 180_000,
  });
  // The --json contract (issue 19): every run with --json prints one document its schema accepts.
  const problem = args.includes('--json') && r.code !== 124 ? documentProblem(r.stdout, r.code) : undefined;
  if (problem) throw new Error(`tpa-barman ${args.join(' ')}: ${problem}\nstderr:\n${r.stderr.slice(-2000)}`);
  return r;
}

export async function dockerAvailable(): Promise<boolean> {
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  return r.code === 0;
}

const isCI = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

export type LabOs = 'bookworm' | 'trixie';
export type LabLayout = 'debian' | 'tpa';

export interface LabKind {
  os: LabOs;
  layout: LabLayout;
}

/** Every kind of lab host, by name: `<os>` (Debian layout) or `<os>-tpa`. */
export const LAB_KINDS: readonly string[] = ['bookworm', 'trixie', 'bookworm-tpa', 'trixie-tpa'];

/** PostgreSQL major that each OS ships (and the lab's images run). */
export const OS_POSTGRES_MAJOR: Readonly<Record<LabOs, number>> = { bookworm: 15, trixie: 17 };

export function labKindName(k: LabKind): string {
  return k.layout === 'debian' ? k.os : `${k.os}-${k.layout}`;
}

export function parseLabKind(text: string): LabKind {
  const m = /^(bookworm|trixie)(?:-(tpa|debian))?$/.exec(text.trim());
  if (!m) throw new Error(`lab kind ${JSON.stringify(text)}: expected one of ${LAB_KINDS.join(', ')}`);
  return { os: m[1] as LabOs, layout: (m[2] ?? 'debian') as LabLayout };
}

/** The kind a test file runs on unless it asks for one: TPA_BARMAN_LAB_KIND, default bookworm. */
export function defaultLabKind(): LabKind {
  return parseLabKind(process.env.TPA_BARMAN_LAB_KIND || 'bookworm');
}

/** Where PostgreSQL lives on a lab host of this kind, and how it is driven. */
export interface PostgresLayout {
  version: number;
  binDir: string;
  dataDir: string;
  /** Directory of postgresql.conf and pg_hba.conf (Debian: /etc; TPA: the data directory). */
  confDir: string;
  hbaFile: string;
  /** The include directory the server's postgresql.conf already reads. */
  includeDir: string;
  /** Shell commands (as root) that reload / restart the server the host's own way. */
  reload: string;
  restart: string;
  /** What the host's PostgreSQL paths a digest of managed state covers. */
  managedPaths: string[];
}

export function postgresLayout(kind: LabKind): PostgresLayout {
  const v = OS_POSTGRES_MAJOR[kind.os];
  const binDir = `/usr/lib/postgresql/${v}/bin`;
  if (kind.layout === 'tpa') {
    const d = '/opt/postgres/data';
    return {
      version: v,
      binDir,
      dataDir: d,
      confDir: d,
      hbaFile: `${d}/pg_hba.conf`,
      includeDir: `${d}/conf.d`,
      reload: 'service postgres reload',
      restart: 'service postgres restart',
      managedPaths: [`${d}/pg_hba.conf`, `${d}/pg_ident.conf`, `${d}/postgresql.conf`, `${d}/postgresql.auto.conf`, `${d}/conf.d`],
    };
  }
  const c = `/etc/postgresql/${v}/main`;
  return {
    version: v,
    binDir,
    dataDir: `/var/lib/postgresql/${v}/main`,
    confDir: c,
    hbaFile: `${c}/pg_hba.conf`,
    includeDir: `${c}/conf.d`,
    reload: `pg_ctlcluster ${v} main reload`,
    restart: `pg_ctlcluster ${v} main restart`,
    managedPaths: ['/etc/postgresql', `/var/lib/postgresql/${v}/main/postgresql.auto.conf`],
  };
}

export interface LabHost {
  name: string;
  ip: string;
  container: string;
  /** postgres: a primary; replica: a streaming replica of `upstream`; barman: a Barman host. */
  kind: 'postgres' | 'replica' | 'barman';
  /** Runs PostgreSQL (every postgres and replica host; a barman host with barmanPostgres). */
  postgres: boolean;
  upstream?: string;
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
  kind: LabKind;
  /** e.g. `trixie-tpa`: for test titles and messages. */
  kindName: string;
  /** PostgreSQL's paths and commands on this lab's PostgreSQL hosts. */
  pg: PostgresLayout;
  host(name: string): LabHost;
  /** run a shell command (bash -c) inside a host container (docker exec), as root unless opts.user */
  exec(hostName: string, script: string, opts?: ExecOptions): Promise<RunResult>;
  /** run SQL (on stdin, so no shell quoting) with psql -XAtq as the postgres OS user; rejects on failure */
  psql(hostName: string, sql: string): Promise<string>;
  /** rewrite config.yml of the lab dir (or another dir) */
  writeConfig(yamlText: string, dir?: string): Promise<void>;
  down(): Promise<void>;
}

export interface StartLabOptions {
  name?: string;
  postgres: number;
  barman: number;
  /** streaming replicas replica1..N of pg1, made with pg_basebackup at start */
  replicas?: number;
  /** Barman hosts also run PostgreSQL (TPA's M1 barman + witness host) */
  barmanPostgres?: boolean;
  /** default: defaultLabKind() */
  os?: LabOs;
  layout?: LabLayout;
  user?: 'root' | 'admin';
  /** cluster dir; default <repo>/labs/<name> */
  dir?: string;
}

interface LabJson {
  name: string;
  network: string;
  subnet: string;
  os: LabOs;
  layout: LabLayout;
  postgresVersion: number;
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
  const { name, network, subnet, hosts, os, layout, postgres_version: postgresVersion } = doc;
  if (typeof name !== 'string' || typeof network !== 'string' || typeof subnet !== 'string') {
    return bad('name, network and subnet must be strings');
  }
  if (os !== 'bookworm' && os !== 'trixie') return bad('bad os');
  if (layout !== 'debian' && layout !== 'tpa') return bad('bad layout');
  if (typeof postgresVersion !== 'number') return bad('postgres_version must be a number');
  if (!Array.isArray(hosts)) return bad('hosts must be an array');
  const parsed: LabHost[] = hosts.map((h: unknown, i) => {
    if (!isRecord(h)) return bad(`hosts[${i}] is not an object`);
    const { name: hn, ip, container, kind, postgres, upstream } = h;
    if (typeof hn !== 'string' || typeof ip !== 'string' || typeof container !== 'string') {
      return bad(`hosts[${i}]: name, ip and container must be strings`);
    }
    if (kind !== 'postgres' && kind !== 'replica' && kind !== 'barman') return bad(`hosts[${i}]: bad kind`);
    if (typeof postgres !== 'boolean') return bad(`hosts[${i}]: postgres must be a boolean`);
    if (upstream !== undefined && typeof upstream !== 'string') return bad(`hosts[${i}]: upstream must be a string`);
    return upstream === undefined ? { name: hn, ip, container, kind, postgres } : { name: hn, ip, container, kind, postgres, upstream };
  });
  return { name, network, subnet, os, layout, postgresVersion, hosts: parsed };
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
  const fallback = defaultLabKind();
  const kind: LabKind = { os: opts.os ?? fallback.os, layout: opts.layout ?? fallback.layout };
  if (!(await dockerAvailable())) {
    throw new Error(
      `startLab: Docker does not answer \`docker info\`${isCI() ? ' (CI=true: this is a failure, not a skip)' : ''}. ` +
        'As root on Debian, `docker/ensure-docker` installs and starts it.',
    );
  }
  installExitHook();
  liveLabs.set(name, dir);
  const args = [LAB_SCRIPT, 'up', '--name', name, '--postgres', String(opts.postgres), '--barman', String(opts.barman)];
  args.push('--replicas', String(opts.replicas ?? 0), '--os', kind.os, '--layout', kind.layout, '--user', user, '--dir', dir);
  if (opts.barmanPostgres) args.push('--barman-postgres');
  const up = await run('bash', args, { timeoutMs: 20 * 60_000 }); // includes a first, uncached image build
  if (up.code !== 0) {
    liveLabs.delete(name);
    throw new Error(`docker/lab up --name ${name} failed (exit ${up.code}):\n${up.stderr.slice(-4000)}`);
  }
  const labJsonPath = join(dir, 'lab.json');
  const info = parseLabJson(await readFile(labJsonPath, 'utf8'), labJsonPath);
  const pg = postgresLayout(kind);
  if (info.os !== kind.os || info.layout !== kind.layout || info.postgresVersion !== pg.version) {
    throw new Error(`${labJsonPath}: lab is ${info.os}/${info.layout}/PostgreSQL ${info.postgresVersion}, asked for ${kind.os}/${kind.layout}/PostgreSQL ${pg.version}`);
  }
  let isDown = false;

  const lab: Lab = {
    name,
    dir,
    subnet: info.subnet,
    hosts: info.hosts,
    kind,
    kindName: labKindName(kind),
    pg,
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
    async psql(hostName: string, sql: string): Promise<string> {
      const r = await lab.exec(hostName, 'runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres', { input: sql });
      if (r.code !== 0) throw new Error(`psql on ${hostName} (${lab.kindName}) failed (exit ${r.code}):\n${r.stderr}`);
      return r.stdout.trim();
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
