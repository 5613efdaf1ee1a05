// `tpa-barman status CLUSTER [--json]`: per backed-up instance and Barman host, the last
// backup, WAL streaming, the slot and its lag, retention and the next scheduled backup.
// Read-only: connections are opened read-only and every script is declared read-only.
import { loadCluster } from '../config/load.js';
import { hostSelected } from '../engine/selection.js';
import { ExitCode } from '../exit-codes.js';
import { header, writeDocument } from '../report/json.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { makeColors } from '../report/style.js';
import { renderTable } from '../report/table.js';
import type { ConnectionFlags } from './common.js';
import { checkNotEmpty, checkSelection } from './selection-check.js';
import { parseSections, runReadOnlyScripts, sectionScript, type HostScript } from './read-only.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import {
  assessStatus,
  barmanStatusSections,
  postgresStatusSections,
  slotsByPostgresHost,
  STATUS_TAGS,
  type HostSections,
  type ServerStatus,
  type StatusTag,
} from '../../playbooks/barman/status.js';

export interface StatusFlags extends ConnectionFlags {
  json?: boolean;
  color?: boolean;
  verbose?: number;
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
}

/** Does a finding count under --tags/--skip-tags? A host that was not read always does. */
function tagSelected(tag: StatusTag, flags: StatusFlags): boolean {
  if (tag === 'host') return true;
  if (flags.skipTags?.includes(tag)) return false;
  return !flags.tags?.length || flags.tags.includes(tag);
}

export async function runStatus(dir: string, flags: StatusFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const selection = { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags };
  const hostNames = [...new Set([...model.barmanHosts.map((b) => b.name), ...model.postgresHosts.map((p) => p.name)])];
  checkSelection(selection, hostNames, STATUS_TAGS);
  const wanted = (s: { barmanHost: string; pgHost: string }): boolean => hostSelected(selection, s.barmanHost) || hostSelected(selection, s.pgHost);
  const selected = model.backups.filter(wanted);
  checkNotEmpty(selection, selected.length, 'backup server (a server is selected by its Barman or PostgreSQL host)', hostNames);

  const involved = new Set(selected.flatMap((s) => [s.barmanHost, s.pgHost]));
  const jobs: HostScript[] = model.barmanHosts
    .filter((b) => b.servers.length > 0 && involved.has(b.name))
    .map((b) => ({ host: b.name, script: sectionScript(barmanStatusSections(b)), label: 'barman status (list-backups, check, show-servers, cron)', timeoutMs: 300_000 }));
  for (const [pgHost, slots] of slotsByPostgresHost(model)) {
    const p = model.postgresHosts.find((x) => x.name === pgHost);
    if (p && involved.has(p.name)) jobs.push({ host: p.name, script: sectionScript(postgresStatusSections(p, slots)), label: 'read pg_replication_slots' });
  }
  const outputs = await runReadOnlyScripts(cluster, jobs, flags);
  const hosts = new Map<string, HostSections>();
  for (const [host, o] of outputs) hosts.set(host, o.reachable ? { reachable: true, sections: parseSections(o.stdout) } : { reachable: false, error: o.error });
  const servers = assessStatus(model, hosts)
    .filter(wanted)
    .map((s) => {
      const findings = s.findings.filter((f) => tagSelected(f.tag, flags));
      return { ...s, findings, problems: findings.map((f) => f.text) };
    });
  const unreachable = [...outputs.values()].flatMap((o) => (o.reachable ? [] : [{ host: o.host, error: o.error, ...(o.hint ? { hint: o.hint } : {}) }]));
  // Reached, but the script itself did not run (no section came back): not a finding about backups.
  const unread = [...outputs.values()].flatMap((o) => (o.reachable && o.code !== 0 && parseSections(o.stdout).size === 0 ? [{ host: o.host, error: o.stderr.trim().split('\n').slice(-3).join('\n') || `exit ${o.code}` }] : []));
  const problems = servers.filter((s) => s.problems.length > 0).length;
  const exitCode = unreachable.length > 0 ? ExitCode.Unreachable : unread.length > 0 ? ExitCode.ReadFailure : problems > 0 ? ExitCode.ChecksFailed : ExitCode.Ok;

  if (flags.json) {
    writeDocument(out, header('status', 'status', exitCode, cluster.name), {
      servers: servers.map(serverJson),
      unreachable,
      unread,
      hosts: [...outputs.values()].map((o) => ({ host: o.host, reachable: o.reachable, ms: o.reachable ? o.ms : null })),
    });
  }
  printStatus(servers, unreachable, unread, err, flags.color);
  if ((flags.verbose ?? 0) >= 1) {
    for (const o of outputs.values()) err.write(`${o.host}: ${o.reachable ? `read in ${o.ms} ms (exit ${o.code})` : 'not reached'}\n`);
    for (const s of servers) for (const c of s.failingChecks) err.write(`${s.server} on ${s.barmanHost}: barman check: ${c}\n`);
  }
  return exitCode;
}

