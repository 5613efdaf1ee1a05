// `tpa-barman status`: what a DBA wants to know about each backed-up instance on each of
// its Barman hosts — last backup, WAL streaming, the replication slot and its lag,
// retention, next scheduled backup — read with Barman 3.4's JSON output (`barman -f json`)
// on the Barman hosts and pg_replication_slots on the PostgreSQL hosts. Read-only.
import type { Section, SectionOutput } from '../../src/transport/sections.js';
import { quoteLiteral } from '../../src/postgres/sql.js';
import { nextCronRun } from '../../src/util/cron-next.js';
import { parseCronLine, validateCronSchedule } from '../../src/util/cron.js';
import { shellJoin, shellQuote } from '../../src/util/shell.js';
import { psqlCommand } from '../../src/engine/scripts.js';
import type { BackupServerSpec, BarmanHostSpec, BarmanModel, PostgresHostSpec } from './model.js';
import { pgAccessFor } from './pg-access.js';
import { restoreTestResultPath } from './restore/params.js';

// ---------------------------------------------------------------------------------------
// What runs where.

/** Sections run on a Barman host: its clock, then Barman's view of our servers, then cron. */
export function barmanStatusSections(b: BarmanHostSpec): Section[] {
  const names = b.servers.map((s) => s.backupName);
  const barman = (args: string[]): string => `runuser -u ${shellQuote(b.user)} -- /usr/bin/barman -f json ${shellJoin([...args, ...names])}`;
  const sections: Section[] = [{ name: 'clock', command: "date '+%s %z'" }];
  if (names.length === 0) return sections;
  sections.push(
    { name: 'list-backups', command: barman(['list-backups']) },
    { name: 'check', command: barman(['check']) },
    { name: 'show-servers', command: barman(['show-servers']) },
  );
  for (const s of b.servers) sections.push({ name: `cron:${s.cronFileName}`, command: `cat ${shellQuote(`/etc/cron.d/${s.cronFileName}`)}` });
  // The scheduled restore test's last result (missing until its first run).
  for (const s of b.servers) {
    if (s.restoreTestInterval) sections.push({ name: `restore-test:${s.backupName}`, command: `cat ${shellQuote(restoreTestResultPath(b, s))}` });
  }
  return sections;
}

/** The replication slots of `slots` on a PostgreSQL host, as one JSON array. */
export function slotQuery(version: number, slots: readonly string[]): string {
  const walStatus = version >= 13 ? 'wal_status' : 'NULL::text';
  const lsn = 'CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END';
  return (
    `SELECT coalesce(json_agg(json_build_object('slot', slot_name, 'active', active, 'wal_status', ${walStatus}, ` +
    `'lag_bytes', pg_wal_lsn_diff(${lsn}, restart_lsn)) ORDER BY slot_name), '[]') ` +
    `FROM pg_replication_slots WHERE slot_name IN (${slots.map(quoteLiteral).join(', ')})`
  );
}

export function postgresStatusSections(p: PostgresHostSpec, slots: readonly string[]): Section[] {
  const psql = `${psqlCommand(pgAccessFor(p), '-XAtq')} -v ON_ERROR_STOP=1 -c ${shellQuote(slotQuery(p.version, slots))}`;
  return [{ name: 'slots', command: psql }];
}

