// `tpa-barman restore-test CLUSTER [--server NAME] [--target-…] [--sql FILE] [--check]`:
// wiring only; what a restore test does is playbooks/barman/restore-test.ts and the
// restore runner. One connection per Barman host; with --check it is opened read-only
// and the runner only plans (reads Barman's catalogue, probes the restore host).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCluster } from '../config/load.js';
import { ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { makeColors } from '../report/style.js';
import { shellQuote } from '../util/shell.js';
import { renderTable } from '../report/table.js';
import type { ConnectionFlags } from './common.js';
import { withHostSessions } from './host-sessions.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { header, writeDocument } from '../report/json.js';
import { RESTORE_TEST_HEADERS, restoreTestJobs, restoreTestRow, selectServers } from '../../playbooks/barman/restore-test.js';
import { failedResult, resultJson, type RestoreRunResult } from '../../playbooks/barman/restore/result.js';
import { runRunner } from '../../playbooks/barman/restore/run.js';
import { TargetError, describeTarget, parseTarget, type TargetFlags } from '../../playbooks/barman/restore/target.js';

export interface RestoreTestFlags extends ConnectionFlags, TargetFlags {
  server?: string[];
  barman?: string;
  backup?: string;
  sql?: string;
  check?: boolean;
  timeout?: number;
  verbose?: number;
  json?: boolean;
  color?: boolean;
}

const MAX_SQL_BYTES = 1024 * 1024;

export async function runRestoreTest(dir: string, flags: RestoreTestFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  let target;
  try {
    target = parseTarget(flags);
  } catch (e) {
    if (e instanceof TargetError) throw new ToolError(e.message, ExitCode.Usage, e.hint);
    throw e;
  }
  const servers = selectServers(model, flags.server ?? [], flags.barman);
  if (flags.backup !== undefined && !/^[0-9A-Za-z._-]{1,64}$/.test(flags.backup)) throw new ToolError(`--backup ${JSON.stringify(flags.backup)} is not a backup ID`, ExitCode.Usage);
  const sql = flags.sql === undefined ? null : await readSqlFile(flags.sql);
  const check = Boolean(flags.check);
  const jobs = restoreTestJobs(model, servers, { mode: check ? 'plan' : 'test', target, backupId: flags.backup ?? null, sql, timeoutSeconds: flags.timeout });
  const barmanUsers = new Map(model.barmanHosts.map((b) => [b.name, b.user]));
  const c = makeColors(err, flags.color);
  err.write(`${check ? 'Planning restore tests' : 'Restore tests'} of ${servers.length} server${servers.length === 1 ? '' : 's'} to ${describeTarget(target)}.\n`);

  const outcomes = await withHostSessions(cluster, [...jobs.keys()], flags, check, async (conn, host) => {
    const results: RestoreRunResult[] = [];
    for (const job of jobs.get(host) ?? []) {
      const who = { server: job.server.backupName, barmanHost: host, restoreHost: job.params.restore.host, mode: job.params.mode };
      if (!check) err.write(`  ${who.server} on ${host}: restoring into a scratch directory on ${who.restoreHost} …\n`);
      const label = check ? `plan a restore test of ${who.server}` : `restore test of ${who.server} into a scratch directory on ${who.restoreHost}`;
      results.push(await runRunner(conn, barmanUsers.get(host) ?? 'barman', job.params, label));
      const last = results[results.length - 1];
      if (!check && last) err.write(`  ${who.server} on ${host}: ${last.ok ? c.green('passed') : c.red('failed')}\n`);
      if (last && (flags.verbose ?? 0) > 0) {
        if (last.command) err.write(`    ${c.dim(`$ ${last.command.map(shellQuote).join(' ')}`)}\n`);
        const output = typeof last.raw['barman_output'] === 'string' ? last.raw['barman_output'] : '';
        for (const line of output.split('\n').filter(Boolean)) err.write(`    ${c.dim(line)}\n`);
      }
    }
    return results;
  });

  const results: RestoreRunResult[] = [];
  const unreachable: Array<{ host: string; error: string; hint?: string }> = [];
  for (const [host, o] of outcomes) {
    if (o.reachable) results.push(...o.value);
    else {
      unreachable.push({ host: o.host, error: o.error, ...(o.hint ? { hint: o.hint } : {}) });
      for (const job of jobs.get(host) ?? []) results.push(failedResult({ server: job.server.backupName, barmanHost: host, restoreHost: job.params.restore.host, mode: job.params.mode }, `Barman host unreachable: ${o.error}`));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  const exitCode = unreachable.length > 0 ? ExitCode.Unreachable : failed > 0 ? ExitCode.ChecksFailed : ExitCode.Ok;
  const outputDir = check ? null : await saveResults(cluster.dir, results);

  if (flags.json) {
    writeDocument(out, header('restore-test', 'restore-test', exitCode, cluster.name), { check, target, output_dir: outputDir, servers: results.map(resultJson), unreachable });
  }
  err.write('\n');
  err.write(
    renderTable(RESTORE_TEST_HEADERS, results.map((r) => restoreTestRow(r, check)), {
      style: (row, col, text) => (row < 0 ? c.bold(text) : col === RESTORE_TEST_HEADERS.length - 1 ? (results[row]?.ok ? c.green(text) : c.red(text)) : text),
    }),
  );
  for (const r of results.filter((x) => !x.ok)) {
    err.write(`${c.red('✗')} ${r.server} on ${r.barmanHost} (restore host ${r.restoreHost}): ${r.error ?? 'failed'}\n`);
    if (r.detail) err.write(`${r.detail.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
  }
  for (const u of unreachable) {
    err.write(`${c.red('unreachable')} ${u.error}\n`);
    if (u.hint) err.write(`  ${c.yellow(`hint: ${u.hint}`)}\n`);
  }
  if (outputDir) err.write(`\nResults kept in ${outputDir}\n`);
  err.write(failed === 0 ? c.green(`\n${check ? 'Every restore test can run' : 'Every restore test passed'} (${results.length}).\n`) : c.red(`\n${failed} of ${results.length} restore test${results.length === 1 ? '' : 's'} ${check ? 'cannot run' : 'failed'}.\n`));
  return exitCode;
}

async function readSqlFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new ToolError(`--sql ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, ExitCode.Usage);
  }
  if (size > MAX_SQL_BYTES) throw new ToolError(`--sql ${path}: ${size} bytes, more than the 1 MiB allowed`, ExitCode.Usage);
  return readFile(path);
}

/** <cluster>/restore-test/<timestamp>/<server>@<barman>.json, and the SQL output beside it. */
async function saveResults(clusterDir: string, results: readonly RestoreRunResult[]): Promise<string> {
  const dir = join(clusterDir, 'restore-test', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  for (const r of results) {
    const base = `${r.server}@${r.barmanHost}`;
    await writeFile(join(dir, `${base}.json`), `${JSON.stringify(resultJson(r), null, 2)}\n`);
    if (r.sqlOutput !== null) await writeFile(join(dir, `${base}.sql.out`), r.sqlOutput);
  }
  return dir;
}
