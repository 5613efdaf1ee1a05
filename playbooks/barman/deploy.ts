// The Barman deploy, as a play on the engine: what TPA's barman, postgres/createuser,
// pgpass, final and first_backup roles do, expressed as resources in two phases.
//   phase "configure": packages, users, keys, files, roles and grants, pg_hba
//   phase "bring-up":  activate each server, slot + WAL streaming, first backups
import type { ClusterSpec } from '../../src/config/types.js';
import type { KeyPair } from '../../src/controller/keys.js';
import type { HostTarget, Play } from '../../src/engine/play.js';
import { sqlJsonProbe, type Probe } from '../../src/engine/probe.js';
import type { Change, Placed, Resource } from '../../src/engine/resource.js';
import { byteString, type FileState } from '../../src/engine/resources/file-state.js';
import { ClaimCheckResource } from '../../src/engine/resources/claim.js';
import { CommandResource, serviceRunning } from '../../src/engine/resources/command.js';
import { DirectoryResource } from '../../src/engine/resources/directory.js';
import { FileResource, KNOWN_AFTER_APPLY, type MaybeKnown } from '../../src/engine/resources/file.js';
import { LinesResource, type LineEntry } from '../../src/engine/resources/lines.js';
import { PackagesResource, type PackageWant } from '../../src/engine/resources/packages.js';
import { PgFunctionGrantResource, PgMembershipResource, PgRoleResource } from '../../src/engine/resources/postgres.js';
import { PgSettingResource } from '../../src/engine/resources/postgres-setting.js';
import { GroupResource, UserResource } from '../../src/engine/resources/user.js';
import { pgpassLine } from '../../src/postgres/pgpass.js';
import { quoteLiteral } from '../../src/postgres/sql.js';
import { shellQuote } from '../../src/util/shell.js';
import { markerText } from '../../src/engine/ownership.js';
import { FileRemovalResource } from '../../src/engine/resources/file-removal.js';
import { SamePostgresMajorCheck } from './shared-checks.js';
import { discoveryProbe, placeholderDiscovery, type HostDiscovery } from './discovery.js';
import { NoteResource } from './note.js';
import { AutoConfDriftResource } from './auto-conf.js';
import { FirstBackupResource } from './first-backup.js';
import { standbyRestartpointScript } from './standby.js';
import { walSettingResources } from './wal-settings.js';
import { hbaPath, noIncludeDirReason, postgresHandlers, settingPath } from './postgres-files.js';
import { ServerCheckResource } from './server-check.js';
import { withServerFacts } from './server-model.js';
import { clientPackageSource, type PostgresFlavour } from './defaults.js';
import { RESTORE_TEST_PROGRAM_DIR, restoreTestProgramPath, restoreTestResultPath, restoreTestResultsDir, runnerParams } from './restore/params.js';
import { runnerProgram } from './restore/runner-source.js';
import { barmanRoleGrants } from './grants.js';
import { pgAccessFor } from './pg-access.js';
import type { BackupServerSpec, BarmanHostSpec, BarmanModel, PostgresHostSpec } from './model.js';
import { barmanConf, barmanHomeOk, globalCronFile, pgHbaLines, serverConf, serverCronFile } from './templates/index.js';

export interface BarmanSecrets {
  /** undefined: not generated yet (plan mode) — known after apply. */
  barman?: string;
  streaming_barman?: string;
}

export interface BarmanKeys {
  postgres?: KeyPair;
  barman?: KeyPair;
}

export const PHASES = ['configure', 'bring-up'];

/** The OS users whose key pairs live in <cluster>/keys/ (id_<user>). */
export function keyUsers(model: BarmanModel): string[] {
  return [model.postgresHosts[0]?.user ?? 'postgres', model.barmanHosts[0]?.user ?? 'barman'];
}
const CONFIGURE = 0;
const BRING_UP = 1;

const RELOAD = 'handler:postgres-reload';
const RESTART = 'handler:postgres-restart';

function known<T>(v: T | undefined): MaybeKnown<T> {
  return v === undefined ? KNOWN_AFTER_APPLY : v;
}

