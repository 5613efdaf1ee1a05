// `tpa-barman test CLUSTER`: run the Barman checks everywhere and say plainly what fails.
// Tags: `check` (barman check all) and `diagnose` (barman diagnose, kept for support).
import { join } from 'node:path';
import { loadCluster } from '../config/load.js';
import { hostSelected } from '../engine/selection.js';
import { ExitCode } from '../exit-codes.js';
import { header, writeDocument } from '../report/json.js';
import { makeColors } from '../report/style.js';
import { connectors, defaultForks, type ConnectionFlags } from './common.js';
import { checkNotEmpty, checkSelection } from './selection-check.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { verifyBarman } from '../../playbooks/barman/verify.js';

export const TEST_TAGS = ['check', 'diagnose'] as const;

export interface TestFlags extends ConnectionFlags {
  json?: boolean;
  color?: boolean;
  verbose?: number;
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
}

function tagOn(tag: string, flags: TestFlags): boolean {
  if (flags.skipTags?.includes(tag)) return false;
  return !flags.tags?.length || flags.tags.includes(tag);
}

interface Row {
  server: string;
  host: string;
  ok: boolean;
  failing: string[];
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export async function runTest(dir: string, flags: TestFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const selection = { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags };
  const hostNames = [...new Set([...model.barmanHosts.map((b) => b.name), ...model.postgresHosts.map((p) => p.name)])];
  checkSelection(selection, hostNames, TEST_TAGS);
  // A server is selected by its Barman host or by the PostgreSQL host it backs up.
  const wanted = (barmanHost: string, pgHost: string | undefined): boolean => hostSelected(selection, barmanHost) || (pgHost !== undefined && hostSelected(selection, pgHost));
  const barmanHosts = model.barmanHosts.filter((b) => wanted(b.name, undefined) || b.servers.some((s) => wanted(b.name, s.pgHost)));
  const check = tagOn('check', flags);
  const diagnose = tagOn('diagnose', flags);
  checkNotEmpty(selection, check || diagnose ? barmanHosts.length : 0, 'Barman host to test', hostNames);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(cluster.dir, 'test', stamp);
  const verdicts = await verifyBarman(model, connectors(cluster, flags), outDir, defaultForks(barmanHosts.length, flags), {
    hosts: new Set(barmanHosts.map((b) => b.name)),
    check,
    diagnose,
  });
  const pgOf = new Map(model.backups.map((s) => [`${s.barmanHost}\0${s.backupName}`, s.pgHost]));
  const rows: Row[] = verdicts.flatMap((v) =>
    v.reachable
      ? v.servers
          .filter((s) => wanted(v.host, pgOf.get(`${v.host}\0${s.server}`)))
          .map((s) => ({ server: s.server, host: v.host, ok: s.checks.every((c) => c.ok), failing: s.checks.filter((c) => !c.ok).map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)), checks: s.checks }))
      : [],
  );
  const unreachable = verdicts.filter((v) => !v.reachable).map((v) => ({ host: v.host, error: v.error ?? 'not reached' }));
  // A host whose `barman check` failed without naming a failing server check (Barman itself broken).
  const brokenHosts = verdicts.filter((v) => v.reachable && ((v.checkExit !== undefined && v.checkExit !== 0 && v.servers.every((s) => s.checks.every((c) => c.ok))) || (v.diagnoseExit !== undefined && v.diagnoseExit !== 0)));
  const failed = rows.filter((r) => !r.ok).length + brokenHosts.length;
  const exitCode = unreachable.length > 0 ? ExitCode.Unreachable : failed > 0 ? ExitCode.ChecksFailed : ExitCode.Ok;

  if (flags.json) {
    writeDocument(out, header('test', 'test', exitCode, cluster.name), {
      output_dir: outDir,
      servers: rows,
      hosts: verdicts.map((v) => ({ host: v.host, reachable: v.reachable, check_exit: v.checkExit ?? null, diagnose_exit: v.diagnoseExit ?? null })),
      unreachable,
    });
  }
  const c = makeColors(err, flags.color);
  const shown = [...rows.map((r) => ({ server: r.server, host: r.host, ok: r.ok, failing: r.failing })), ...unreachable.map((u) => ({ server: '-', host: u.host, ok: false, failing: [`unreachable: ${u.error}`] }))];
  const w1 = Math.max(6, ...shown.map((r) => r.server.length));
  const w2 = Math.max(4, ...shown.map((r) => r.host.length));
  err.write(`${'SERVER'.padEnd(w1)}  ${'HOST'.padEnd(w2)}  STATUS  FAILING CHECKS\n`);
  for (const r of shown) err.write(`${r.server.padEnd(w1)}  ${r.host.padEnd(w2)}  ${r.ok ? c.green('OK    ') : c.red('FAILED')}  ${r.failing.join('; ')}\n`);
  if ((flags.verbose ?? 0) >= 1) {
    for (const r of rows) for (const k of r.checks) err.write(`  ${r.server} on ${r.host}: ${k.name}: ${k.ok ? 'OK' : 'FAILED'}${k.detail ? ` (${k.detail})` : ''}\n`);
  }
  for (const v of brokenHosts) err.write(c.red(`${v.host}: barman ${v.checkExit !== 0 && v.checkExit !== undefined ? `check exited ${v.checkExit}` : `diagnose exited ${v.diagnoseExit}`}; see the raw output\n`));
  err.write(`\nRaw outputs: ${outDir}\n`);
  err.write(exitCode === ExitCode.Ok ? c.green(`All ${rows.length} Barman servers pass their checks.\n`) : c.red(`${failed + unreachable.length} failing.\n`));
  return exitCode;
}
