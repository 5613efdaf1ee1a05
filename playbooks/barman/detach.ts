// `tpa-barman detach`: stop backing up this cluster on (some of) its Barman servers,
// taking away only what carries this cluster's marker. Backups and WAL stay on disk; the
// server configuration is set aside (`<name>.conf.detached`), not deleted, so the old
// backups can still be listed and restored by renaming it back.
//   phase "barman":   stop receive-wal, set server configs aside, remove cron files and
//                     this cluster's .pgpass, authorized_keys, known_hosts, /etc/hosts lines
//   phase "postgres": drop the now unread replication slot, remove this cluster's
//                     pg_hba lines and known_hosts entries for those Barman servers;
//                     archive_command ships only to the Barman servers that stay (with
//                     none left, it and our archive_mode go: a restart), and a
//                     restore_command fetching from a detached server goes
import type { ClusterSpec } from '../../src/config/types.js';
import type { KeyPair } from '../../src/controller/keys.js';
import type { HostTarget, Play } from '../../src/engine/play.js';
import { oneWord, shProbe } from '../../src/engine/probe.js';
import type { Placed, Resource } from '../../src/engine/resource.js';
import { markerText } from '../../src/engine/ownership.js';
import { CommandResource } from '../../src/engine/resources/command.js';
import { FileRemovalResource } from '../../src/engine/resources/file-removal.js';
import { LineRemovalResource } from '../../src/engine/resources/lines.js';
import { PgSlotAbsentResource } from '../../src/engine/resources/postgres-slot.js';
import { shellQuote } from '../../src/util/shell.js';
import { discoveryProbe, placeholderDiscovery, type HostDiscovery } from './discovery.js';
import { pgpassClaim } from './deploy.js';
import { pgAccessFor } from './pg-access.js';
import type { BarmanHostSpec, BarmanModel, PostgresHostSpec } from './model.js';
import { walSettingsAfterDetach } from './wal-settings.js';
import { hbaPath, postgresHandlers } from './postgres-files.js';
import { withServerFacts } from './server-model.js';

export const DETACH_PHASES = ['barman', 'postgres'];
const ON_BARMAN = 0;
const ON_POSTGRES = 1;
const RELOAD = 'handler:postgres-reload';
const RESTART = 'handler:postgres-restart';

/** The Barman hosts to detach from: the named one, or all of the cluster's. */
export function detachTargets(model: BarmanModel, only?: string): BarmanHostSpec[] {
  return only === undefined ? model.barmanHosts : model.barmanHosts.filter((b) => b.name === only);
}

export function detachPlay(cluster: ClusterSpec, model: BarmanModel, barmanKey: KeyPair | undefined, only?: string): Play<HostDiscovery> {
  const owner = cluster.name;
  const detached = detachTargets(model, only);
  const detachedNames = new Set(detached.map((b) => b.name));
  // Backed up there, or archiving to / restoring WAL from there (barman_archiver, restore_command).
  const affectedPg = model.postgresHosts.filter(
    (p) =>
      detached.some((b) => b.servers.some((s) => s.pgHost === p.name)) ||
      (p.wal.archive?.barmanHosts ?? []).some((b) => detachedNames.has(b)) ||
      (p.wal.restore !== undefined && detachedNames.has(p.wal.restore.barmanHost)),
  );
  const inInventory = new Set(cluster.hosts.map((h) => h.name));
  const targets: HostTarget[] = [];
  for (const name of [...detached.map((b) => b.name), ...affectedPg.map((p) => p.name)]) {
    const pg = affectedPg.find((p) => p.name === name);
    if (!inInventory.has(name) || targets.some((t) => t.name === name)) continue;
    targets.push({ name, pg: pg ? pgAccessFor(pg) : undefined });
  }
  return {
    name: 'barman-detach',
    hosts: targets,
    phases: DETACH_PHASES,
    discover: (host) => {
      const pg = affectedPg.find((p) => p.name === host);
      return pg ? discoveryProbe({ user: pg.user, serviceName: pg.serviceName }) : undefined;
    },
    placeholder: () => placeholderDiscovery(),
    build: (discovered) => {
      const placed: Placed[] = [];
      for (const b of detached) for (const r of barmanSide(owner, b)) placed.push({ host: b.name, phase: ON_BARMAN, resource: r });
      // The instances as they run (their own hba_file, include directory, service manager).
      const running = new Map(withServerFacts(model, discovered).model.postgresHosts.map((p) => [p.name, p]));
      for (const configured of affectedPg) {
        const p = running.get(configured.name) ?? configured;
        // Without its discovery (it failed: a host error) the host is not planned at all.
        const home = p.server?.home ?? discovered.get(p.name)?.postgresHome ?? '/var/lib/postgresql';
        for (const r of postgresSide(owner, p, detached, detachedNames, home, barmanKey)) placed.push({ host: p.name, phase: ON_POSTGRES, resource: r });
      }
      return placed;
    },
  };
}

