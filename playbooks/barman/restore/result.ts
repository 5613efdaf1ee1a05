// The runner's result document, read defensively: it comes from a remote host.
import { RESULT_MARK } from './runner-source.js';

export interface RestoreRunResult {
  server: string;
  barmanHost: string;
  restoreHost: string;
  mode: string;
  ok: boolean;
  /** Failed before anything was written (plan phase): refused rather than broken. */
  refused: boolean;
  phase: string;
  error: string | null;
  detail: string | null;
  barmanVersion: string | null;
  barmanCommand: string | null;
  walMode: string | null;
  backup: { id: string; endTime: string | null; endEpoch: number | null; sizeBytes: number; timeline: number | null } | null;
  target: { kind: string; value: string } | null;
  postgresMajor: number | null;
  space: { path: string; availableBytes: number; neededBytes: number } | null;
  port: number | null;
  scratchDir: string | null;
  copySeconds: number | null;
  recoverySeconds: number | null;
  /** Copy plus recovery until the copy was promoted: the RTO measured. */
  restoreSeconds: number | null;
  primaryLsn: string | null;
  newestWal: string | null;
  newestWalEndLsn: string | null;
  recoveredLsn: string | null;
  walGapBytes: number | null;
  restoredSizeBytes: number | null;
  catalog: Record<string, number> | null;
  sqlOutput: string | null;
  command: string[] | null;
  tablespaces: Array<{ name: string; location: string | null }>;
  destinationState: string | null;
  cleanedUp: boolean | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** The document as the runner wrote it. */
  raw: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** The runner's document from its stdout, or null when it printed none. */
export function extractResult(stdout: string): Json | null {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith(`${RESULT_MARK} `)) continue;
    try {
      const doc = JSON.parse(line.slice(RESULT_MARK.length + 1)) as unknown;
      return isRecord(doc) ? doc : null;
    } catch {
      return null;
    }
  }
  return null;
}

export function readResult(doc: Json, fallback: { server: string; barmanHost: string; restoreHost: string }): RestoreRunResult {
  const b = isRecord(doc['backup']) ? doc['backup'] : null;
  const sp = isRecord(doc['space']) ? doc['space'] : null;
  const t = isRecord(doc['target']) ? doc['target'] : null;
  const catalog = isRecord(doc['catalog']) ? Object.fromEntries(Object.entries(doc['catalog']).map(([k, v]) => [k, num(v) ?? 0])) : null;
  const tbs = Array.isArray(doc['tablespaces']) ? doc['tablespaces'] : [];
  const phase = str(doc['phase']) ?? 'unknown';
  const ok = doc['ok'] === true;
  return {
    server: str(doc['server']) ?? fallback.server,
    barmanHost: str(doc['barman_host']) ?? fallback.barmanHost,
    restoreHost: str(doc['restore_host']) ?? fallback.restoreHost,
    mode: str(doc['mode']) ?? '',
    ok,
    refused: !ok && phase === 'plan',
    phase,
    error: str(doc['error']),
    detail: str(doc['detail']),
    barmanVersion: str(doc['barman_version']),
    barmanCommand: str(doc['barman_command']),
    walMode: str(doc['wal_mode']),
    backup: b && str(b['id']) ? { id: str(b['id']) ?? '', endTime: str(b['end_time']), endEpoch: num(b['end_epoch']), sizeBytes: num(b['size_bytes']) ?? 0, timeline: num(b['timeline']) } : null,
    target: t && str(t['kind']) ? { kind: str(t['kind']) ?? '', value: str(t['value']) ?? '' } : null,
    postgresMajor: num(doc['postgres_major']),
    space: sp ? { path: str(sp['path']) ?? '', availableBytes: num(sp['available_bytes']) ?? 0, neededBytes: num(sp['needed_bytes']) ?? 0 } : null,
    port: num(doc['port']),
    scratchDir: str(doc['scratch_dir']),
    copySeconds: num(doc['copy_seconds']),
    recoverySeconds: num(doc['recovery_seconds']),
    restoreSeconds: num(doc['restore_seconds']),
    primaryLsn: str(doc['primary_lsn']),
    newestWal: str(doc['newest_wal']),
    newestWalEndLsn: str(doc['newest_wal_end_lsn']),
    recoveredLsn: str(doc['recovered_lsn']),
    walGapBytes: num(doc['wal_gap_bytes']),
    restoredSizeBytes: num(doc['restored_size_bytes']),
    catalog,
    sqlOutput: str(doc['sql_output']),
    command: Array.isArray(doc['command']) ? doc['command'].filter((x): x is string => typeof x === 'string') : null,
    tablespaces: tbs.flatMap((x) => (Array.isArray(x) && typeof x[0] === 'string' ? [{ name: x[0], location: typeof x[1] === 'string' ? x[1] : null }] : [])),
    destinationState: str(doc['destination_state']),
    cleanedUp: typeof doc['cleaned_up'] === 'boolean' ? doc['cleaned_up'] : null,
    startedAt: num(doc['started_at']),
    finishedAt: num(doc['finished_at']),
    raw: doc,
  };
}

/** A result for a run that produced no document (the host failed us, not the runner). */
export function failedResult(fallback: { server: string; barmanHost: string; restoreHost: string; mode: string }, error: string, detail: string | null = null): RestoreRunResult {
  return { ...readResult({}, fallback), mode: fallback.mode, error, detail, phase: 'unknown' };
}

/** The JSON shape of one result (snake_case, as every --json document of ours). */
export function resultJson(r: RestoreRunResult): Record<string, unknown> {
  return {
    server: r.server,
    barman_host: r.barmanHost,
    restore_host: r.restoreHost,
    ok: r.ok,
    refused: r.refused,
    phase: r.phase,
    error: r.error,
    detail: r.detail,
    barman_version: r.barmanVersion,
    barman_command: r.barmanCommand,
    wal_mode: r.walMode,
    backup: r.backup && { id: r.backup.id, end_time: r.backup.endTime, end_epoch: r.backup.endEpoch, size_bytes: r.backup.sizeBytes, timeline: r.backup.timeline },
    target: r.target,
    postgres_major: r.postgresMajor,
    space: r.space && { path: r.space.path, available_bytes: r.space.availableBytes, needed_bytes: r.space.neededBytes },
    port: r.port,
    scratch_dir: r.scratchDir,
    copy_seconds: r.copySeconds,
    recovery_seconds: r.recoverySeconds,
    restore_seconds: r.restoreSeconds,
    primary_lsn: r.primaryLsn,
    newest_wal: r.newestWal,
    newest_wal_end_lsn: r.newestWalEndLsn,
    recovered_lsn: r.recoveredLsn,
    wal_gap_bytes: r.walGapBytes,
    restored_size_bytes: r.restoredSizeBytes,
    catalog: r.catalog,
    sql_output: r.sqlOutput,
    command: r.command,
    tablespaces: r.tablespaces,
    destination_state: r.destinationState,
    cleaned_up: r.cleanedUp,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
  };
}
