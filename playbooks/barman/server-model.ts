// The model as the hosts really are: config.yml resolved with TPA's defaults, then
// checked against what each running PostgreSQL says about itself. Where config.yml is
// silent, the server's value is used (major version, bin and config directories);
// where it speaks and the server disagrees, that is a problem that refuses the run
// before any change, naming both values.
import type { Conflict } from '../../src/engine/ownership.js';
import { findManager } from '../../src/engine/postgres-service.js';
import { hostDirname, sameHostPath } from '../../src/util/host-path.js';
import { clientPackages, defaultPostgresBinDir, type PostgresFlavour } from './defaults.js';
import type { HostDiscovery } from './discovery.js';
import type { BarmanHostSpec, BarmanModel, PostgresHostSpec } from './model.js';

export interface ServerModel {
  model: BarmanModel;
  /** By host: what config.yml says that the running servers contradict. */
  problems: Map<string, Conflict[]>;
}

function serverSide(p: PostgresHostSpec, d: HostDiscovery | undefined, problems: Conflict[]): PostgresHostSpec {
  const s = d?.server;
  if (!s || !d.service || d.postgresHome === undefined) return p;
  const c = p.configured;
  const leaveOut = (name: string): string => `or leave ${name} out of config.yml: tpa-barman then uses what the server says`;
  if (c.version && c.version.value !== s.major) {
    problems.push({
      message: `postgres_version is ${c.version.value} in config.yml (${c.version.where}), but ${p.name} runs PostgreSQL ${s.major} (server_version_num ${s.versionNum})`,
      hint: `set postgres_version: ${s.major} for ${p.name}, ${leaveOut('postgres_version')}; an upgrade is not something tpa-barman does`,
    });
  }
  if (c.port && c.port.value !== s.port) {
    problems.push({ message: `postgres_port is ${c.port.value} in config.yml (${c.port.where}), but PostgreSQL on ${p.name} listens on port ${s.port}`, hint: `set postgres_port: ${s.port}, ${leaveOut('postgres_port')}` });
  }
  if (c.dataDir && !sameHostPath(c.dataDir.value, s.dataDirectory)) {
    problems.push({
      message: `postgres_data_dir is ${c.dataDir.value} in config.yml (${c.dataDir.where}), but PostgreSQL on ${p.name} runs from ${s.dataDirectory}`,
      hint: `set postgres_data_dir: ${s.dataDirectory}, ${leaveOut('postgres_data_dir')}`,
    });
  }
  const confDir = hostDirname(s.configFile);
  if (c.confDir && !sameHostPath(c.confDir.value, confDir)) {
    problems.push({
      message: `postgres_conf_dir is ${c.confDir.value} in config.yml (${c.confDir.where}), but PostgreSQL on ${p.name} reads ${s.configFile}`,
      hint: `set postgres_conf_dir: ${confDir}, ${leaveOut('postgres_conf_dir')}`,
    });
  }
  return {
    ...p,
    version: s.major,
    binDir: c.binDir ? p.binDir : s.binDir,
    confDir,
    server: { facts: s, manager: findManager(s, d.service, p.serviceName), includeDir: s.includeDirs.at(-1), home: d.postgresHome },
  };
}

/**
 * A Barman host runs the client tools (pg_basebackup, pg_receivewal) of the major its
 * servers run: its client packages and path_prefix follow them, once all are read.
 */
function barmanSide(b: BarmanHostSpec, pgs: ReadonlyMap<string, PostgresHostSpec>, problems: Conflict[]): BarmanHostSpec {
  const served = [...new Set(b.servers.flatMap((s) => [s.pgHost, ...(s.standby ? [s.standby.primaryHost] : [])]))].map((n) => pgs.get(n));
  if (served.length === 0 || served.some((p) => p?.server === undefined)) return b;
  const majors = new Map<number, string[]>();
  for (const p of served) if (p?.server) majors.set(p.server.facts.major, [...(majors.get(p.server.facts.major) ?? []), p.name]);
  if (majors.size > 1) {
    const list = [...majors].map(([m, hosts]) => `PostgreSQL ${m} (${hosts.join(', ')})`).join(' and ');
    problems.push({
      message: `${b.name} would back up ${list}: one Barman host runs one version of the PostgreSQL client tools (path_prefix in /etc/barman.conf)`,
      hint: 'back up each major version to a Barman host of its own',
    });
    return b;
  }
  const major = [...majors.keys()][0] ?? b.postgresVersion;
  const flavour = b.postgresFlavour as PostgresFlavour;
  const pathPrefix = b.configured.binDir ? b.global.pathPrefix : defaultPostgresBinDir(major, flavour);
  return { ...b, postgresVersion: major, clientPackages: clientPackages(flavour, major), global: { ...b.global, pathPrefix } };
}

export function withServerFacts(model: BarmanModel, disc: ReadonlyMap<string, HostDiscovery>): ServerModel {
  const problems = new Map<string, Conflict[]>();
  const listFor = (host: string): Conflict[] => {
    const l = problems.get(host) ?? [];
    problems.set(host, l);
    return l;
  };
  const postgresHosts = model.postgresHosts.map((p) => serverSide(p, disc.get(p.name), listFor(p.name)));
  const byName = new Map(postgresHosts.map((p) => [p.name, p]));
  const barmanHosts = model.barmanHosts.map((b) => barmanSide(b, byName, listFor(b.name)));
  for (const [h, l] of problems) if (l.length === 0) problems.delete(h);
  return { model: { ...model, postgresHosts, barmanHosts }, problems };
}