/** Every managed line and file names the cluster that owns it. */
function marker(cluster: string, claim?: string): string {
  return markerText(cluster, claim);
}

/** The CLI flag that lets a cluster rewrite a shared /etc/barman.conf set by another. */
export const OVERRIDE_GLOBAL = 'global-config';

export function barmanPlay(cluster: ClusterSpec, model: BarmanModel, keys: BarmanKeys, secrets: BarmanSecrets): Play<HostDiscovery> {
  const inInventory = new Set(cluster.hosts.map((h) => h.name));
  const pgByName = new Map(model.postgresHosts.map((p) => [p.name, p]));
  const targets: HostTarget[] = [];
  // One target per host: a Barman host that is also a PostgreSQL instance (TPA's M1
  // puts barman and the witness together) gets PostgreSQL access as well.
  for (const name of [...model.barmanHosts.map((b) => b.name), ...model.postgresHosts.map((p) => p.name)]) {
    if (!inInventory.has(name) || targets.some((t) => t.name === name)) continue;
    const target: HostTarget = { name };
    const p = pgByName.get(name);
    if (p) target.pg = pgAccessFor(p);
    targets.push(target);
  }
  return {
    name: 'barman',
    hosts: targets,
    phases: PHASES,
    discover: (host) => {
      const pg = pgByName.get(host);
      return discoveryProbe(pg ? { user: pg.user, serviceName: pg.serviceName } : undefined);
    },
    placeholder: () => placeholderDiscovery(),
    build: (discovered) => buildResources(cluster, model, keys, secrets, discovered),
  };
}

function buildResources(
  cluster: ClusterSpec,
  configModel: BarmanModel,
  keys: BarmanKeys,
  secrets: BarmanSecrets,
  disc: ReadonlyMap<string, HostDiscovery>,
): Placed[] {
  // The hosts as they really run: versions, files and service managers read from them.
  const { model, problems } = withServerFacts(configModel, disc);
  const placed: Placed[] = [];
  const add = (host: string, phase: number, resource: Resource): void => {
    // A line-managed file with no lines of ours is not worth creating.
    if (resource instanceof LinesResource && resource.spec.entries.length === 0) return;
    placed.push({ host, phase, resource });
  };
  const ctx: BuildContext = { cluster, model, keys, secrets, disc, hostsLines: etcHostsEntries(cluster, model), owner: cluster.name };
  const barmanNames = new Set(model.barmanHosts.map((b) => b.name));
  for (const [host, list] of problems) add(host, CONFIGURE, new ServerCheckResource(list));
  for (const b of model.barmanHosts) barmanHostResources(b, ctx).forEach((r) => add(b.name, CONFIGURE, r));
  for (const p of model.postgresHosts) postgresHostResources(p, ctx, barmanNames.has(p.name)).forEach((r) => add(p.name, CONFIGURE, r));
  for (const b of model.barmanHosts) {
    // Step by step across the host's servers (every activation, then all WAL streams at
    // once, then all first backups at once): each server's bring-up is mostly waiting on
    // Barman, and the servers are independent of each other.
    const perServer = b.servers.map((s) => bringUpResources(cluster, model, b, s));
    const steps = Math.max(0, ...perServer.map((rs) => rs.length));
    for (let k = 0; k < steps; k++) for (const rs of perServer) if (rs[k]) add(b.name, BRING_UP, rs[k] as Resource);
  }
  return placed;
}

/** /etc/hosts lines so that conninfo and ssh_command can use instance names (as TPA's sys/hosts). */
function etcHostsEntries(cluster: ClusterSpec, model: BarmanModel): LineEntry[] {
  const names = new Set([...model.barmanHosts.map((b) => b.name), ...model.postgresHosts.map((p) => p.name)]);
  return cluster.hosts
    .filter((h) => names.has(h.name))
    .map((h) => {
      const tag = `# ${marker(cluster.name, `host=${h.name}`)}`;
      return { match: tag, line: `${h.ipAddress} ${h.name} ${tag}` };
    });
}

/**
 * known_hosts lines for peers: `name,ip type blob` for every host key the peer has, the
 * owner's marker in the comment field.
 */
