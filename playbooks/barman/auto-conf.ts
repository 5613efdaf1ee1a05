// <barman_home>/.barman.auto.conf (Barman 3.10+): `barman config-update` writes there,
// and Barman loads it after /etc/barman.d/*.conf, so a value there silently overrides
// ours. A setting there that contradicts what our files give a server is drift: plan
// shows it (server, setting, the value there and ours) and deploy sets it back to ours
// through Barman's own interface, `barman config-update`, which writes the value where
// Barman reads it from (for a key the auto file sets: the auto file itself). We never
// edit Barman's file, and settings there that config.yml says nothing about are left
// alone (shown as notes).
import type { Probe } from '../../src/engine/probe.js';
import type { Change, Resource } from '../../src/engine/resource.js';
import { barmanValue, parseBarmanBoolean, parseIni, type IniDocument } from '../../src/util/ini-read.js';
import { shellQuote } from '../../src/util/shell.js';
import { BARMAN_BIN, autoConfPath, barmanFactsProbe, type BarmanFacts } from './barman-facts.js';
import type { BackupServerSpec, BarmanHostSpec } from './model.js';

/** [barman] options that are the host's, not inherited by a server section. */
const GLOBAL_ONLY = new Set([
  'barman_home',
  'barman_user',
  'barman_lock_directory',
  'config_changes_queue',
  'configuration_files_directory',
  'lock_directory_cleanup',
  'log_file',
  'log_format',
  'log_level',
]);

export interface AutoConfOverride {
  server: string;
  setting: string;
  /** The value in .barman.auto.conf, as Barman reads it. */
  there: string;
  /** Ours: the server file's value, or what the server inherits from /etc/barman.conf. */
  ours: string;
  /** Which of our files gives it. */
  from: string;
}

/**
 * What our files give one server, as Barman reads them: its section in
 * /etc/barman.d/<server>.conf over the server options of [barman] in /etc/barman.conf.
 * `none` (unset) is left out.
 */
export function ourServerSettings(server: string, serverConf: string, globalConf: string, implied: Readonly<Record<string, string>> = {}): Map<string, { value: string; from: string }> {
  const out = new Map<string, { value: string; from: string }>();
  for (const [key, value] of Object.entries(implied)) out.set(key, { value, from: `config.yml (Barman's default, so not written in /etc/barman.d/${server}.conf)` });
  const put = (doc: IniDocument, section: string, from: string, skip: ReadonlySet<string>): void => {
    for (const [key, raw] of doc.get(section) ?? []) {
      const value = barmanValue(raw);
      if (value !== null && !skip.has(key)) out.set(key, { value, from });
    }
  };
  put(parseIni(globalConf), 'barman', '/etc/barman.conf', GLOBAL_ONLY);
  put(parseIni(serverConf), server, `/etc/barman.d/${server}.conf`, new Set());
  return out;
}

/**
 * Settings config.yml decides that our files leave out when they are Barman's default:
 * the auto file setting one of them contradicts config.yml all the same.
 */
export function impliedServerSettings(s: BackupServerSpec): Record<string, string> {
  return s.settings.archiver ? {} : { archiver: 'off' };
}

/** Barman parses on/true/1 alike for a boolean option: those are the same value. */
function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseBarmanBoolean(a);
  return x !== null && x === parseBarmanBoolean(b);
}

/** The settings of `server` in the auto file that contradict ours. */
export function autoConfOverrides(auto: IniDocument, server: string, ours: ReadonlyMap<string, { value: string; from: string }>): AutoConfOverride[] {
  const out: AutoConfOverride[] = [];
  for (const [setting, raw] of auto.get(server) ?? []) {
    const mine = ours.get(setting);
    const there = barmanValue(raw);
    if (mine === undefined || there === null || sameValue(there, mine.value)) continue;
    out.push({ server, setting, there, ours: mine.value, from: mine.from });
  }
  return out;
}

/** The auto file's settings of `server` that our files do not set: Barman's, left alone. */
export function autoConfExtras(auto: IniDocument, server: string, ours: ReadonlyMap<string, unknown>): string[] {
  return [...(auto.get(server)?.keys() ?? [])].filter((k) => !ours.has(k)).sort();
}

/** A conninfo can hold a password: never show one. */
export function maskValue(value: string): string {
  return value.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1********');
}

/**
 * One server's .barman.auto.conf drift. `serverConf` and `globalConf` are our files'
 * contents (the server as active: bring-up activates it).
 */
export class AutoConfDriftResource implements Resource<BarmanFacts> {
  readonly kind = 'barman_auto_conf';
  readonly id: string;
  readonly tags: readonly string[];
  private readonly ours: Map<string, { value: string; from: string }>;
  private readonly server: string;
  constructor(
    private readonly host: BarmanHostSpec,
    spec: BackupServerSpec,
    serverConf: string,
    globalConf: string,
    tags: readonly string[],
  ) {
    this.server = spec.backupName;
    this.id = `barman-auto-conf:${this.server}`;
    this.tags = tags;
    this.ours = ourServerSettings(this.server, serverConf, globalConf, impliedServerSettings(spec));
  }
  probe(): Probe<BarmanFacts> {
    return barmanFactsProbe(this.host);
  }
  plan(facts: BarmanFacts): Change | null {
    if (!facts.autoConf) return null;
    const over = autoConfOverrides(facts.autoConf.doc, this.server, this.ours);
    if (over.length === 0) return null;
    const file = autoConfPath(this.host.home);
    const shown = over.map((o) => `${o.setting} = ${JSON.stringify(maskValue(o.there))} there, ${JSON.stringify(maskValue(o.ours))} ours`);
    const change: Record<string, string> = { scope: 'server', server_name: this.server };
    for (const o of over) change[o.setting] = o.ours;
    const json = JSON.stringify([change]);
    const queue = `${this.host.home.replace(/\/+$/, '')}/cfg_changes.queue`;
    return {
      action: 'update',
      summary: `Barman server ${this.server}: ${file} overrides ${shown.join('; ')} — set back with barman config-update`,
      details: [
        ...over.map((o) => `${o.setting}: ${JSON.stringify(maskValue(o.there))} in ${file} (read by Barman ${facts.autoConf?.version}, after our files); ours ${JSON.stringify(maskValue(o.ours))}, from ${o.from}`),
        `barman config-update '${JSON.stringify([{ scope: 'server', server_name: this.server, ...Object.fromEntries(over.map((o) => [o.setting, maskValue(o.ours)])) }])}'`,
      ],
      sh: [
        `out=$(runuser -u ${shellQuote(this.host.user)} -- ${BARMAN_BIN} config-update ${shellQuote(json)} 2>&1) || {`,
        `  printf 'barman config-update failed (a change it could not apply stays queued in %s and blocks the next ones):\\n%s\\n' ${shellQuote(queue)} "$out" >&2; exit 1; }`,
      ].join('\n'),
    };
  }
  notes(facts: BarmanFacts): string[] {
    if (facts.autoConfIgnored !== undefined && this.host.servers[0]?.backupName === this.server) {
      return [`${autoConfPath(this.host.home)} exists on ${this.host.name}, but ${facts.autoConfIgnored}: left alone`];
    }
    if (!facts.autoConf) return [];
    const extras = autoConfExtras(facts.autoConf.doc, this.server, this.ours);
    if (extras.length === 0) return [];
    return [`Barman server ${this.server}: ${autoConfPath(this.host.home)} sets ${extras.join(', ')}, which config.yml does not set: left alone`];
  }
}
