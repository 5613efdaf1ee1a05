// `tpa-barman restore CLUSTER --server NAME --to HOST:DIR [--target-…] [--check] [--force]`:
// wiring only. Order: (1) the destination host is read over a read-only connection
// (running clusters, DIR's state, who may write it); (2) the restore runner plans on the
// Barman host (read-only: backup, space, the barman command); (3) the plan is printed;
// refusals stop here with exit 3, --check with exit 0; (4) the runner restores.
import { loadCluster } from '../config/load.js';
import { ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { makeColors } from '../report/style.js';
import type { Session } from '../transport/connector.js';
import type { ConnectionFlags } from './common.js';
import { withHostSessions } from './host-sessions.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { destinationProbe, destinationRefusal, parseDestination, parseDestinationProbe, restorePlanLines, type DestinationFacts } from '../../playbooks/barman/restore.js';
import { header, writeDocument } from '../report/json.js';
import { selectServers } from '../../playbooks/barman/restore-test.js';
import { runnerParams, type RunnerParams } from '../../playbooks/barman/restore/params.js';
import { resultJson, type RestoreRunResult } from '../../playbooks/barman/restore/result.js';
import { runRunner } from '../../playbooks/barman/restore/run.js';
import { TargetError, parseTarget, type TargetFlags } from '../../playbooks/barman/restore/target.js';

export interface RestoreFlags extends ConnectionFlags, TargetFlags {
  server?: string;
  to?: string;
  barman?: string;
  backup?: string;
  check?: boolean;
  force?: boolean;
  timeout?: number;
  json?: boolean;
  color?: boolean;
}

const usage = (message: string, hint?: string): ToolError => new ToolError(message, ExitCode.Usage, hint);

export async function runRestore(dir: string, flags: RestoreFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  if (!flags.server || !flags.to) throw usage('restore needs --server NAME and --to HOST:DIR');
  let target;
  let dest;
  const servers = selectServers(model, [flags.server], flags.barman);
  try {
    target = parseTarget(flags);
    dest = parseDestination(model, flags.to);
  } catch (e) {
    if (e instanceof TargetError) throw usage(e.message, e.hint);
    if (e instanceof Error && e.message.startsWith('--to')) throw usage(e.message);
    throw e;
  }
  if (flags.backup !== undefined && !/^[0-9A-Za-z._-]{1,64}$/.test(flags.backup)) throw usage(`--backup ${JSON.stringify(flags.backup)} is not a backup ID`);
  if (servers.length > 1) throw usage(`server ${flags.server} is on several Barman instances (${servers.map((s) => s.barmanHost).join(', ')})`, 'choose one with --barman');
  const server = servers[0];
  if (!server) throw usage(`no server ${flags.server}`);
  const barman = model.barmanHosts.find((b) => b.name === server.barmanHost);
  const pgHost = model.postgresHosts.find((p) => p.name === dest.host);
  if (!barman || !pgHost) throw new Error('internal error: restore hosts missing from the model');
  const c = makeColors(err, flags.color);
  const params = runnerParams(model, server, { mode: 'plan', target, backupId: flags.backup ?? null, timeoutSeconds: flags.timeout, to: { host: dest.host, dir: dest.dir, force: Boolean(flags.force) } });

  const finish = (code: number, r: RestoreRunResult | null, facts: DestinationFacts | null, refusal: string | null): number => {
    if (flags.json) {
      writeDocument(out, header('restore', 'restore', code, cluster.name), {
        check: Boolean(flags.check),
        refused: refusal,
        destination: { host: dest.host, dir: dest.dir, state: facts?.state ?? null, real_path: facts?.real ?? null },
        restore: r ? resultJson(r) : null,
      });
    }
    return code;
  };

  // (1) The destination, read-only.
  const probed = await withHostSessions(cluster, [dest.host], flags, true, (conn) =>
    conn.runScript(destinationProbe(dest.dir, pgHost.user), { readOnly: true, label: `check ${dest.dir} on ${dest.host}`, timeoutMs: 60_000 }),
  );
  const p = probed.get(dest.host);
  if (!p?.reachable) {
    err.write(`${c.red('unreachable')} ${p?.error ?? dest.host}\n`);
    return finish(ExitCode.Unreachable, null, null, null);
  }
  if (p.value.code !== 0) throw new ToolError(`${dest.host}: checking ${dest.dir} failed (exit ${p.value.code}): ${p.value.stderr.trim()}`, ExitCode.ReadFailure);
  const facts = parseDestinationProbe(dest.dir, p.value.stdout);
  const refusal = destinationRefusal(dest.host, dest.dir, facts, Boolean(flags.force));
  if (refusal) {
    err.write(`${c.red('refused:')} ${refusal}; nothing was copied.\n`);
    return finish(ExitCode.Refused, null, facts, refusal);
  }

  // (2) The plan on the Barman host, read-only; (4) the restore, on the same connection.
  const exec = (conn: Session, ps: RunnerParams): Promise<RestoreRunResult> =>
    runRunner(conn, barman.user, ps, ps.mode === 'plan' ? `plan the restore of ${ps.server}` : `barman restore of ${ps.server} into ${dest.host}:${dest.dir}`);
  const sessions = await withHostSessions(cluster, [barman.name], flags, Boolean(flags.check), async (conn) => {
    const plan = await exec(conn, params);
    for (const l of restorePlanLines(plan, dest, facts)) err.write(`${l}\n`);
    if (!plan.ok) {
      const why = plan.error ?? 'the plan failed';
      err.write(`${c.red(plan.refused ? 'refused:' : 'failed:')} ${why}; nothing was copied.\n`);
      if (plan.detail) err.write(`${plan.detail.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
      return { code: plan.refused ? ExitCode.Refused : ExitCode.HostFailure, result: plan, refusal: plan.refused ? why : null };
    }
    if (flags.check) {
      err.write(c.green('\nCheck only: nothing was copied. Run without --check to restore.\n'));
      // As `plan`: 2 means a change (this restore) is pending and nothing failed.
      return { code: ExitCode.ChangesPending, result: plan, refusal: null };
    }
    err.write(`\nRestoring into ${dest.host}:${dest.dir} …\n`);
    const run = await exec(conn, { ...params, mode: 'restore', backup_id: plan.backup?.id ?? params.backup_id });
    if (!run.ok) {
      err.write(`${c.red('failed:')} ${run.error ?? 'the restore failed'}\n`);
      if (run.detail) err.write(`${run.detail.split('\n').map((l) => `    ${l}`).join('\n')}\n`);
      return { code: run.refused ? ExitCode.Refused : ExitCode.HostFailure, result: run, refusal: run.refused ? run.error : null };
    }
    err.write(c.green(`Restored backup ${run.backup?.id ?? '?'} of ${server.backupName} into ${dest.host}:${dest.dir} in ${run.restoreSeconds ?? '?'} s.\n`));
    err.write('Review postgresql.conf and postgresql.auto.conf there (ports, archive_command, paths) before you start it.\n');
    return { code: ExitCode.Ok, result: run, refusal: null };
  });
  const s = sessions.get(barman.name);
  if (!s?.reachable) {
    err.write(`${c.red('unreachable')} ${s?.error ?? barman.name}\n`);
    return finish(ExitCode.Unreachable, null, facts, null);
  }
  return finish(s.value.code, s.value.result, facts, s.value.refusal);
}
