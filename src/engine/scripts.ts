// Builds the two batched scripts a host receives — facts and apply — and parses what
// they print. Everything a resource contributes is framed by nonce markers and base64
// encoded, so probed content can neither break nor forge the framing.
import { randomBytes } from 'node:crypto';
import type { ProbeOutput } from './probe.js';
import type { Change } from './resource.js';
import { REMOTE_RUNTIME, marker } from './remote-runtime.js';
import { shellQuote } from '../util/shell.js';

export interface PgAccess {
  /** OS user that owns the cluster and may connect by peer authentication. */
  osUser: string;
  port: number;
  /** psql to run; unset: `psql` from PATH (Debian's pg_wrapper for community PostgreSQL). */
  psql?: string;
  /** Unix socket directory to connect through (`-h`); unset: libpq's default. */
  socketDir?: string;
}

/** `runuser -u <owner> -- psql -p <port> [-h <socket dir>] -d postgres`: the local superuser login. */
export function psqlCommand(pg: PgAccess, flags: string): string {
  const host = pg.socketDir === undefined ? '' : ` -h ${shellQuote(pg.socketDir)}`;
  return `runuser -u ${shellQuote(pg.osUser)} -- ${shellQuote(pg.psql ?? 'psql')} ${flags} -p ${pg.port}${host} -d postgres`;
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** One distinct probe command of a host's facts script (identical probes share one). */
export interface ProbeCommand {
  index: number;
  sh?: string;
  sql?: string;
}

/** What one probe command gave: its output, or why there is none (shown to the user). */
export type ProbeRun = { ok: true; out: ProbeOutput } | { ok: false; reason: string };

/** Bytes of stderr kept per probe and for psql: enough for the tail we show. */
const STDERR_TAIL_BYTES = 4000;

/**
 * The facts script: every sh probe in its own subshell, stdout and stderr kept apart,
 * each framed (base64) with its exit code; then all SQL probes in one psql that stops at
 * the first error (ON_ERROR_STOP), its output, stderr and exit code framed likewise.
 * Nothing is thrown away: a failing probe is reported with its own stderr.
 */
export function buildFactsScript(cmds: ProbeCommand[], pg: PgAccess | undefined, nonce: string): string {
  const parts: string[] = ['cd / || exit 1', '_T=$(mktemp) && _E=$(mktemp) || exit 1', 'trap \'rm -f "$_T" "$_E"\' EXIT'];
  const frame = (begin: string, end: string): string =>
    `printf '%s\\n' '${begin}'; base64 -w0 "$_T"; printf '\\n'; tail -c ${STDERR_TAIL_BYTES} "$_E" | base64 -w0; printf '\\n%s:%s\\n' '${end}' "$_rc"`;
  for (const { index, sh } of cmds) {
    if (sh === undefined) continue;
    parts.push(`( ${sh}\n) >"$_T" 2>"$_E" </dev/null; _rc=$?`, frame(marker(nonce, 'begin', index), marker(nonce, 'end', index)));
  }
  const sqlCmds = cmds.filter((c) => c.sql !== undefined);
  if (sqlCmds.length > 0 && pg) {
    const delim = `TPAB_SQL_${nonce}`;
    const sql = sqlCmds
      .map(({ index, sql: q }) => `\\echo ${marker(nonce, 'begin', index)}:sql\nSELECT (${q})::text;\n\\echo ${marker(nonce, 'end', index)}:sql`)
      .join('\n');
    parts.push(
      `${psqlCommand(pg, '-XAtq')} -v ON_ERROR_STOP=1 <<'${delim}' >"$_T" 2>"$_E"; _rc=$?`,
      `\\pset null '${nullMarker(nonce)}'`,
      sql,
      delim,
      frame(`@@tpab:${nonce}:psql`, `@@tpab:${nonce}:psql-end`),
    );
  }
  return parts.join('\n') + '\n';
}

function nullMarker(nonce: string): string {
  return `@@tpab:${nonce}:null`;
}

interface Frame {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/** The frames a facts script printed, by label (`<index>` or `psql`). */
function readFrames(stdout: string, nonce: string): Map<string, Frame> {
  const frames = new Map<string, Frame>();
  const lines = stdout.split('\n');
  const begin = new RegExp(`^@@tpab:${nonce}:(?:begin:(\\d+)|(psql))$`);
  for (let n = 0; n < lines.length; n++) {
    const m = begin.exec(lines[n] ?? '');
    if (!m) continue;
    const label = m[1] ?? 'psql';
    const endMark = label === 'psql' ? `@@tpab:${nonce}:psql-end:` : `${marker(nonce, 'end', Number(label))}:`;
    const end = lines[n + 3] ?? '';
    if (!end.startsWith(endMark) || !/^\d+$/.test(end.slice(endMark.length))) continue;
    frames.set(label, {
      stdout: Buffer.from(lines[n + 1] ?? '', 'base64'),
      stderr: Buffer.from(lines[n + 2] ?? '', 'base64').toString('utf8'),
      code: Number(end.slice(endMark.length)),
    });
    n += 3;
  }
  return frames;
}

/** The last lines of a command's stderr, for a message. */
export function stderrTail(text: string, lines = 6): string {
  const t = text.trim();
  return t === '' ? '' : t.split('\n').slice(-lines).join('\n');
}

/** Each SQL probe's value from psql's output: text, null (SQL NULL), or absent (not run). */
function sqlValues(psqlOut: string, nonce: string): Map<number, string | null> {
  const values = new Map<number, string | null>();
  const lines = psqlOut.split('\n');
  const begin = new RegExp(`^@@tpab:${nonce}:begin:(\\d+):sql$`);
  for (let n = 0; n < lines.length; n++) {
    const m = begin.exec(lines[n] ?? '');
    if (!m) continue;
    const index = Number(m[1]);
    const endMark = `${marker(nonce, 'end', index)}:sql`;
    const body: string[] = [];
    let k = n + 1;
    for (; k < lines.length && lines[k] !== endMark; k++) body.push(lines[k] ?? '');
    if (k >= lines.length) break; // psql stopped inside this query: no value
    const text = body.join('\n');
    values.set(index, text === nullMarker(nonce) ? null : text);
    n = k;
  }
  return values;
}

/**
 * What each probe command gave. Never a default: a probe without its frame, with a
 * non-zero exit, or whose SQL did not run, gets a reason instead of an output.
 */
export function parseFacts(res: { stdout: string; stderr: string; code: number }, nonce: string, cmds: ProbeCommand[], pg: PgAccess | undefined): Map<number, ProbeRun> {
  const frames = readFrames(res.stdout, nonce);
  const scriptTail = stderrTail(res.stderr);
  const stopped = `no output: the facts script stopped before it (exit ${res.code}${scriptTail ? `: ${scriptTail}` : ''})`;
  const psql = frames.get('psql');
  const values = psql ? sqlValues(psql.stdout.toString('utf8'), nonce) : new Map<number, string | null>();
  const psqlError = psql ? stderrTail(psql.stderr) || `psql exited ${psql.code} without a message` : '';
  const out = new Map<number, ProbeRun>();
  for (const c of cmds) {
    let stdout: Buffer = Buffer.alloc(0);
    if (c.sh !== undefined) {
      const f = frames.get(String(c.index));
      if (!f) {
        out.set(c.index, { ok: false, reason: stopped });
        continue;
      }
      if (f.code !== 0) {
        const tail = stderrTail(f.stderr);
        out.set(c.index, { ok: false, reason: `exit ${f.code}${tail ? `: ${tail}` : ' (no message on stderr)'}` });
        continue;
      }
      stdout = f.stdout;
    }
    let sql: string | null | undefined;
    if (c.sql !== undefined) {
      if (!pg) {
        out.set(c.index, { ok: false, reason: 'internal error: a SQL probe on a host without PostgreSQL access' });
        continue;
      }
      if (!psql) {
        out.set(c.index, { ok: false, reason: stopped });
        continue;
      }
      const v = values.get(c.index);
      if (v === undefined) {
        out.set(c.index, { ok: false, reason: `PostgreSQL could not be queried (psql exit ${psql.code}): ${psqlError}` });
        continue;
      }
      sql = v;
    }
    out.set(c.index, { ok: true, out: { stdout, sql } });
  }
  return out;
}

export interface ApplyItem {
  index: number;
  change: Change;
}

export const EXIT_LOCKED = 75;
export const EXIT_STALE = 76;

/**
 * One script for all of a host's changes in a phase, under the host-wide lock.
 * Compare-and-swap guards are checked first, so a concurrent writer (another
 * cluster's deploy) makes us re-read and re-plan instead of losing its update.
 */
export function buildApplyScript(
  items: ApplyItem[],
  handlers: ApplyItem[],
  pg: PgAccess | undefined,
  nonce: string,
  holder: string,
  lockWaitSeconds: number,
): string {
  const out: string[] = ['cd / || exit 1', REMOTE_RUNTIME];
  out.push(
    // TPAB_LOCK_DIR: only the local-shell connector (unit tests) sets it, to its temp root.
    '_L=${TPAB_LOCK_DIR:-/var/lock}',
    'mkdir -p "$_L"',
    'exec 9>>"$_L/tpa-barman.lock"',
    `if ! flock -w ${lockWaitSeconds} 9; then printf '%s %s\\n' '@@tpab:${nonce}:locked' "$(cat "$_L/tpa-barman.holder" 2>/dev/null)"; exit ${EXIT_LOCKED}; fi`,
    `printf '%s\\n' ${shellQuote(holder)} > "$_L/tpa-barman.holder"`,
    '_T=$(mktemp) || exit 1',
    '_G=$(mktemp -d) || exit 1',
    'trap \'rm -rf "$_T" "$_G"\' EXIT',
  );
  for (const { change } of [...items, ...handlers]) {
    if (!change.guard) continue;
    const p = shellQuote(change.guard.path);
    out.push(`[ "$(tpab_sha ${p})" = '${change.guard.sha256}' ] || { printf '%s %s\\n' '@@tpab:${nonce}:stale' ${p}; exit ${EXIT_STALE}; }`);
  }
  const sqlItems = items.filter((i) => i.change.sql?.length || i.change.secretSql?.length);
  let sqlDone = false;
  const snippetOf = ({ change }: ApplyItem): string => {
    let snippet = change.sh ?? '';
    if ((change.sql?.length || change.secretSql?.length) && !sqlDone) {
      // All SQL of the host in one transaction at the first SQL change: role changes,
      // grants and memberships commit together or not at all.
      sqlDone = true;
      snippet = `${sqlSnippet(sqlItems.map((i) => i.change), pg, nonce)}\n${snippet}`;
    }
    return snippet.trim() ? snippet : ':';
  };
  const report = (index: number, file: string): string =>
    `printf '%s\\n' '${marker(nonce, 'begin', index)}'; base64 -w0 ${file}; printf '\\n%s:%s\\n' '${marker(nonce, 'end', index)}' "$_rc"`;
  for (const group of concurrentGroups([...items, ...handlers])) {
    if (group.length === 1) {
      const item = group[0] as ApplyItem;
      out.push(
        `printf '%s\\n' '${marker(nonce, 'begin', item.index)}'`,
        // 9>&-: daemons started by a step (cron, receive-wal) must not inherit the lock.
        `( set -e\n${snippetOf(item)}\n) >"$_T" 2>&1 </dev/null 9>&-; _rc=$?`,
        `base64 -w0 "$_T"; printf '\\n%s:%s\\n' '${marker(nonce, 'end', item.index)}' "$_rc"`,
        `[ "$_rc" -eq 0 ] || exit 1`,
      );
      continue;
    }
    // Started together, each with its own output file; reported in order once all ended.
    out.push('_fail=0');
    group.forEach((item, k) => out.push(`( set -e\n${snippetOf(item)}\n) >"$_G/${k}" 2>&1 </dev/null 9>&- &\n_p${k}=$!`));
    group.forEach((item, k) => out.push(`wait "$_p${k}"; _rc=$?`, report(item.index, `"$_G/${k}"`), `[ "$_rc" -eq 0 ] || _fail=1`));
    out.push('[ "$_fail" -eq 0 ] || exit 1');
  }
  return out.join('\n') + '\n';
}

/** Runs of neighbouring items with the same `concurrent` key (and no SQL); every other item alone. */
export function concurrentGroups(items: ApplyItem[]): ApplyItem[][] {
  const groups: ApplyItem[][] = [];
  let key: string | undefined;
  for (const item of items) {
    const c = item.change;
    const k = c.sql?.length || c.secretSql?.length ? undefined : c.concurrent;
    const last = groups[groups.length - 1];
    if (k !== undefined && k === key && last) last.push(item);
    else groups.push([item]);
    key = k;
  }
  return groups;
}

function sqlSnippet(changes: Change[], pg: PgAccess | undefined, nonce: string): string {
  if (!pg) throw new Error('internal error: SQL change on a host without PostgreSQL access');
  const plain = changes.flatMap((c) => c.sql ?? []);
  const secret = changes.flatMap((c) => c.secretSql ?? []);
  const delim = `TPAB_SQL_${nonce}`;
  const body = [
    'BEGIN;',
    // Serialise concurrent deploys touching roles on this server.
    "SELECT pg_advisory_xact_lock(hashtext('tpa-barman:roles'));",
    ...plain.map((s) => `${s};`),
    // Verifiers are not passwords, but keep them out of the server log all the same.
    ...(secret.length ? ["SET LOCAL log_statement = 'none';", "SET LOCAL log_min_duration_statement = -1;", ...secret.map((s) => `${s};`)] : []),
    'COMMIT;',
  ].join('\n');
  return `${psqlCommand(pg, '-X -q -v ON_ERROR_STOP=1')} <<'${delim}'\n${body}\n${delim}`;
}

export interface ApplyOutcome {
  results: Map<number, { code: number; output: string }>;
  locked?: string;
  stale?: string;
}

export function parseApply(stdout: string, nonce: string): ApplyOutcome {
  const results = new Map<number, { code: number; output: string }>();
  const outcome: ApplyOutcome = { results };
  const lines = stdout.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    if (line.startsWith(`@@tpab:${nonce}:locked`)) outcome.locked = line.slice(`@@tpab:${nonce}:locked`.length).trim();
    if (line.startsWith(`@@tpab:${nonce}:stale`)) outcome.stale = line.slice(`@@tpab:${nonce}:stale`.length).trim();
    const begin = new RegExp(`^@@tpab:${nonce}:begin:(\\d+)$`).exec(line);
    if (!begin) continue;
    const index = Number(begin[1]);
    const b64 = lines[n + 1] ?? '';
    const end = new RegExp(`^@@tpab:${nonce}:end:${index}:(\\d+)$`).exec(lines[n + 2] ?? '');
    results.set(index, { code: end ? Number(end[1]) : 255, output: Buffer.from(b64, 'base64').toString('utf8') });
    n += 2;
  }
  return outcome;
}