/** Slot names to look for on each PostgreSQL host (one per Barman host backing it up). */
export function slotsByPostgresHost(model: BarmanModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of model.backups) {
    const list = out.get(s.pgHost) ?? [];
    if (!list.includes(s.slotName)) list.push(s.slotName);
    out.set(s.pgHost, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading the outputs.

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function firstLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
}

/** Barman's `-f json` document, or why there is none. */
function barmanDoc(section: SectionOutput | undefined): { doc: Json } | { error: string } {
  if (!section) return { error: 'no output' };
  const doc = parseJson(section.stdout);
  if (!isRecord(doc)) return { error: firstLine(section.stderr) || firstLine(section.stdout) || `exit ${section.code}` };
  return { doc };
}

export interface BackupInfo {
  id: string;
  /** ISO 8601 in the Barman host's UTC offset. */
  endTime: string;
  ageSeconds: number;
  sizeBytes: number;
}

export interface SlotInfo {
  name: string;
  /** null: unknown (the PostgreSQL host could not be read). */
  exists: boolean | null;
  active: boolean | null;
  walStatus: string | null;
  /** WAL retained for the slot: current LSN − restart_lsn. */
  lagBytes: number | null;
}

export interface ServerStatus {
  server: string;
  barmanHost: string;
  pgHost: string;
  /** Barman's `active` setting; null when unknown. */
  active: boolean | null;
  /** Completed (DONE) backups; null when unknown. */
  backups: number | null;
  lastBackup: BackupInfo | null;
  receiveWal: 'running' | 'not running' | 'unknown';
  streaming: 'streaming' | 'not streaming' | 'unknown';
  slot: SlotInfo;
  retentionPolicy: string | null;
  /** Five-field schedule from /etc/cron.d/<name>, null when no job is there. */
  schedule: string | null;
  /** ISO 8601 in the Barman host's UTC offset. */
  nextBackup: string | null;
  failingChecks: string[];
  /** The scheduled restore test (barman_restore_test_interval); null when not enabled. */
  restoreTest: RestoreTestStatus | null;
  /** Every problem found, in words. */
  problems: string[];
  /** The same problems with what they are about (`status --tags` selects by it). */
  findings: Array<{ tag: StatusTag; text: string }>;
  /** A host involved could not be reached or read. */
  unreachable: boolean;
}

/**
 * What a status problem is about. `host` (a host not reached or read) is always
 * reported; the others are the tags `status --tags/--skip-tags` select by.
 */
export type StatusTag = 'host' | 'backups' | 'wal' | 'schedule' | 'config' | 'checks' | 'restore';

export const STATUS_TAGS: readonly StatusTag[] = ['backups', 'wal', 'schedule', 'config', 'checks', 'restore'];

function problem(st: ServerStatus, tag: StatusTag, text: string): void {
  st.problems.push(text);
  st.findings.push({ tag, text });
}

export interface RestoreTestStatus {
  schedule: string;
  /** null: no result yet (never run, or the result file is unreadable). */
  last: {
    ok: boolean;
    /** ISO 8601 in the Barman host's UTC offset. */
    finishedAt: string;
    ageSeconds: number;
    backupId: string | null;
    restoreSeconds: number | null;
    walGapBytes: number | null;
    error: string | null;
  } | null;
  /** A scheduled run has come and gone since the last result. */
  overdue: boolean;
}

/** What the controller got back from one host. */
export type HostSections = { reachable: true; sections: Map<string, SectionOutput> } | { reachable: false; error: string };

interface Clock {
  epochMs: number;
  offsetMinutes: number;
}

function parseClock(section: SectionOutput | undefined): Clock | undefined {
  const m = /^(\d+) ([+-])(\d\d)(\d\d)$/.exec(section?.stdout.trim() ?? '');
  if (!m) return undefined;
  const sign = m[2] === '-' ? -1 : 1;
  return { epochMs: Number(m[1]) * 1000, offsetMinutes: sign * (Number(m[3]) * 60 + Number(m[4])) };
}

/** `2026-11-24T06:46:12+00:00` for an instant, in a host's UTC offset. */
export function isoInOffset(epochMs: number, offsetMinutes: number): string {
  const wall = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The schedule of the first `barman backup` job in a cron file. */
export function backupSchedule(cronText: string): string | null {
  for (const line of cronText.split('\n')) {
    const l = parseCronLine(line);
    if (l.kind === 'job' && /\bbarman\b.*\bbackup\b/.test(l.command)) return l.schedule;
  }
  return null;
}

function nextRun(schedule: string, clock: Clock): string | null {
  if (validateCronSchedule(schedule) !== null) return null;
  const wallNow = new Date(clock.epochMs + clock.offsetMinutes * 60_000);
  const next = nextCronRun(schedule, wallNow);
  return next ? isoInOffset(next.getTime() - clock.offsetMinutes * 60_000, clock.offsetMinutes) : null;
}

function lastBackup(entries: unknown, clock: Clock): { done: number; waiting: number; last: BackupInfo | null } {
  let done = 0;
  let waiting = 0;
  let last: { ts: number; id: string; size: number } | null = null;
  for (const e of Array.isArray(entries) ? entries : []) {
    if (!isRecord(e)) continue;
    if (e['status'] === 'WAITING_FOR_WALS') waiting++;
    if (e['status'] !== 'DONE') continue;
    done++;
    const ts = Number(e['end_time_timestamp']);
    if (!Number.isFinite(ts)) continue;
    if (!last || ts > last.ts) last = { ts, id: str(e['backup_id']) ?? '', size: Number(e['size_bytes']) || 0 };
  }
  if (!last) return { done, waiting, last: null };
  return {
    done,
    waiting,
    last: { id: last.id, endTime: isoInOffset(last.ts * 1000, clock.offsetMinutes), ageSeconds: Math.max(0, Math.round(clock.epochMs / 1000 - last.ts)), sizeBytes: last.size },
  };
}

function restoreTestStatus(schedule: string, section: SectionOutput | undefined, clock: Clock): RestoreTestStatus {
  const st: RestoreTestStatus = { schedule, last: null, overdue: false };
  const doc = section && section.code === 0 ? parseJson(section.stdout) : undefined;
  const finished = isRecord(doc) ? Number(doc['finished_at']) : NaN;
  if (!isRecord(doc) || !Number.isFinite(finished)) return st;
  const backup = isRecord(doc['backup']) ? doc['backup'] : {};
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  st.last = {
    ok: doc['ok'] === true,
    finishedAt: isoInOffset(finished * 1000, clock.offsetMinutes),
    ageSeconds: Math.max(0, Math.round(clock.epochMs / 1000 - finished)),
    backupId: str(backup['id']),
    restoreSeconds: num(doc['restore_seconds']),
    walGapBytes: num(doc['wal_gap_bytes']),
    error: str(doc['error']),
  };
  // Overdue when the second scheduled start after the last run's start is already past.
  if (validateCronSchedule(schedule) === null) {
    const started = Number(doc['started_at']);
    const from = new Date((Number.isFinite(started) ? started : finished) * 1000 + clock.offsetMinutes * 60_000);
    const next = nextCronRun(schedule, from);
    const after = next ? nextCronRun(schedule, new Date(next.getTime() + 60_000)) : null;
    st.overdue = after !== null && after.getTime() - clock.offsetMinutes * 60_000 < clock.epochMs;
  }
  return st;
}

function slotInfo(name: string, pg: HostSections | undefined): SlotInfo {
  const unknown: SlotInfo = { name, exists: null, active: null, walStatus: null, lagBytes: null };
  if (!pg?.reachable) return unknown;
  const rows = parseJson(pg.sections.get('slots')?.stdout.trim() ?? '');
  if (!Array.isArray(rows)) return unknown;
  const row = rows.find((r): r is Json => isRecord(r) && r['slot'] === name);
  if (!row) return { name, exists: false, active: false, walStatus: null, lagBytes: null };
  const lag = row['lag_bytes'];
  return { name, exists: true, active: row['active'] === true, walStatus: str(row['wal_status']), lagBytes: typeof lag === 'number' ? lag : null };
}

/** `Unknown server 'x'` / `Skipping inactive server 'x'` messages of a Barman document. */
function mentions(doc: Json, key: '_ERROR' | '_INFO', server: string): string[] {
  const list = doc[key];
  return Array.isArray(list) ? list.filter((m): m is string => typeof m === 'string' && m.includes(`'${server}'`)) : [];
}

const STREAMING_CHECKS = new Set(['receive_wal_running']);

function serverStatus(s: BackupServerSpec, barman: HostSections | undefined, pg: HostSections | undefined): ServerStatus {
  const st: ServerStatus = {
    server: s.backupName,
    barmanHost: s.barmanHost,
    pgHost: s.pgHost,
    active: null,
    backups: null,
    lastBackup: null,
    receiveWal: 'unknown',
    streaming: 'unknown',
    slot: slotInfo(s.slotName, pg),
    retentionPolicy: null,
    schedule: null,
    nextBackup: null,
    failingChecks: [],
    restoreTest: null,
    problems: [],
    findings: [],
    unreachable: false,
  };
  if (!pg || !pg.reachable) {
    st.unreachable = true;
    problem(st, 'host', `PostgreSQL host ${s.pgHost} unreachable${pg ? `: ${pg.error}` : ''}`);
  } else if (st.slot.exists === null) {
    const sec = pg.sections.get('slots');
    problem(st, 'wal', `cannot read pg_replication_slots on ${s.pgHost}: ${firstLine(sec?.stderr ?? '') || `exit ${sec?.code ?? '?'}`}`);
  }
  if (!barman || !barman.reachable) {
    st.unreachable = true;
    problem(st, 'host', `Barman host ${s.barmanHost} unreachable${barman ? `: ${barman.error}` : ''}`);
    return st;
  }
  const clock = parseClock(barman.sections.get('clock')) ?? { epochMs: Date.now(), offsetMinutes: 0 };

  const cron = barman.sections.get(`cron:${s.cronFileName}`);
  st.schedule = cron && cron.code === 0 ? backupSchedule(cron.stdout) : null;
  if (st.schedule === null) problem(st, 'schedule', `no scheduled backup: /etc/cron.d/${s.cronFileName} ${cron && cron.code === 0 ? 'has no barman backup job' : 'is missing'}`);
  else st.nextBackup = nextRun(st.schedule, clock);

  if (s.restoreTestInterval) {
    const rt = restoreTestStatus(s.restoreTestInterval, barman.sections.get(`restore-test:${s.backupName}`), clock);
    st.restoreTest = rt;
    if (rt.last && !rt.last.ok) problem(st, 'restore', `the last scheduled restore test failed (${rt.last.finishedAt}): ${rt.last.error ?? 'unknown error'}`);
    else if (rt.overdue) problem(st, 'restore', `the scheduled restore test is overdue: its last result is from ${rt.last?.finishedAt ?? '?'} (schedule ${rt.schedule})`);
  }

  const show = barmanDoc(barman.sections.get('show-servers'));
  if ('error' in show) {
    problem(st, 'config', `barman show-servers failed on ${s.barmanHost}: ${show.error}`);
    return st;
  }
  const conf = show.doc[s.backupName];
  if (!isRecord(conf)) {
    problem(st, 'config', mentions(show.doc, '_ERROR', s.backupName).length > 0 ? `not configured on ${s.barmanHost} (no /etc/barman.d/${s.backupName}.conf)` : `Barman on ${s.barmanHost} does not report ${s.backupName}`);
    return st;
  }
  st.active = conf['active'] === true;
  st.retentionPolicy = str(conf['retention_policy']);
  if (!st.active) problem(st, 'config', 'inactive (active = false in its Barman configuration)');
  if (conf['disabled'] === true) {
    const why = Array.isArray(conf['msg_list']) ? conf['msg_list'].filter((m): m is string => typeof m === 'string').join('; ') : '';
    problem(st, 'config', `disabled by Barman${why ? `: ${why}` : ''}`);
  }

  const list = barmanDoc(barman.sections.get('list-backups'));
  if ('error' in list) {
    problem(st, 'backups', `barman list-backups failed: ${list.error}`);
  } else if (list.doc[s.backupName] !== undefined || st.active) {
    const b = lastBackup(list.doc[s.backupName], clock);
    st.backups = b.done;
    st.lastBackup = b.last;
    if (b.done === 0) problem(st, 'backups', `no completed backup${b.waiting ? ` (${b.waiting} waiting for WALs)` : ''}`);
  }

  const check = barmanDoc(barman.sections.get('check'));
  if ('error' in check) {
    problem(st, 'checks', `barman check failed to run: ${check.error}`);
  } else {
    const checks = check.doc[s.backupName];
    if (isRecord(checks)) {
      for (const [name, v] of Object.entries(checks)) {
        if (!isRecord(v) || v['status'] === 'OK') continue;
        const hint = str(v['hint']);
        st.failingChecks.push(hint ? `${name} (${hint})` : name);
      }
      const rw = checks['receive_wal_running'];
      st.receiveWal = isRecord(rw) ? (rw['status'] === 'OK' ? 'running' : 'not running') : 'unknown';
    }
  }

  if (st.receiveWal === 'not running') problem(st, 'wal', 'WAL streaming stopped: receive-wal is not running');
  if (st.slot.exists === false) problem(st, 'wal', `replication slot ${s.slotName} is missing on ${s.pgHost}`);
  else if (st.slot.exists && !st.slot.active) problem(st, 'wal', `replication slot ${s.slotName} on ${s.pgHost} is not in use`);
  if (st.slot.walStatus === 'lost') problem(st, 'wal', `replication slot ${s.slotName} has lost required WAL`);
  if (st.receiveWal === 'running' && st.slot.active === true) st.streaming = 'streaming';
  else if (st.receiveWal === 'not running' || st.slot.active === false) st.streaming = 'not streaming';
  const others = st.failingChecks.filter((c) => !STREAMING_CHECKS.has(c.split(' ')[0] ?? ''));
  if (others.length > 0) problem(st, 'checks', `barman check failing: ${others.join('; ')}`);
  return st;
}

/** One status per backup server of the model, from what each host returned. */
export function assessStatus(model: BarmanModel, hosts: ReadonlyMap<string, HostSections>): ServerStatus[] {
  return model.backups.map((s) => serverStatus(s, hosts.get(s.barmanHost), hosts.get(s.pgHost)));
}
