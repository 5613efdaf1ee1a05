// How a host runs its PostgreSQL, read from the host: a systemd unit (TPA's `postgres`,
// Debian's `postgresql@<v>-<name>`), Debian's pg_ctlcluster, a SysV `postgres` service
// where there is no systemd, or, as the last resort, pg_ctl on the data directory.
// Reload is always pg_reload_conf(): the server itself, whatever runs it.
import { ProbeParseError } from './probe.js';
import type { PostgresServerFacts } from './postgres-server.js';
import { psqlCommand, type PgAccess } from './scripts.js';
import { sameHostPath } from '../util/host-path.js';
import { shellQuote } from '../util/shell.js';

export interface ServiceFacts {
  /** systemd is the init system (/run/systemd/system exists). */
  systemd: boolean;
  /**
   * Running systemd services whose main process is a postmaster, with that process's
   * working directory: a postmaster runs in its data directory. (Not the PID: it changes
   * at every restart, and discovery is compared run to run.)
   */
  units: Array<{ unit: string; dataDir: string }>;
  /** Debian's clusters (pg_lsclusters), when postgresql-common is installed. */
  debianClusters: Array<{ version: string; cluster: string; port: number; dataDir: string }>;
  /** Executable SysV init scripts of the service name asked about. */
  initScripts: string[];
}

export type PostgresManager =
  | { kind: 'systemd'; unit: string }
  | { kind: 'pg_ctlcluster'; version: string; cluster: string }
  | { kind: 'init-script'; name: string }
  | { kind: 'pg_ctl'; binDir: string; dataDir: string };

/**
 * Shell that prints the sections @@systemd, @@debian and @@initd. It exits non-zero only
 * when a tool that is there fails (systemctl, pg_lsclusters): then it could not look.
 */
export function serviceFactsSh(serviceName: string): string {
  return [
    'echo @@systemd',
    'if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then',
    '  echo yes',
    "  _u=$(systemctl list-units --type=service --state=running --no-legend --plain | awk '{print $1}') || exit 1",
    '  if [ -n "$_u" ]; then',
    '    _s=$(systemctl show -p Id -p MainPID $_u) || exit 1',
    `    printf '%s\n\n' "$_s" | awk -F= '/^Id=/{id=$2} /^MainPID=/{pid=$2} /^$/{if (id != "" && pid > 0) print id, pid; id=""; pid=0}' |`,
    '      while read -r _id _pid; do',
    '        case "$(cat /proc/$_pid/comm 2>/dev/null)" in',
    `          postgres | postmaster | edb-postgres) printf 'Id=%s\nDataDir=%s\n\n' "$_id" "$(readlink /proc/$_pid/cwd)" ;;`,
    '        esac',
    '      done',
    '  fi',
    'else echo no; fi',
    'echo @@debian',
    'if command -v pg_lsclusters >/dev/null 2>&1; then pg_lsclusters --no-header || exit 1; fi',
    'echo @@initd',
    `if [ -x /etc/init.d/${shellQuote(serviceName)} ]; then echo ${shellQuote(serviceName)}; fi`,
    'echo @@service-end',
  ].join('\n');
}

function section(out: string, name: string, next: string): string {
  const start = out.indexOf(`@@${name}\n`);
  const end = out.indexOf(`@@${next}`, start);
  if (start < 0 || end < 0) throw new ProbeParseError(`the service section @@${name} is missing`);
  return out.slice(start + name.length + 3, end);
}