function serverJson(s: ServerStatus): Record<string, unknown> {
  return {
    server: s.server,
    barman_host: s.barmanHost,
    pg_host: s.pgHost,
    ok: s.problems.length === 0,
    active: s.active,
    backups: s.backups,
    last_backup: s.lastBackup && { id: s.lastBackup.id, end_time: s.lastBackup.endTime, age_seconds: s.lastBackup.ageSeconds, size_bytes: s.lastBackup.sizeBytes },
    receive_wal: s.receiveWal,
    streaming: s.streaming,
    slot: { name: s.slot.name, exists: s.slot.exists, active: s.slot.active, wal_status: s.slot.walStatus, lag_bytes: s.slot.lagBytes },
    retention_policy: s.retentionPolicy,
    schedule: s.schedule,
    next_backup: s.nextBackup,
    failing_checks: s.failingChecks,
    restore_test: s.restoreTest && {
      schedule: s.restoreTest.schedule,
      overdue: s.restoreTest.overdue,
      last: s.restoreTest.last && {
        ok: s.restoreTest.last.ok,
        finished_at: s.restoreTest.last.finishedAt,
        age_seconds: s.restoreTest.last.ageSeconds,
        backup_id: s.restoreTest.last.backupId,
        restore_seconds: s.restoreTest.last.restoreSeconds,
        wal_gap_bytes: s.restoreTest.last.walGapBytes,
        error: s.restoreTest.last.error,
      },
    },
    problems: s.problems,
    findings: s.findings,
  };
}

/** "RECOVERY WINDOW OF 4 WEEKS" → "window 4 weeks"; "REDUNDANCY 3" → "redundancy 3". */
function shortRetention(p: string | null): string {
  if (!p) return '-';
  return p.replace(/^RECOVERY WINDOW OF /i, 'window ').replace(/^REDUNDANCY /i, 'redundancy ').toLowerCase();
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** "2026-11-25T04:00:00+00:00" → "Wed 04:00 (in 21 h)" (the host's wall clock). */
function shortNext(iso: string | null, schedule: string | null, nowMs: number): string {
  if (!iso) return schedule ? `never (${schedule})` : '-';
  const wall = new Date(`${iso.slice(0, 19)}Z`);
  const inSeconds = (Date.parse(iso) - nowMs) / 1000;
  return `${DAY_NAMES[wall.getUTCDay()] ?? ''} ${iso.slice(11, 16)} (in ${formatDuration(inSeconds)})`;
}

/** "passed 3 h ago" / "FAILED 2 d ago" / "not run yet" / "-" (not scheduled). */
function restoreCell(s: ServerStatus): string {
  const rt = s.restoreTest;
  if (!rt) return '-';
  if (!rt.last) return 'not run yet';
  return `${rt.last.ok ? 'passed' : 'FAILED'} ${formatDuration(rt.last.ageSeconds)} ago${rt.overdue ? ' (overdue)' : ''}`;
}

function printStatus(
  servers: ServerStatus[],
  unreachable: Array<{ host: string; error: string; hint?: string }>,
  unread: Array<{ host: string; error: string }>,
  err: NodeJS.WritableStream,
  force?: boolean,
): void {
  const c = makeColors(err, force);
  const now = Date.now();
  const rows = servers.map((s) => [
    s.server === s.pgHost ? s.server : `${s.server} (${s.pgHost})`,
    s.barmanHost,
    s.lastBackup ? `${formatDuration(s.lastBackup.ageSeconds)} ago, ${formatBytes(s.lastBackup.sizeBytes)}` : s.backups === 0 ? 'none' : '?',
    s.backups === null ? '?' : String(s.backups),
    s.streaming === 'unknown' ? (s.receiveWal === 'unknown' ? '?' : `receive-wal ${s.receiveWal}`) : s.streaming,
    s.slot.exists === null ? '?' : !s.slot.exists ? 'no slot' : s.slot.lagBytes === null ? '-' : formatBytes(s.slot.lagBytes),
    shortRetention(s.retentionPolicy),
    shortNext(s.nextBackup, s.schedule, now),
    restoreCell(s),
    s.problems.length === 0 ? 'OK' : 'PROBLEM',
  ]);
  const headers = ['SERVER', 'BARMAN', 'LAST BACKUP', 'N', 'WAL', 'SLOT LAG', 'RETENTION', 'NEXT BACKUP', 'RESTORE TEST', 'STATUS'];
  // The restore test column only when some server has a scheduled one.
  if (!servers.some((s) => s.restoreTest)) {
    const at = headers.indexOf('RESTORE TEST');
    headers.splice(at, 1);
    for (const r of rows) r.splice(at, 1);
  }
  err.write(
    renderTable(headers, rows, {
      style: (r, col, text) => {
        if (r < 0) return c.bold(text);
        if (col !== headers.length - 1) return text;
        return servers[r]?.problems.length ? c.red(text) : c.green(text);
      },
    }),
  );
  const bad = servers.filter((s) => s.problems.length > 0);
  if (bad.length > 0) err.write('\n');
  for (const s of bad) err.write(`${c.red('✗')} ${s.server} on ${s.barmanHost}: ${s.problems.join('; ')}\n`);
  for (const u of unreachable) {
    err.write(`${c.red('unreachable')} ${u.error}\n`);
    if (u.hint) err.write(`  ${c.yellow(`hint: ${u.hint}`)}\n`);
  }
  for (const u of unread) err.write(`${c.red('not read')} ${u.host}: ${u.error}\n`);
  err.write(
    bad.length === 0 && unreachable.length === 0 && unread.length === 0
      ? c.green(`\nAll ${servers.length} backup server${servers.length === 1 ? '' : 's'} OK.\n`)
      : c.red(`\n${bad.length} of ${servers.length} backup server${servers.length === 1 ? '' : 's'} with problems.\n`),
  );
}
