// `tpa-barman restore --to HOST:DIR`: the checks on the destination host that come before
// anything is copied (read-only, over our own connection as root), and the plan text.
// The copy itself is the restore runner in 'restore' mode (barman restore / recover).
import { posix } from 'node:path';
import { formatBytes } from '../../src/report/format.js';
import { shellQuote } from '../../src/util/shell.js';
import type { BarmanModel } from './model.js';
import { describeTarget } from './restore/target.js';
import type { RestoreRunResult } from './restore/result.js';

export interface Destination {
  host: string;
  dir: string;
}

/** `HOST:DIR` of --to, checked against the inventory; throws a message for a usage error. */
export function parseDestination(model: BarmanModel, to: string): Destination {
  const i = to.indexOf(':');
  if (i <= 0) throw new Error(`--to ${JSON.stringify(to)}: expected HOST:DIR, e.g. pg2:/var/lib/postgresql/restored`);
  const host = to.slice(0, i);
  const dir = to.slice(i + 1);
  if (!model.postgresHosts.some((p) => p.name === host)) {
    throw new Error(`--to ${host}: not a PostgreSQL instance of this cluster (${model.postgresHosts.map((p) => p.name).join(', ') || 'none'})`);
  }
  if (!dir.startsWith('/') || dir.split('/').includes('..') || /[\0\n]/.test(dir)) throw new Error(`--to ${host}:${dir}: DIR must be an absolute path without ..`);
  const norm = posix.normalize(dir).replace(/\/+$/, '');
  if (norm === '' || norm.split('/').length < 3) throw new Error(`--to ${host}:${dir}: refusing a top-level directory; give a directory of its own, e.g. /var/lib/postgresql/restored`);
  return { host, dir: norm };
}

/** Read-only facts about DIR on its host: nearest existing ancestor, state, running clusters. */
export function destinationProbe(dir: string, osUser: string): string {
  const d = shellQuote(dir);
  return [
    `d=${d}`,
    'p=$d; while [ ! -e "$p" ] && [ "$p" != / ]; do p=$(dirname "$p"); done',
    'echo "ancestor $(readlink -f "$p")"',
    // readlink -m: symlinks resolved, missing parts kept (GNU coreutils).
    'echo "real $(readlink -m "$d")"',
    'if [ -e "$d" ] || [ -L "$d" ]; then',
    '  if [ ! -d "$d" ]; then echo "state notdir"; elif [ -n "$(ls -A "$d" 2>/dev/null)" ]; then echo "state nonempty"; else echo "state empty"; fi',
    '  [ -e "$d/postmaster.pid" ] && echo "pidfile $(head -n 1 "$d/postmaster.pid")"',
    'else echo "state missing"; fi',
    `runuser -u ${shellQuote(osUser)} -- test -w "$p" && echo "writable yes" || echo "writable no"`,
    // A postmaster is a postgres process whose parent is not one: its cwd is its data directory.
    'for s in /proc/[0-9]*/stat; do',
    '  pid=${s#/proc/}; pid=${pid%/stat}',
    '  comm=$(cat /proc/$pid/comm 2>/dev/null) || continue',
    '  case $comm in postgres|postmaster|edb-postgres) ;; *) continue ;; esac',
    '  ppid=$(awk \'{print $4}\' "$s" 2>/dev/null)',
    '  pcomm=$(cat /proc/$ppid/comm 2>/dev/null)',
    '  [ "$pcomm" = "$comm" ] && continue',
    // Reading another user's /proc/PID/cwd needs CAP_SYS_PTRACE (absent in containers): ask as its owner.
    '  cwd=$(readlink /proc/$pid/cwd 2>/dev/null)',
    '  [ -n "$cwd" ] || cwd=$(runuser -u "$(stat -c %U /proc/$pid)" -- readlink /proc/$pid/cwd 2>/dev/null)',
    '  [ -n "$cwd" ] || { echo "cluster-unknown $pid"; continue; }',
    '  echo "cluster $pid $cwd"',
    '  for t in "$cwd"/pg_tblspc/*; do [ -L "$t" ] && echo "tablespace $pid $(readlink -f "$t")"; done',
    'done',
    'exit 0',
  ].join('\n');
}

export interface DestinationFacts {
  ancestor: string;
  real: string;
  state: 'missing' | 'empty' | 'nonempty' | 'notdir' | 'unknown';
  writable: boolean;
  pidfile: string | null;
  clusters: Array<{ pid: number; dataDir: string }>;
  tablespaces: Array<{ pid: number; path: string }>;
  /** Postmasters whose data directory could not be read. */
  unknownClusters: number[];
}

