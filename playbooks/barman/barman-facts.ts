// What Barman reports about itself on a Barman host, read in the host's facts script: the
// completed backups of each of our servers (`barman -f json list-backups`), and
// <barman_home>/.barman.auto.conf with the version of the Barman that reads it. One probe
// per host (every resource asks with the same arguments, so it runs once), and one Barman
// start in the common case: Barman's Python start-up is the slow part of a no-op deploy.
//
// Never Barman's on-disk layout: base/<id>/backup.info moved to meta/ in 3.13.2 and
// xlog.db became <server>-xlog.db in 3.13; the JSON is the same on 3.4 and 3.13.
import { ProbeParseError, shProbe, type Probe } from '../../src/engine/probe.js';
import { IniParseError, parseIni, type IniDocument } from '../../src/util/ini-read.js';
import { shellJoin, shellQuote } from '../../src/util/shell.js';
import type { BarmanHostSpec } from './model.js';

/** The Barman program our deploy installs (Debian's package). */
export const BARMAN_BIN = '/usr/bin/barman';

/** One server's backups as Barman lists them. */
export type ServerBackups =
  /** Barman is not installed yet, or does not know the server yet (first deploy): no backups. */
  | { state: 'absent'; why: 'not installed' | 'unknown server' }
  /** Barman skips an inactive server in list-backups: its backups cannot be counted now. */
  | { state: 'inactive' }
  | { state: 'listed'; done: number };

export interface AutoConf {
  /** `barman --version`, e.g. 3.13.3. */
  version: string;
  /** The file as Barman reads it (keys lower-cased, values as written). */
  doc: IniDocument;
}

export interface BarmanFacts {
  /** Per backup_name of this host's servers. */
  servers: ReadonlyMap<string, ServerBackups>;
  /**
   * <barman_home>/.barman.auto.conf, when Barman reads it (3.10 and later load it after
   * /etc/barman.d, so its values win); null when there is none or Barman ignores it.
   */
  autoConf: AutoConf | null;
  /** The file exists, but the installed Barman (older than 3.10, or none) never reads it. */
  autoConfIgnored?: string;
}

/** Barman loads .barman.auto.conf (and has config-update) since 3.10. */
const AUTO_CONF_SINCE: readonly [number, number] = [3, 10];

export function autoConfPath(home: string): string {
  return `${home.replace(/\/+$/, '')}/.barman.auto.conf`;
}

/** The probe of one Barman host; equal for every resource of that host. */
export function barmanFactsProbe(b: BarmanHostSpec): Probe<BarmanFacts> {
  const servers = [...new Set(b.servers.map((s) => s.backupName))].sort();
  const barman = (args: string): string => `runuser -u "$u" -- ${BARMAN_BIN} ${args}`;
  const sh = [
    `u=${shellQuote(b.user)}; f=${shellQuote(autoConfPath(b.home))}; installed=no`,
    `if [ -x ${BARMAN_BIN} ] && id -u "$u" >/dev/null 2>&1; then installed=yes; fi`,
    ...(servers.length === 0
      ? []
      : [
          'if [ $installed = yes ]; then',
          // Exit 1 with a JSON document is Barman reporting an error in it (an unknown
          // server among them); anything else is Barman failing to run.
          `  out=$(${barman(`-f json list-backups ${shellJoin(servers)}`)}); rc=$?`,
          '  case $rc in 0|1) ;; *) echo "barman -f json list-backups exited $rc" >&2; exit 1 ;; esac',
          `  case $out in '{'*) ;; *) echo "barman -f json list-backups printed no JSON document (exit $rc)" >&2; exit 1 ;; esac`,
          `  printf 'list %s\\n' "$(printf '%s' "$out" | base64 -w0)"`,
          'else',
          '  echo "list not-installed"',
          'fi',
        ]),
    'if [ -f "$f" ]; then',
    '  a=$(base64 -w0 < "$f") || exit 1',
    '  printf \'auto %s\\n\' "$a"',
    // Only then is the version needed. barman --version prints barman.__version__ after
    // a full start (~0.3 s); Barman's own interpreter importing the module takes ~15 ms.
    '  if [ $installed = yes ]; then',
    `    py=$(sed -n '1s/^#![[:space:]]*\\([^[:space:]]*\\).*/\\1/p' ${BARMAN_BIN})`,
    `    v=$( { [ -x "$py" ] && runuser -u "$u" -- "$py" -c 'import barman; print(barman.__version__)'; } 2>/dev/null) ||`,
    `      v=$(${barman('--version')} 2>&1) || { echo "barman --version failed: $v" >&2; exit 1; }`,
    `    printf 'version %s\\n' "$(printf '%s' "$v" | base64 -w0)"`,
    '  fi',
    'elif [ -e "$f" ] || [ -L "$f" ]; then',
    '  echo "$f is not a regular file" >&2; exit 1',
    'fi',
  ].join('\n');
  return shProbe(`Barman on ${b.name} (barman -f json list-backups, ${autoConfPath(b.home)})`, sh, (stdout) => parseBarmanFacts(stdout, servers));
}