/**
 * Stops `barman receive-wal` for one server and waits (bounded) until it has exited.
 * `barman cron` restarts a stopped receiver within a minute while the server config is
 * still there, so the stop holds Barman's own global cron lock (an flock on
 * <barman_home>/.cron.lock, taken as the barman user so the file stays theirs): a cron run
 * meanwhile fails to take it and starts nothing. The stop is repeated while waiting in
 * case a receiver started just before the lock was taken.
 */
function stopReceiveWal(b: BarmanHostSpec, backupName: string): string {
  const name = shellQuote(backupName);
  const stop = `/usr/bin/barman receive-wal --stop ${name} >/dev/null 2>&1 || true`;
  const inner = [
    stop,
    'i=0',
    `while pgrep -u ${shellQuote(b.user)} -f ${shellQuote(`receive-wal .*${backupName}$`)} >/dev/null; do`,
    '  i=$((i+1)); if [ $i -ge 60 ]; then echo "receive-wal did not stop within 30 s" >&2; exit 1; fi',
    `  if [ $((i % 6)) -eq 0 ]; then ${stop}; fi`,
    '  sleep 0.5',
    'done',
  ].join('\n');
  const lock = shellQuote(`${b.home.replace(/\/+$/, '')}/.cron.lock`);
  return [
    `rc=0; runuser -u ${shellQuote(b.user)} -- flock -E 75 -w 120 ${lock} sh -c ${shellQuote(inner)} || rc=$?`,
    `if [ $rc -eq 75 ]; then echo "Barman's cron lock ${lock.replace(/'/g, '')} stayed taken for 120 s (a long barman cron run?); try again" >&2; exit 1; fi`,
    'if [ $rc -ne 0 ]; then exit $rc; fi',
  ].join('\n');
}