function knownHostsEntries(owner: string, peers: Array<{ name: string; ip: string }>, disc: ReadonlyMap<string, HostDiscovery>, port: number): LineEntry[] {
  const entries: LineEntry[] = [];
  for (const peer of peers) {
    const names = port === 22 ? `${peer.name},${peer.ip}` : `[${peer.name}]:${port},[${peer.ip}]:${port}`;
    for (const k of disc.get(peer.name)?.hostKeys ?? []) {
      entries.push({ match: `${names} ${k.type} `, line: `${names} ${k.type} ${k.blob} ${marker(owner, `host=${peer.name}`)}` });
    }
  }
  return entries;
}

/** An ssh user's authorized_keys or known_hosts, managed line by line. */
function sshLinesFile(owner: string, kind: 'authorized_keys' | 'known_hosts', user: string, group: string, home: string, entries: LineEntry[]): LinesResource {
  return new LinesResource({
    markedBy: owner,
    path: `${home}/.ssh/${kind}`,
    owner: user,
    group,
    mode: kind === 'authorized_keys' ? '0600' : '0644',
    entries,
    // A key is ours wherever it stands on a line (options may precede it).
    matchMode: kind === 'authorized_keys' ? 'contains' : 'prefix',
    // A key of ours that is no longer wanted (a replaced pair) stops being authorized.
    pruneOwn: kind === 'authorized_keys',
    insert: 'bottom',
    tags: ['barman', 'ssh'],
    label: `${kind} of ${user}`,
  });
}

/** A root-owned file every cluster on the host needs the same: the first writer's. */
function hostWideFile(path: string, content: string, owner: string): FileResource {
  return new FileResource({ path, content, owner: 'root', group: 'root', mode: '0644', tags: ['barman', 'config'], markedBy: owner, shared: { override: OVERRIDE_GLOBAL } });
}

function etcHosts(owner: string, entries: LineEntry[]): LinesResource {
  return new LinesResource({ path: '/etc/hosts', owner: 'root', group: 'root', mode: '0644', entries, matchMode: 'contains', insert: 'bottom', tags: ['barman'], markedBy: owner });
}

/** An authorized key, marked in its comment; keys never conflict (each is unique). */
function authorizedEntry(owner: string, key: KeyPair | undefined): LineEntry {
  if (!key) return { match: '(key known after apply)', line: KNOWN_AFTER_APPLY };
  return { match: key.blob, line: `${key.publicKey} ${marker(owner)}` };
}

function sshDirResources(user: string, group: string, home: string, key: KeyPair | undefined, ownKeyName: string, extraTags: string[] = []): Resource[] {
  const tags = ['barman', 'ssh', ...extraTags];
  return [
    new DirectoryResource({ path: `${home}/.ssh`, owner: user, group, mode: '0700', tags }),
    new FileResource({ path: `${home}/.ssh/${ownKeyName}`, content: known(key?.privateKey), owner: user, group, mode: '0600', secret: true, tags }),
    new FileResource({ path: `${home}/.ssh/${ownKeyName}.pub`, content: known(key ? `${key.publicKey}\n` : undefined), owner: user, group, mode: '0644', tags }),
  ];
}

/** What every host's resources are built from. */
interface BuildContext {
  cluster: ClusterSpec;
  model: BarmanModel;
  keys: BarmanKeys;
  secrets: BarmanSecrets;
  disc: ReadonlyMap<string, HostDiscovery>;
  hostsLines: LineEntry[];
  /** The cluster whose marker our lines and files carry. */
  owner: string;
}