/** The output of serviceFactsSh, typed. */
export function parseServiceFacts(out: string): ServiceFacts {
  const sd = section(out, 'systemd', 'debian').split('\n');
  const systemd = sd[0] === 'yes';
  if (!systemd && sd[0] !== 'no') throw new ProbeParseError('the systemd section is neither yes nor no');
  const units: ServiceFacts['units'] = [];
  // One block per postmaster unit: Id= and DataDir= lines, then a blank line.
  let block: { unit?: string; dataDir?: string } = {};
  const flush = (): void => {
    if (block.unit !== undefined && block.dataDir) units.push({ unit: block.unit, dataDir: block.dataDir });
    block = {};
  };
  for (const line of sd.slice(1)) {
    if (line.trim() === '') flush();
    else if (line.startsWith('Id=')) block.unit = line.slice(3);
    else if (line.startsWith('DataDir=')) block.dataDir = line.slice(8);
  }
  flush();
  const debianClusters: ServiceFacts['debianClusters'] = [];
  for (const line of section(out, 'debian', 'initd').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^\d+(\.\d+)?$/.test(f[0] ?? '')) continue;
    debianClusters.push({ version: f[0] ?? '', cluster: f[1] ?? '', port: Number(f[2]), dataDir: f[5] ?? '' });
  }
  const initScripts = section(out, 'initd', 'service-end')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { systemd, units, debianClusters, initScripts };
}



/**
 * What restarts this server: a systemd unit or Debian cluster counts only when its data
 * directory is this server's.
 */
export function findManager(server: PostgresServerFacts, svc: ServiceFacts, serviceName: string): PostgresManager {
  if (svc.systemd) {
    const unit = svc.units.find((u) => sameHostPath(u.dataDir, server.dataDirectory));
    if (unit) return { kind: 'systemd', unit: unit.unit };
  }
  const deb = svc.debianClusters.find((c) => sameHostPath(c.dataDir, server.dataDirectory));
  if (deb) return { kind: 'pg_ctlcluster', version: deb.version, cluster: deb.cluster };
  if (!svc.systemd && svc.initScripts.includes(serviceName)) return { kind: 'init-script', name: serviceName };
  return { kind: 'pg_ctl', binDir: server.binDir, dataDir: server.dataDirectory };
}

export function describeManager(m: PostgresManager): string {
  switch (m.kind) {
    case 'systemd':
      return `systemd unit ${m.unit}`;
    case 'pg_ctlcluster':
      return `pg_ctlcluster ${m.version} ${m.cluster}`;
    case 'init-script':
      return `service ${m.name}`;
    case 'pg_ctl':
      return `pg_ctl -D ${m.dataDir}`;
  }
}

/** Tell the server to re-read its configuration files. */
export function reloadScript(pg: PgAccess): string {
  return `(cd / && ${psqlCommand(pg, '-XAtq -v ON_ERROR_STOP=1')} -c 'SELECT pg_reload_conf()' >/dev/null)`;
}

/**
 * Restart through the manager that runs the server, then wait (bounded) until it
 * accepts connections again: a systemd or SysV restart may return before it does.
 * `pgCtlLog` is where a pg_ctl restart sends the server's output (never our channel).
 */
export function restartScript(m: PostgresManager, pg: PgAccess, pgCtlLog: string, waitSeconds = 120): string {
  let restart: string;
  switch (m.kind) {
    case 'systemd':
      restart = `systemctl restart ${shellQuote(m.unit)}`;
      break;
    case 'pg_ctlcluster':
      restart = `pg_ctlcluster ${shellQuote(m.version)} ${shellQuote(m.cluster)} restart`;
      break;
    case 'init-script':
      restart = `service ${shellQuote(m.name)} restart`;
      break;
    case 'pg_ctl':
      restart = `(cd / && runuser -u ${shellQuote(pg.osUser)} -- ${shellQuote(`${m.binDir}/pg_ctl`)} -D ${shellQuote(m.dataDir)} restart -m fast -w -t 300 -s -l ${shellQuote(pgCtlLog)})`;
      break;
  }
  const ping = `(cd / && ${psqlCommand(pg, '-XAtq')} -c 'SELECT 1' >/dev/null 2>&1)`;
  return [
    `${restart} || exit 1`,
    'i=0',
    `until ${ping}; do`,
    `  i=$((i+1)); if [ $i -ge ${waitSeconds} ]; then echo "PostgreSQL did not accept connections within ${waitSeconds} s of its restart (${describeManager(m)})" >&2; exit 1; fi`,
    '  sleep 1',
    'done',
  ].join('\n');
}
