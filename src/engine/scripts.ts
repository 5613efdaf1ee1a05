// Builds the two batched scripts a host receives — facts and apply — and parses what
// they print. Everything a resource contributes is framed by nonce markers and base64
// encoded, so probed content can neither break nor forge the framing.
import { randomBytes } from 'node:crypto';
import type { Change, Fact, ProbeSpec } from './resource.js';
import { REMOTE_RUNTIME, marker } from './remote-runtime.js';
import { shellQuote } from '../util/shell.js';

export interface PgAccess {
  /** OS user that owns the cluster and may connect by peer authentication. */
  osUser: string;
  port: number;
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

export function buildFactsScript(probes: Array<{ index: number; spec: ProbeSpec }>, pg: PgAccess | undefined, nonce: string): string {
  const parts: string[] = ['cd / || exit 1', '_T=$(mktemp) || exit 1', 'trap \'rm -f "$_T"\' EXIT'];
  for (const { index, spec } of probes) {
    if (spec.sh === undefined) continue;
    parts.push(
      `( ${spec.sh}\n) >"$_T" 2>/dev/null </dev/null; _rc=$?`,
      `printf '%s\\n' '${marker(nonce, 'begin', index)}'; base64 -w0 "$_T"; printf '\\n%s:%s\\n' '${marker(nonce, 'end', index)}' "$_rc"`,
    );
  }
  const sqlProbes = probes.filter((p) => p.spec.sql !== undefined);
  if (sqlProbes.length > 0 && pg) {
    const delim = `TPAB_SQL_${nonce}`;
    const sql = sqlProbes
      .map(({ index, spec }) => `\\echo ${marker(nonce, 'begin', index)}:sql\nSELECT (${spec.sql})::text;\n\\echo ${marker(nonce, 'end', index)}:sql`)
      .join('\n');
    parts.push(
      `runuser -u ${shellQuote(pg.osUser)} -- psql -XAtq -p ${pg.port} -d postgres -v ON_ERROR_STOP=0 <<'${delim}' 2>/dev/null`,
      sql,
      delim,
    );
  }
  return parts.join('\n') + '\n';
}

export function parseFacts(stdout: string, nonce: string, indexes: number[]): Map<number, Fact> {
  const facts = new Map<number, Fact>();
  for (const i of indexes) facts.set(i, { sh: '', shCode: 0, sql: null });
  const lines = stdout.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    const begin = new RegExp(`^@@tpab:${nonce}:begin:(\\d+)(:sql)?$`).exec(line);
    if (!begin) continue;
    const index = Number(begin[1]);
    const fact = facts.get(index) ?? { sh: '', shCode: 0, sql: null };
    if (begin[2]) {
      const endMark = `${marker(nonce, 'end', index)}:sql`;
      const body: string[] = [];
      for (n++; n < lines.length && lines[n] !== endMark; n++) body.push(lines[n] ?? '');
      fact.sql = body.join('\n');
    } else {
      const b64 = lines[n + 1] ?? '';
      const end = new RegExp(`^@@tpab:${nonce}:end:${index}:(\\d+)$`).exec(lines[n + 2] ?? '');
      fact.sh = Buffer.from(b64, 'base64').toString('utf8');
      fact.shCode = end ? Number(end[1]) : 255;
      n += 2;
    }
    facts.set(index, fact);
  }
  return facts;
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
    'mkdir -p /var/lock',
    'exec 9>>/var/lock/tpa-barman.lock',
    `if ! flock -w ${lockWaitSeconds} 9; then printf '%s %s\\n' '@@tpab:${nonce}:locked' "$(cat /var/lock/tpa-barman.holder 2>/dev/null)"; exit ${EXIT_LOCKED}; fi`,
    `printf '%s\\n' ${shellQuote(holder)} > /var/lock/tpa-barman.holder`,
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
  return `runuser -u ${shellQuote(pg.osUser)} -- psql -X -q -v ON_ERROR_STOP=1 -p ${pg.port} -d postgres <<'${delim}'\n${body}\n${delim}`;
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