function barmanHostResources(b: BarmanHostSpec, { model, keys, secrets, disc, hostsLines, owner }: BuildContext): Resource[] {
  const T = ['barman'];
  const pin = (name: string): PackageWant => ({ name, version: b.packageVersion });
  const rs: Resource[] = [];
  if (!b.shared) {
    rs.push(new GroupResource(b.group, [...T, 'pkg']));
    rs.push(new UserResource({ name: b.user, group: b.group, home: b.home, shell: '/bin/bash', tags: [...T, 'pkg'] }));
  }
  rs.push(
    new PackagesResource(
      [pin('barman'), pin('barman-cli'), { name: 'rsync' }, ...b.clientPackages.map((name) => ({ name, from: clientPackageSource(b.postgresFlavour as PostgresFlavour) })), { name: 'pigz' }],
      [...T, 'pkg'],
      // Other clusters' backups run on the installed Barman: never up- or downgrade it for one.
      b.shared ? `${b.name} is a shared Barman server (barman_shared: true); change barman_package_version there from the cluster that set it up` : undefined,
    ),
  );
  if (!b.shared) {
    rs.push(new DirectoryResource({ path: b.home, owner: b.user, group: b.group, mode: '0750', tags: T }));
    rs.push(new DirectoryResource({ path: '/var/log/barman', owner: b.user, group: b.group, mode: '0750', tags: T }));
  }
  rs.push(
    serviceRunning({ name: 'cron', check: 'pgrep -x cron >/dev/null', start: 'service cron start >/dev/null || /usr/sbin/cron', tags: T }),
    new DirectoryResource({ path: '/etc/tpa', owner: 'root', group: 'root', mode: '0755', tags: T }),
    new FileResource({ path: '/etc/tpa/barman-home-ok', content: barmanHomeOk(b.home, b.volumeMountable), owner: 'root', group: 'root', mode: '0755', tags: T }),
    // We install pigz above, so the auto-detected compressor (pigz > bzip2 > gzip) is pigz.
    new SamePostgresMajorCheck(b, owner, [...T, 'config']),
    // Host-wide files: on a shared server, the first cluster's; others must agree with them.
    hostWideFile('/etc/barman.conf', barmanConf(b, 'pigz', [marker(owner)]), owner),
    hostWideFile('/etc/cron.d/barman', globalCronFile(b.user, [marker(owner)]), owner),
    new DirectoryResource({ path: '/etc/barman.d', owner: 'root', group: 'root', mode: '0755', tags: [...T, 'config'] }),
    new DirectoryResource({ path: `${b.home}/.postgresql`, owner: b.user, group: b.group, mode: '0700', tags: T }),
  );
  if (!b.shared) {
    rs.push(...sshDirResources(b.user, b.group, b.home, keys.barman, 'id_ed25519'));
  } else {
    rs.push(new DirectoryResource({ path: `${b.home}/.ssh`, owner: b.user, group: b.group, mode: '0700', tags: [...T, 'ssh'] }));
  }
  // ssh to the backed-up hosts (rsync, ssh_command), to a standby's primary (its first
  // backup) and to the hosts its servers' restore tests restore onto.
  const servedPg = model.postgresHosts.filter((p) => b.servers.some((s) => s.pgHost === p.name || s.standby?.primaryHost === p.name || s.restoreHost === p.name));
  rs.push(
    sshLinesFile(owner, 'authorized_keys', b.user, b.group, b.home, [authorizedEntry(owner, keys.postgres)]),
    sshLinesFile(owner, 'known_hosts', b.user, b.group, b.home, knownHostsEntries(owner, servedPg.map((p) => ({ name: p.name, ip: p.ipAddress })), disc, model.sshPort)),
    etcHosts(owner, hostsLines),
  );
  const pgpass: LineEntry[] = [];
  let restoreTestDirsAdded = false;
  for (const s of b.servers) {
    const header = [`; ${marker(owner, `server=${s.backupName}`)}`];
    rs.push(
      new FileResource({
        path: `/etc/barman.d/${s.backupName}.conf`,
        // A new server is written inactive; bring-up activates it once its slot, roles
        // and keys are in place. An active server stays active.
        content: (cur) => serverConf(s, cur.exists && ACTIVE_RE.test(byteString(cur.content)), header, b.global),
        owner: b.user,
        group: b.group,
        mode: '0600',
        tags: [...T, 'config'],
        markedBy: owner,
      }),
      // Settings Barman's .barman.auto.conf (3.10+) overrides: drift, set back through Barman.
      new AutoConfDriftResource(b, s, serverConf(s, true, header, b.global), barmanConf(b, 'pigz', [marker(owner)]), [...T, 'config']),
      // A detached server of another cluster keeps its backups under this name.
      new ClaimCheckResource(`/etc/barman.d/${s.backupName}.conf.detached`, owner, `the kept backups of Barman server ${s.backupName}`, [...T, 'config']),
      ...restoreTestResources(model, b, s, owner, !restoreTestDirsAdded && (restoreTestDirsAdded = true)),
      new FileResource({
        path: `/etc/cron.d/${s.cronFileName}`,
        content: serverCronFile(s, b.user, [marker(owner, `server=${s.backupName}`)], restoreTestProgramPath(s)),
        owner: 'root',
        group: 'root',
        mode: '0644',
        tags: [...T, 'config'],
        markedBy: owner,
      }),
    );
    // A standby's server also logs in to its primary (primary_conninfo) as barman.
    const logins: Array<[string, 'barman' | 'streaming_barman']> = [
      [s.pgHost, 'barman'],
      [s.pgHost, 'streaming_barman'],
      ...(s.standby ? [[s.standby.primaryHost, 'barman'] as [string, 'barman']] : []),
    ];
    for (const [host, user] of logins) {
      const pw = secrets[user];
      const prefix = `${host}:*:*:${user}:`;
      if (pgpass.some((e) => e.match === prefix)) continue;
      pgpass.push({
        match: prefix,
        line: pw === undefined ? KNOWN_AFTER_APPLY : pgpassLine({ host, port: '*', database: '*', user, password: pw }),
        display: `${prefix}********`,
        // A .pgpass line cannot hold a comment: a comment line before it names the owner.
        claim: pgpassClaim(host, user),
      });
    }
  }
  rs.push(
    new LinesResource({
      path: `${b.home}/.pgpass`,
      owner: b.user,
      group: b.group,
      mode: '0600',
      entries: pgpass,
      matchMode: 'prefix',
      insert: 'bottom',
      secret: true,
      tags: [...T, 'pgpass'],
      label: `${b.home}/.pgpass`,
      markedBy: owner,
    }),
  );
  return rs;
}

