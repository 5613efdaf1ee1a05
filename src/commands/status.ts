// `tpa-barman status CLUSTER [--json]`: per backed-up instance and Barman host, the last
// backup, WAL streaming, the slot and its lag, retention and the next scheduled backup.
// Read-only: connections are opened read-only and every script is declared read-only.
import { loadCluster } from '../config/load.js';
import { ExitCode } from '../exit-codes.js';
import { formatBytes, formatDuration } from '../report/format.js';
import { makeColors } from '../report/style.js';
import { renderTable } from '../report/table.js';
import type { ConnectionFlags } from './common.js';
import { parseSections, runReadOnlyScripts, sectionScript, type HostScript } from './read-only.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import {
  assessStatus,
  barmanStatusSections,
  postgresStatusSections,
  slotsByPostgresHost,
  type HostSections,
  type ServerStatus,
} from '../../playbooks/barman/status.js';

export interface StatusFlags extends ConnectionFlags {
  json?: boolean;
  color?: boolean;
}

export async function runStatus(dir: string, flags: StatusFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const jobs: HostScript[] = model.barmanHosts
    .filter((b) => b.servers.length > 0)
    .map((b) => ({ host: b.name, script: sectionScript(barmanStatusSections(b)), label: 'barman status (list-backups, check, show-servers, cron)', timeoutMs: 300_000 }));
  for (const [pgHost, slots] of slotsByPostgresHost(model)) {
    const p = model.postgresHosts.find((x) => x.name === pgHost);
    if (p) jobs.push({ host: p.name, script: sectionScript(postgresStatusSections(p, slots)), label: 'read pg_replication_slots' });
  }
  const outputs = await runReadOnlyScripts(cluster, jobs, flags);
  const hosts = new Map<string, HostSections>();
  for (const [host, o] of outputs) hosts.set(host, o.reachable ? { reachable: true, sections: parseSections(o.stdout) } : { reachable: false, error: o.error });
  const servers = assessStatus(model, hosts);
  const unreachable = [...outputs.values()].flatMap((o) => (o.reachable ? [] : [{ host: o.host, error: o.error, ...(o.hint ? { hint: o.hint } : {}) }]));
  const problems = servers.filter((s) => s.problems.length > 0).length;
  const exitCode = unreachable.length > 0 ? ExitCode.Unreachable : problems > 0 ? ExitCode.HostFailure : ExitCode.Ok;

  if (flags.json) {
    out.write(`${JSON.stringify({ cluster: cluster.name, ok: exitCode === ExitCode.Ok, exit_code: exitCode, servers: servers.map(serverJson), unreachable }, null, 2)}\n`);
  }
  printStatus(servers, unreachable, err, flags.color);
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
    problems: s.problems,
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

function printStatus(servers: ServerStatus[], unreachable: Array<{ host: string; error: string; hint?: string }>, err: NodeJS.WritableStream, force?: boolean): void {
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
    s.problems.length === 0 ? 'OK' : 'PROBLEM',
  ]);
  const headers = ['SERVER', 'BARMAN', 'LAST BACKUP', 'N', 'WAL', 'SLOT LAG', 'RETENTION', 'NEXT BACKUP', 'STATUS'];
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
  err.write(
    bad.length === 0 && unreachable.length === 0
      ? c.green(`\nAll ${servers.length} backup server${servers.length === 1 ? '' : 's'} OK.\n`)
      : c.red(`\n${bad.length} of ${servers.length} backup server${servers.length === 1 ? '' : 's'} with problems.\n`),
  );
}