export function parseDestinationProbe(dir: string, stdout: string): DestinationFacts {
  const f: DestinationFacts = { ancestor: '/', real: dir, state: 'unknown', writable: false, pidfile: null, clusters: [], tablespaces: [], unknownClusters: [] };
  for (const line of stdout.split('\n')) {
    const [k, ...rest] = line.split(' ');
    const v = rest.join(' ');
    if (k === 'ancestor') f.ancestor = v;
    else if (k === 'real') f.real = v;
    else if (k === 'state' && ['missing', 'empty', 'nonempty', 'notdir'].includes(v)) f.state = v as DestinationFacts['state'];
    else if (k === 'writable') f.writable = v === 'yes';
    else if (k === 'pidfile') f.pidfile = v;
    else if (k === 'cluster') f.clusters.push({ pid: Number(rest[0]), dataDir: rest.slice(1).join(' ') });
    else if (k === 'cluster-unknown') f.unknownClusters.push(Number(rest[0]));
    else if (k === 'tablespace') f.tablespaces.push({ pid: Number(rest[0]), path: rest.slice(1).join(' ') });
  }
  return f;
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** Why DIR must not be restored into, or null when it may (given --force). */
export function destinationRefusal(host: string, dir: string, f: DestinationFacts, force: boolean): string | null {
  for (const c of f.clusters) {
    if (inside(f.real, c.dataDir)) return `${host}:${dir} belongs to a running cluster (postmaster pid ${c.pid}, data directory ${c.dataDir})`;
    if (inside(c.dataDir, f.real)) return `${host}:${dir} contains the data directory of a running cluster (postmaster pid ${c.pid}, ${c.dataDir})`;
  }
  for (const t of f.tablespaces) {
    if (inside(f.real, t.path) || inside(t.path, f.real)) return `${host}:${dir} overlaps a tablespace of a running cluster (postmaster pid ${t.pid}, ${t.path})`;
  }
  // Cannot prove DIR is not a running cluster's: refuse rather than guess.
  if (f.unknownClusters.length > 0) return `cannot read the data directory of running postmaster(s) ${f.unknownClusters.join(', ')} on ${host}, so cannot rule out that ${dir} is in use`;
  if (f.pidfile !== null) return `${host}:${dir} has a postmaster.pid (pid ${f.pidfile}): it is, or was, a running cluster's data directory`;
  if (f.state === 'notdir') return `${host}:${dir} exists and is not a directory`;
  if (f.state === 'nonempty') return `${host}:${dir} is not empty`;
  if (f.state === 'empty' && !force) return `${host}:${dir} exists (empty); give --force to restore into it`;
  if (f.state === 'unknown') return `cannot tell the state of ${host}:${dir}`;
  if (!f.writable) return `${host}:${f.ancestor} is not writable by the PostgreSQL user, so Barman cannot create ${dir}`;
  return null;
}

/** The plan, as lines for the terminal. */
export function restorePlanLines(r: RestoreRunResult, dest: Destination, f: DestinationFacts | null): string[] {
  const lines = [`Restore of Barman server ${r.server} from ${r.barmanHost}${r.barmanVersion ? ` (Barman ${r.barmanVersion}: barman ${r.barmanCommand})` : ''}`];
  if (r.backup) {
    lines.push(`  backup       ${r.backup.id}${r.backup.endTime ? `, ended ${r.backup.endTime}` : ''}, ${formatBytes(r.backup.sizeBytes)}${r.backup.timeline !== null ? `, timeline ${r.backup.timeline}` : ''}`);
  }
  lines.push(`  target       ${describeTarget(r.target as Parameters<typeof describeTarget>[0])}`);
  lines.push(`  writes to    ${dest.host}:${dest.dir}${f ? ` (${f.state === 'missing' ? 'missing: Barman creates it' : f.state})` : ''}`);
  if (r.space) lines.push(`  space        about ${formatBytes(r.space.neededBytes)} needed, ${formatBytes(r.space.availableBytes)} free on ${dest.host}:${r.space.path}`);
  if (r.walMode) {
    lines.push(
      r.walMode === 'get-wal'
        ? `  WAL          fetched on start by restore_command (barman-wal-restore from ${r.barmanHost})`
        : `  WAL          copied into ${dest.dir}/barman_wal`,
    );
  }
  lines.push(`  tablespaces  ${r.tablespaces.length === 0 ? 'none' : r.tablespaces.map((t) => `${t.name} → ${t.location ?? '?'} (its original location)`).join(', ')}`);
  if (r.command) lines.push(`  command      ${r.command.map((a) => shellQuote(a)).join(' ')}`);
  lines.push('  afterwards   review postgresql.conf and postgresql.auto.conf in the copy before you start it');
  return lines;
}