/**
 * A PostgreSQL host's resources. On a host that is also a Barman server, the packages
 * (barman-cli, rsync) and /etc/hosts lines are already the Barman side's: each step once.
 */
function postgresHostResources(p: PostgresHostSpec, { model, keys, secrets, disc, hostsLines, owner }: BuildContext, onBarmanHost: boolean): Resource[] {
  const T = ['barman'];
  const d = disc.get(p.name);
  const home = p.server?.home ?? d?.postgresHome ?? p.home;
  // postgres ssh's to a Barman host to archive (barman-wal-archive) or restore WAL.
  // Barman hosts it backs up to, its restore_command's, and those that restore onto it
  // (the restored copy's restore_command fetches WAL from them).
  const restoresFrom = model.backups.filter((s) => s.restoreHost === p.name).map((s) => s.barmanHost);
  const sshTo = new Set([...p.backupTo, ...(p.wal.restore ? [p.wal.restore.barmanHost] : []), ...restoresFrom]);
  const rs: Resource[] = [
    ...(onBarmanHost ? [] : [new PackagesResource([{ name: 'barman-cli', version: p.packageVersion }, { name: 'rsync' }], [...T, 'pkg'])]),
    ...sshDirResources(p.user, p.group, home, keys.postgres, 'id_ed25519'),
    // barman → postgres for rsync backups; postgres's own key too, as TPA does.
    sshLinesFile(owner, 'authorized_keys', p.user, p.group, home, [authorizedEntry(owner, keys.barman), authorizedEntry(owner, keys.postgres)]),
    sshLinesFile(
      owner,
      'known_hosts',
      p.user,
      p.group,
      home,
      knownHostsEntries(
        owner,
        p.barmanHosts.filter((b) => sshTo.has(b.name)).map((b) => ({ name: b.name, ip: b.ipAddress })),
        disc,
        model.sshPort,
      ),
    ),
    ...(onBarmanHost ? [] : [etcHosts(owner, hostsLines)]),
  ];
  // Roles, grants and membership run in one transaction, in this order; so an old
  // SUPERUSER barman becomes NOSUPERUSER in the same commit that gives it barman_role.
  // TPA creates them on non-replicas only (they replicate), and in a BDR group on its
  // first node only.
  if (p.createsUsers) rs.push(...userResources(p, secrets));
  // Barman connects to every primary (roles, WAL switches for its standbys' backups) and
  // to every backed-up instance; a replica that is not backed up needs neither.
  const serverAccess = p.isPrimary || p.backupTo.length > 0;
  if (serverAccess) rs.push(...hbaAndListenResources(p, d, owner));
  const settings = walSettingResources(p, { reload: RELOAD, restart: RESTART });
  rs.push(...settings);
  p.wal.notes.forEach((text, i) => rs.push(new NoteResource(`wal-${i}`, text, T)));
  if (!serverAccess && settings.length === 0) return rs;
  rs.push(...postgresHandlers(p, { reload: RELOAD, restart: RESTART }, T));
  return rs;
}