/** The probe's output: `list <base64 JSON>|not-installed`, `auto <base64>`, `version <base64>`. */
export function parseBarmanFacts(stdout: Buffer, servers: readonly string[]): BarmanFacts {
  const fields = new Map<string, string>();
  for (const line of stdout.toString('utf8').split('\n')) {
    if (line === '') continue;
    const m = /^(list|auto|version) ?(\S*)$/.exec(line);
    if (!m || fields.has(m[1] ?? '')) throw new ProbeParseError('unexpected output from the Barman facts');
    fields.set(m[1] ?? '', m[2] ?? '');
  }
  const list = fields.get('list');
  if (servers.length > 0 && list === undefined) throw new ProbeParseError('no list-backups result');
  const backups =
    list === undefined || list === 'not-installed'
      ? new Map(servers.map((s): [string, ServerBackups] => [s, { state: 'absent', why: 'not installed' }]))
      : parseListBackups(Buffer.from(list, 'base64').toString('utf8'), servers);
  const auto = fields.get('auto');
  if (auto === undefined) return { servers: backups, autoConf: null };
  let doc: IniDocument;
  try {
    doc = parseIni(Buffer.from(auto, 'base64').toString('utf8'));
  } catch (err) {
    throw new ProbeParseError(`.barman.auto.conf does not parse${err instanceof IniParseError ? ` (line ${err.line})` : ''}`);
  }
  const versionText = fields.get('version');
  if (versionText === undefined) return { servers: backups, autoConf: null, autoConfIgnored: 'Barman is not installed' };
  const version = parseBarmanVersion(Buffer.from(versionText, 'base64').toString('utf8'));
  if (compareVersions(version, AUTO_CONF_SINCE) < 0) return { servers: backups, autoConf: null, autoConfIgnored: `Barman ${version} does not read it (3.10 and later do)` };
  return { servers: backups, autoConf: { version, doc } };
}

/** barman.__version__ (`3.13.3`), or `barman --version`: `3.13.3 Barman by EnterpriseDB (www.enterprisedb.com)`. */
export function parseBarmanVersion(text: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\s|$)/.exec(text.trim());
  if (!m) throw new ProbeParseError('barman --version printed no version');
  return `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
}

function compareVersions(v: string, than: readonly number[]): number {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < than.length; i++) {
    const d = (parts[i] ?? 0) - (than[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ProbeParseError(`${what}: expected a list of messages`);
  return v;
}

/**
 * `barman -f json list-backups S1 S2 ...` (3.4 and 3.13 print the same shape): each known
 * active server's backups under its name; `_ERROR: ["Unknown server 'S'"]` for a server
 * Barman does not know; `_INFO: ["Skipping inactive server 'S'"]` for an inactive one. Any
 * other error (a configuration Barman rejects, a disabled server) is thrown: a count that
 * cannot be read is never 0. Barman's own messages are shown: they are diagnostics about
 * its configuration, not file content.
 */
export function parseListBackups(text: string, servers: readonly string[]): Map<string, ServerBackups> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProbeParseError(`barman list-backups: not valid JSON (${text.length} characters)`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ProbeParseError('barman list-backups: expected a JSON object');
  const rec = doc as Record<string, unknown>;
  const errors = stringList(rec['_ERROR'], 'barman list-backups _ERROR');
  const infos = stringList(rec['_INFO'], 'barman list-backups _INFO');
  const explained = new Set<string>();
  const out = new Map<string, ServerBackups>();
  for (const s of servers) {
    const listed = rec[s];
    const unknown = `Unknown server '${s}'`;
    if (Array.isArray(listed)) {
      let done = 0;
      for (const b of listed) {
        if (typeof b !== 'object' || b === null || typeof (b as Record<string, unknown>)['status'] !== 'string') {
          throw new ProbeParseError(`barman list-backups ${s}: a backup without a status`);
        }
        if ((b as Record<string, unknown>)['status'] === 'DONE') done++;
      }
      out.set(s, { state: 'listed', done });
    } else if (errors.includes(unknown)) {
      explained.add(unknown);
      out.set(s, { state: 'absent', why: 'unknown server' });
    } else if (infos.includes(`Skipping inactive server '${s}'`)) {
      out.set(s, { state: 'inactive' });
    } else {
      throw new ProbeParseError(`barman list-backups does not report server ${s}${errors.length > 0 ? `: ${shown(errors)}` : ''}`);
    }
  }
  const others = errors.filter((e) => !explained.has(e));
  if (others.length > 0) throw new ProbeParseError(`barman list-backups reports: ${shown(others)}`);
  return out;
}

function shown(messages: readonly string[]): string {
  const text = messages.join('; ');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
