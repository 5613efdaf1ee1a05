// One whole-process run of the 30-resource play against every postgres host of a lab.
// Usage: node dist/bench/engine-play.js LAB_DIR   (prints one JSON line)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlay } from '../src/engine/runner.js';
import { SshConnector } from '../src/transport/connection.js';
import { thirtyResources } from './thirty-resources.js';

interface LabJson {
  hosts: Array<{ name: string; ip: string; kind: string }>;
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: engine-play LAB_DIR\n');
  process.exit(5);
}
const lab = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabJson;
const hosts = lab.hosts.filter((h) => h.kind === 'postgres');
const t0 = process.hrtime.bigint();
const result = await runPlay(
  {
    name: 'bench',
    phases: ['one'],
    hosts: hosts.map((h) => ({ name: h.name, pg: { osUser: 'postgres', port: 5432 } })),
    build: () => hosts.flatMap((h) => thirtyResources(h.ip, 'bench\n', 'bench-password-1').map((resource) => ({ host: h.name, phase: 0, resource }))),
  },
  {
    mode: 'apply',
    forks: 32,
    connector: (name) => {
      const ip = hosts.find((h) => h.name === name)?.ip ?? '';
      return new SshConnector(
        { name, address: ip, port: 22, user: 'root', privateKeyFile: join(dir, 'id_lab') },
        { knownHostsFiles: [join(dir, 'tpa_known_hosts')], acceptNewHostKeys: false, connectTimeoutMs: 30_000 },
      );
    },
    selection: {},
    keepGoing: false,
    holder: 'bench',
    lockWaitSeconds: 60,
  },
);
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({
    exit: result.exitCode,
    changed: result.results.filter((r) => r.status === 'changed').length,
    failed: result.results.filter((r) => r.status === 'failed').length,
    maxConnections: Math.max(...result.hosts.map((h) => h.counters?.connections ?? 0)),
    maxExecs: Math.max(...result.hosts.map((h) => h.execs)),
    maxChannels: Math.max(...result.hosts.map((h) => h.counters?.channels ?? 0)),
    inProcessMs: Number(process.hrtime.bigint() - t0) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
process.exitCode = result.exitCode;