function userResources(p: PostgresHostSpec, secrets: BarmanSecrets): Resource[] {
  const T = ['barman'];
  const rs: Resource[] = [];
  const grants = barmanRoleGrants(p.version);
  rs.push(new PgRoleResource({ name: 'barman_role', attrs: { superuser: false, createdb: false, login: false }, tags: T }));
  for (const fn of grants.functions) rs.push(new PgFunctionGrantResource('barman_role', fn, T));
  for (const role of grants.roles) rs.push(new PgMembershipResource(role, 'barman_role', T));
  rs.push(
    new PgRoleResource({
      name: 'barman',
      attrs: { login: true, superuser: false, inherit: true },
      password: known(secrets.barman),
      managedMemberships: ['barman_role'],
      tags: T,
    }),
    new PgMembershipResource('barman_role', 'barman', T),
    new PgRoleResource({ name: 'streaming_barman', attrs: { login: true, replication: true }, password: known(secrets.streaming_barman), tags: T }),
  );
  return rs;
}

/** pg_hba lines for every Barman host, and a listen address they can reach. */
function hbaAndListenResources(p: PostgresHostSpec, d: HostDiscovery | undefined, owner: string): Resource[] {
  const T = ['barman'];
  const hostType = d?.pgSsl === false ? 'host' : 'hostssl';
  const hba: LineEntry[] = [];
  for (const b of p.barmanHosts) {
    const tag = `# ${marker(owner, `barman=${b.name}`)}`;
    for (const line of pgHbaLines(b.ipAddress, hostType)) {
      const key = line.split(/\s+/).slice(0, 4).join(' ');
      hba.push({ match: key, line: `${line} ${tag}` });
    }
  }
  return [
    new LinesResource({
      path: hbaPath(p),
      owner: p.user,
      group: p.group,
      mode: '0640',
      entries: hba,
      matchMode: 'prefix',
      // First match wins in pg_hba.conf: our lines go before any broader rule.
      insert: 'top',
      tags: [...T, 'config'],
      notify: [RELOAD],
      label: hbaPath(p),
      markedBy: owner,
    }),
    new PgSettingResource({
      name: 'listen_addresses',
      path: settingPath(p, 'listen'),
      noPathReason: noIncludeDirReason(p),
      owner: p.user,
      group: p.group,
      want: (current) => {
        const list = current.split(',').map((s) => s.trim()).filter(Boolean);
        if (list.includes('*') || list.includes(p.ipAddress) || list.includes('0.0.0.0')) return null;
        return [...list, p.ipAddress].join(',');
      },
      reloadHandler: RELOAD,
      restartHandler: RESTART,
      tags: [...T, 'config'],
    }),
  ];
}

/**
 * The scheduled restore test of one server (barman_restore_test_interval): the restore
 * runner with this server's parameters in /etc/tpa/restore-test/<name>.py, which cron runs
 * as the Barman user; results go to <barman_home>/restore-tests/. Without the variable, a
 * program of ours left from before is removed (the cron line goes with the cron file).
 */