function barmanSide(owner: string, b: BarmanHostSpec): Resource[] {
  const T = ['barman'];
  const rs: Resource[] = [];
  for (const s of b.servers) {
    const conf = `/etc/barman.d/${s.backupName}.conf`;
    rs.push(
      new CommandResource({
        id: `stop-receive-wal:${s.backupName}`,
        kind: 'wal_streaming',
        tags: T,
        // Only for a server that is still ours and configured: Barman needs the config to stop it.
        probe: shProbe(
          `owner of ${conf}`,
          `if [ ! -e ${shellQuote(conf)} ]; then echo absent; elif grep -qF -- ${shellQuote(markerText(owner, `server=${s.backupName}`))} ${shellQuote(conf)}; then echo ours; else _rc=$?; [ "$_rc" -eq 1 ] || exit "$_rc"; echo other; fi`,
          (out) => oneWord(out, ['absent', 'ours', 'other'] as const),
        ),
        needed: (owned) => owned === 'ours',
        summary: `stop WAL streaming (barman receive-wal) for ${s.backupName}`,
        details: [`barman receive-wal --stop ${s.backupName}`],
        run: stopReceiveWal(b, s.backupName),
        action: 'stop',
      }),
      new FileRemovalResource({ path: conf, markedBy: owner, setAsideTo: `${conf}.detached`, tags: [...T, 'config'] }),
      new FileRemovalResource({ path: `/etc/cron.d/${s.cronFileName}`, markedBy: owner, tags: [...T, 'config'] }),
    );
  }
  const logins = b.servers.flatMap((s) => [
    ...(['barman', 'streaming_barman'] as const).map((u) => [s.pgHost, u] as const),
    // a standby's server logs in to its primary too (primary_conninfo)
    ...(s.standby ? [[s.standby.primaryHost, 'barman'] as const] : []),
  ]);
  const pgpassData = logins.map(([host, u]) => ({ match: `${host}:*:*:${u}:`, claim: pgpassClaim(host, u) }));
  rs.push(
    new LineRemovalResource({ path: `${b.home}/.pgpass`, markedBy: owner, claimedData: pgpassData, secret: true, tags: [...T, 'pgpass'], label: `${b.home}/.pgpass` }),
    new LineRemovalResource({ path: `${b.home}/.ssh/authorized_keys`, markedBy: owner, tags: [...T, 'ssh'], label: `authorized_keys of ${b.user}` }),
    new LineRemovalResource({ path: `${b.home}/.ssh/known_hosts`, markedBy: owner, tags: [...T, 'ssh'], label: `known_hosts of ${b.user}` }),
    new LineRemovalResource({ path: '/etc/hosts', markedBy: owner, tags: T }),
  );
  return rs;
}

function postgresSide(
  owner: string,
  p: PostgresHostSpec,
  detached: BarmanHostSpec[],
  detachedNames: ReadonlySet<string>,
  home: string,
  barmanKey: KeyPair | undefined,
): Resource[] {
  const T = ['barman'];
  const rs: Resource[] = [];
  const from = detached.filter((b) => b.servers.some((s) => s.pgHost === p.name));
  for (const b of from) {
    for (const s of b.servers.filter((x) => x.pgHost === p.name)) {
      rs.push(new PgSlotAbsentResource(s.slotName, T, `nothing reads it once ${b.name} stops streaming ${s.backupName}`));
    }
  }
  const claimsFor = new Set(from.map((b) => `barman=${b.name}`));
  // Also the Barman hosts postgres ssh'ed to for WAL alone (a replica's restore_command).
  const sshedTo = detached.filter((b) => from.includes(b) || p.wal.restore?.barmanHost === b.name || (p.wal.archive?.barmanHosts ?? []).includes(b.name));
  const hostClaims = new Set(sshedTo.map((b) => `host=${b.name}`));
  rs.push(
    new LineRemovalResource({
      path: hbaPath(p),
      markedBy: owner,
      select: (m) => m.claim !== undefined && claimsFor.has(m.claim),
      tags: [...T, 'config'],
      notify: [RELOAD],
      label: hbaPath(p),
    }),
    new LineRemovalResource({
      path: `${home}/.ssh/known_hosts`,
      markedBy: owner,
      select: (m) => m.claim !== undefined && hostClaims.has(m.claim),
      tags: [...T, 'ssh'],
      label: `known_hosts of ${p.user}`,
    }),
    new LineRemovalResource({ path: '/etc/hosts', markedBy: owner, select: (m) => m.claim !== undefined && hostClaims.has(m.claim), tags: T }),
  );
  // The Barman key may log in here only while some Barman server still backs this host up.
  const stillBackedUp = p.backupTo.some((name) => !detachedNames.has(name));
  if (barmanKey && !stillBackedUp) {
    rs.push(
      new LineRemovalResource({
        path: `${home}/.ssh/authorized_keys`,
        markedBy: owner,
        select: (_m, line) => line.includes(barmanKey.blob),
        tags: [...T, 'ssh'],
        label: `authorized_keys of ${p.user}`,
      }),
    );
  }
  rs.push(...walSettingsAfterDetach(p, detachedNames, { reload: RELOAD, restart: RESTART }));
  rs.push(...postgresHandlers(p, { reload: RELOAD, restart: RESTART }, T));
  return rs;
}
