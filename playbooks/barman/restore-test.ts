// `tpa-barman restore-test`: restore each selected server's latest backup (or a point in
// time) into a scratch directory on its restore host, start it isolated, check it, remove
// it, and report the RTO measured and the WAL gap. The work itself is the restore runner
// (restore/runner-source.ts), run as the Barman user on each Barman host; this module
// chooses the servers and turns results into rows.
import { SelectionError } from '../../src/errors.js';
import { formatBytes } from '../../src/report/format.js';
import type { BackupServerSpec, BarmanModel } from './model.js';
import { runnerParams, type ParamsOptions, type RunnerParams } from './restore/params.js';
import type { RestoreRunResult } from './restore/result.js';

/** The servers named by --server (backup names) and --barman (Barman hosts); all by default. */
export function selectServers(model: BarmanModel, names: readonly string[] = [], barman?: string): BackupServerSpec[] {
  let servers = model.backups;
  if (barman !== undefined) {
    const hosts = model.barmanHosts.map((b) => b.name);
    if (!hosts.includes(barman)) throw new SelectionError('--barman', [barman], hosts, `--barman ${barman}: no Barman instance of that name`);
    servers = servers.filter((s) => s.barmanHost === barman);
  }
  const available = [...new Set(servers.map((s) => s.backupName))];
  if (names.length > 0) {
    const unknown = names.filter((n) => !available.includes(n));
    if (unknown.length > 0) throw new SelectionError('--server', unknown, available, `--server ${unknown.join(', ')}: no such Barman server${barman ? ` on ${barman}` : ''}`);
    servers = servers.filter((s) => names.includes(s.backupName));
  }
  if (servers.length === 0) throw new SelectionError('--server', [...names], available, 'no Barman server to restore: no instance has backup: set');
  return servers;
}

export interface RestoreTestJob {
  server: BackupServerSpec;
  params: RunnerParams;
}

/** One job per server, grouped by Barman host (a host's servers run one after another). */
export function restoreTestJobs(model: BarmanModel, servers: readonly BackupServerSpec[], o: ParamsOptions): Map<string, RestoreTestJob[]> {
  const byHost = new Map<string, RestoreTestJob[]>();
  for (const s of servers) {
    const list = byHost.get(s.barmanHost) ?? [];
    list.push({ server: s, params: runnerParams(model, s, o) });
    byHost.set(s.barmanHost, list);
  }
  return byHost;
}

function seconds(s: number | null): string {
  if (s === null) return '-';
  if (s < 100) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const RESTORE_TEST_HEADERS = ['SERVER', 'BARMAN', 'RESTORE HOST', 'BACKUP', 'RESTORE TIME', 'WAL GAP', 'SIZE', 'RESULT'];

export function restoreTestRow(r: RestoreRunResult, check: boolean): string[] {
  return [
    r.server,
    r.barmanHost,
    r.restoreHost,
    r.backup?.id ?? '-',
    check ? '-' : seconds(r.restoreSeconds),
    r.walGapBytes === null ? '-' : formatBytes(r.walGapBytes),
    r.backup ? formatBytes(r.restoredSizeBytes ?? r.backup.sizeBytes) : '-',
    r.ok ? (check ? 'WOULD RUN' : 'PASSED') : r.refused ? 'REFUSED' : 'FAILED',
  ];
}