function restoreTestResources(model: BarmanModel, b: BarmanHostSpec, s: BackupServerSpec, owner: string, withDirs: boolean): Resource[] {
  const T = ['barman', 'config'];
  const path = restoreTestProgramPath(s);
  if (!s.restoreTestInterval) return [new FileRemovalResource({ path, markedBy: owner, tags: T })];
  const params = runnerParams(model, s, { mode: 'test', resultFile: restoreTestResultPath(b, s) });
  return [
    ...(withDirs
      ? [
          new DirectoryResource({ path: RESTORE_TEST_PROGRAM_DIR, owner: 'root', group: 'root', mode: '0755', tags: T }),
          new DirectoryResource({ path: restoreTestResultsDir(b), owner: b.user, group: b.group, mode: '0750', tags: T }),
        ]
      : []),
    new FileResource({ path, content: `# ${marker(owner, `server=${s.backupName}`)}\n${runnerProgram(params)}`, owner: 'root', group: 'root', mode: '0644', tags: T, markedBy: owner }),
  ];
}

const ACTIVE_RE = /^\s*active\s*=\s*true\s*$/m;

/**
 * Flips a server to `active = true` once bring-up can start. Content drift of an
 * active server is the configure phase's business, so this only acts on inactive or
 * missing files — and the plan shows each change once.
 */
class ActivateServerResource implements Resource<FileState> {
  readonly kind = 'barman_activate';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(
    private readonly file: FileResource,
    private readonly server: string,
  ) {
    this.id = file.id;
    this.tags = file.tags;
  }
  probe(): Probe<FileState> {
    return this.file.probe();
  }
  plan(state: FileState): Change | null {
    if (state.exists && ACTIVE_RE.test(byteString(state.content))) return null;
    const change = this.file.plan(state);
    return change ? { ...change, action: 'update', summary: `activate Barman server ${this.server} (active = true)`, diff: undefined } : null;
  }
}

function asBarman(user: string, cmd: string): string {
  return `runuser -u ${shellQuote(user)} -- ${cmd}`;
}

