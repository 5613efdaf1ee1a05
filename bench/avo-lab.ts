// Labs for bench/ansible-vs-ours.ts: docker/lab with the bench images, a TPA cluster
// directory written from lab.json (N PostgreSQL hosts, one Barman host per 8 of them),
// and the key pairs and passwords both tools read from it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { ensureKeyPair } from '../src/controller/keys.js';
import { ensureSecret } from '../src/controller/secrets.js';

const execFileP = promisify(execFile);

export interface LabHost {
  /** docker/lab's host name (pg1, barman1): the container's hostname. */
  name: string;
  ip: string;
  container: string;
  kind: 'postgres' | 'barman';
  /** The instance Name in config.yml (see instanceName). */
  instance: string;
}

export interface Lab {
  dockerName: string;
  dir: string;
  clusterName: string;
  hosts: LabHost[];
  subnet: string;
  /** ip → ssh host key blob, from tpa_known_hosts. */
  hostKeys: Map<string, string>;
  /** Each container's CPU accounting file (cgroup v1 cpuacct.usage, ns), when there is one. */
  cpuFiles: string[];
}

interface LabJson {
  subnet: string;
  hosts: Array<{ name: string; ip: string; container: string; kind: 'postgres' | 'barman' }>;
}

export function barmanCount(npg: number): number {
  return Math.ceil(npg / 8);
}

/** Instance names as docker/lab gives them: pg1 … pgN (pg1 and pg10 in one cluster on purpose), barman1 …. */
export function instanceName(kind: 'postgres' | 'barman', index: number): string {
  return kind === 'barman' ? `barman${index}` : `pg${index}`;
}

export function labScript(root: string): string {
  return join(root, 'docker', 'lab');
}

/** The lab's OS families (docker/lab --os) and the PostgreSQL major each one runs. */
export type LabOs = 'bookworm' | 'trixie';
export const OS_POSTGRES_MAJOR: Readonly<Record<LabOs, number>> = { bookworm: 15, trixie: 17 };

/** Start a lab from the bench images of an OS family (default Debian 12) and write its cluster directory. */
export async function labUp(root: string, dockerName: string, dir: string, clusterName: string, npg: number, os: LabOs = 'bookworm'): Promise<Lab> {
  const nbm = barmanCount(npg);
  execFileSync('bash', [labScript(root), 'up', '--name', dockerName, '--postgres', String(npg), '--barman', String(nbm), '--dir', dir, '--images', 'bench', '--os', os], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 900_000,
  });
  const json = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabJson;
  const hosts: LabHost[] = json.hosts.map((h) => {
    const index = Number(/(\d+)$/.exec(h.name)?.[1] ?? '0');
    return { ...h, instance: instanceName(h.kind, index) };
  });
  writeClusterConfig(dir, clusterName, hosts, npg, OS_POSTGRES_MAJOR[os]);
  // Key pairs and passwords: generated once (tpa-barman's own controller code), kept in
  // the cluster directory across lab re-creations; both tools read the same files.
  await ensureKeyPair(dir, 'postgres', clusterName);
  await ensureKeyPair(dir, 'barman', clusterName);
  await ensureSecret(dir, 'barman');
  await ensureSecret(dir, 'streaming_barman');
  const hostKeys = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'tpa_known_hosts'), 'utf8').split('\n')) {
    const [ip, , blob] = line.trim().split(/\s+/);
    if (ip && blob) hostKeys.set(ip, blob);
  }
  const ids = execFileSync('docker', ['inspect', '-f', '{{.Id}}', ...hosts.map((h) => h.container)], { encoding: 'utf8' }).trim().split('\n');
  const cpuFiles = ids.map((id) => `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`).filter((f) => existsSync(f));
  return { dockerName, dir, clusterName, hosts, subnet: json.subnet, hostKeys, cpuFiles: cpuFiles.length === hosts.length ? cpuFiles : [] };
}

/** CPU used so far by all the lab's containers (ms), or undefined without cgroup v1 accounting. */
export function targetCpuMs(lab: Lab): number | undefined {
  if (lab.cpuFiles.length === 0) return undefined;
  let ns = 0;
  for (const f of lab.cpuFiles) ns += Number(readFileSync(f, 'utf8').trim());
  return ns / 1e6;
}

/** config.yml: pgI backed up to barman ceil(I/8); names from instanceName(). */
function writeClusterConfig(dir: string, clusterName: string, hosts: LabHost[], npg: number, postgresVersion: number): void {
  const lines = [
    '---',
    `# written by bench/ansible-vs-ours.ts: ${npg} PostgreSQL hosts, ${barmanCount(npg)} Barman host(s)`,
    `cluster_name: ${clusterName}`,
    'ssh_key_file: id_lab',
    'cluster_vars:',
    `  postgres_version: ${postgresVersion}`,
    'instances:',
  ];
  hosts.forEach((h, i) => {
    lines.push(`- Name: ${h.instance}`, `  node: ${i + 1}`, `  role: [${h.kind === 'postgres' ? 'primary' : 'barman'}]`, '  platform: bare', `  ip_address: ${h.ip}`);
    if (h.kind === 'postgres') {
      const index = Number(/(\d+)$/.exec(h.name)?.[1] ?? '1');
      lines.push(`  backup: barman${Math.floor((index - 1) / 8) + 1}`);
    }
  });
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
}

/** Take a lab down (containers and network; the directory stays unless purge). */
export function labDown(root: string, dockerName: string, dir: string, purge: boolean): boolean {
  try {
    execFileSync('bash', [labScript(root), 'down', '--name', dockerName, '--dir', dir, ...(purge ? ['--purge'] : [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    return true;
  } catch (err) {
    process.stderr.write(`bench: docker/lab down --name ${dockerName} failed: ${(err as Error).message.split('\n')[0]}\n`);
    return false;
  }
}

export function labExists(dir: string): boolean {
  return existsSync(join(dir, 'lab.json'));
}

/** Run a shell script (on stdin) in every container, at most 8 at once. */
export async function execAll(hosts: LabHost[], script: (h: LabHost) => string): Promise<Map<string, string>> {
  const limit = pLimit(8);
  const out = new Map<string, string>();
  await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        out.set(h.instance, await execIn(h.container, script(h)));
      }),
    ),
  );
  return out;
}

export async function execIn(container: string, script: string): Promise<string> {
  const child = execFileP('docker', ['exec', '-i', container, 'sh', '-s'], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  child.child.stdin?.end(script);
  const { stdout } = await child;
  return stdout;
}

/**
 * Per host, the connections and session starts sshd logged between two instants (unix
 * seconds) for the controller: user root, from the lab network's gateway (Barman's own
 * ssh to postgres@ during `barman check` is not counted).
 */
export async function sshdCounts(lab: Lab, since: number, until: number): Promise<Map<string, { connections: number; sessions: number }>> {
  const hosts = lab.hosts;
  const from = `for root from ${lab.subnet.replace(/\.0\/24$/, '.1')} `;
  const limit = pLimit(8);
  const out = new Map<string, { connections: number; sessions: number }>();
  await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        const { stdout, stderr } = await execFileP('docker', ['logs', '--since', since.toFixed(3), '--until', until.toFixed(3), h.container], { maxBuffer: 64 * 1024 * 1024 });
        const text = stdout + stderr;
        const mine = text.split('\n').filter((l) => l.includes(from));
        out.set(h.instance, {
          connections: mine.filter((l) => l.startsWith('Accepted publickey ')).length,
          sessions: mine.filter((l) => l.startsWith('Starting session: ')).length,
        });
      }),
    ),
  );
  return out;
}