function bringUpResources(cluster: ClusterSpec, model: BarmanModel, b: BarmanHostSpec, s: BackupServerSpec): Resource[] {
  const T = ['barman'];
  const name = shellQuote(s.backupName);
  const header = [`; ${marker(cluster.name, `server=${s.backupName}`)}`];
  const pg = model.postgresHosts.find((p) => p.name === s.pgHost);
  const want = s.settings.minimumRedundancy >= 1 && s.settings.minimumRedundancy <= 3 ? s.settings.minimumRedundancy : 1;
  const barman = (args: string): string => asBarman(b.user, `/usr/bin/barman ${args}`);
  const primary = s.standby ? model.postgresHosts.find((p) => p.name === s.standby?.primaryHost) : undefined;
  const standbyStep =
    s.standby && pg && primary
      ? standbyRestartpointScript(
          b.user,
          { host: primary.name, ssh: s.standby.primarySshCommand, binDir: primary.binDir, port: primary.port },
          { host: pg.name, ssh: s.sshCommand, binDir: pg.binDir, port: pg.port },
        )
      : undefined;
  return [
    new ActivateServerResource(
      new FileResource({
        path: `/etc/barman.d/${s.backupName}.conf`,
        id: `activate:${s.backupName}`,
        content: serverConf(s, true, header, b.global),
        owner: b.user,
        group: b.group,
        mode: '0600',
        tags: [...T, 'config'],
      }),
      s.backupName,
    ),
    new CommandResource({
      id: `streaming:${s.backupName}`,
      kind: 'wal_streaming',
      tags: T,
      // Read on the backed-up host: is our slot there and in use by receive-wal?
      probeHost: s.pgHost,
      probe: sqlJsonProbe(
        `replication slot ${s.slotName}`,
        `SELECT json_build_object('exists', count(*) > 0, 'active', coalesce(bool_or(active), false)) FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(s.slotName)}`,
        { exists: 'boolean', active: 'boolean' },
      ),
      needed: (st) => !(st?.exists && st.active),
      summary: `start WAL streaming for ${s.backupName}: replication slot ${s.slotName} on ${s.pgHost}, barman receive-wal`,
      details: [`barman receive-wal --create-slot ${s.backupName}`, 'barman cron', `wait (≤ 90 s) until receive-wal streams`],
      run: [
        // `barman check` creates the server's directories; its failures are expected here.
        `${barman(`check ${name}`)} >/dev/null 2>&1 || true`,
        `out=$(${barman(`receive-wal --create-slot ${name}`)} 2>&1) || printf '%s' "$out" | grep -q 'already exists' || { printf '%s\\n' "$out" >&2; exit 1; }`,
        // Another server's step may be running `barman cron` at this moment (its lock): the loop retries.
        `${barman('cron')} >/dev/null 2>&1 || true`,
        'i=0',
        `until ${barman(`check ${name}`)} 2>/dev/null | grep -q 'receive-wal running: OK'; do`,
        '  i=$((i+1)); if [ $i -ge 45 ]; then echo "receive-wal did not start within 90 s" >&2; ' + barman(`check ${name}`) + ' >&2 || true; exit 1; fi',
        `  sleep 2; ${barman('cron')} >/dev/null 2>&1 || true`,
        'done',
      ].join('\n'),
      action: 'start',
      slow: true,
      concurrent: 'wal-streaming',
    }),
    new FirstBackupResource({
      host: b,
      server: s.backupName,
      want,
      tags: [...T, 'first-backup'],
      summary: `take the first ${want === 1 ? 'backup' : `${want} backups`} of ${s.backupName} (from ${s.pgHost}${s.standby ? `, a standby of ${s.standby.primaryHost}` : ''})`,
      details: [
        // With primary_conninfo, Barman switches WAL on the primary (a standby cannot).
        `barman switch-wal --archive ${s.backupName}${s.standby ? ` (the switch happens on ${s.standby.primaryHost}, through primary_conninfo)` : ''}`,
        ...(s.standby ? [`CHECKPOINT on ${s.standby.primaryHost}, then a restartpoint on ${s.pgHost} once it replayed it (a standby's backup starts there)`] : []), `wait (≤ 60 attempts) until barman check ${s.backupName} passes, but for the checks that need a backup`, `barman backup ${s.backupName}${want > 1 ? ` (× ${want}, minimum_redundancy)` : ''}, each waited for (≤ 60 attempts) until Barman lists it DONE (barman switch-wal --force while it waits for its last WAL)`],
      prepare: [
        // switch-wal --force needs superuser on Barman 3.4; --archive only needs pg_switch_wal().
        `${barman(`switch-wal --archive --archive-timeout 120 ${name}`)} 2>&1`,
        // `barman backup` refuses to start while a check fails (a just-started receive-wal,
        // a WAL not yet archived): wait (bounded) until only the no-backup-yet checks fail.
        'i=0',
        `until out=$(${barman(`check ${name}`)} 2>&1); bad=$(printf '%s\n' "$out" | grep FAILED | grep -v -e 'backup maximum age' -e 'minimum redundancy requirements' -e 'failed backups'); [ -z "$bad" ]; do`,
        '  i=$((i+1)); if [ $i -ge 60 ]; then printf \'barman check still failing after 60 attempts (2 s apart):\n%s\n\' "$bad" >&2; exit 1; fi',
        `  sleep 2; ${barman('cron')} >/dev/null 2>&1 || true`,
        'done',
        ...(standbyStep ? [standbyStep] : []),
      ].join('\n'),
    }),
  ]
    .filter(() => pg !== undefined)
    // Barman reaches the server over the network: not before a pending restart there (deploy --no-restart),
    // nor, for a standby, on its primary (primary_conninfo, the WAL switch).
    .map((r) => Object.assign(r, { waitsFor: [s.pgHost, ...(s.standby ? [s.standby.primaryHost] : [])].map((host) => ({ host, id: RESTART })) }));
}

/** What a .pgpass line of ours is about, for its marker comment. */
export function pgpassClaim(pgHost: string, user: string): string {
  return `pgpass=${pgHost}:*:*:${user}`;
}
