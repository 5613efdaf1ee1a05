// `tpa-barman deploy` and `tpa-barman plan`.
import { hostname } from 'node:os';
import { loadCluster } from '../config/load.js';
import { acquireClusterLock, type LocalLock } from '../controller/lock.js';
import { ensureKeyPair, keyPath, readKeyPair } from '../controller/keys.js';
import { ensureSecret, readSecret, storeSecret } from '../controller/secrets.js';
import { adoptPasswords, type AdoptableUser } from '../../playbooks/barman/adopt.js';
import { ConfigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { runPlay, type RunResult } from '../engine/runner.js';
import { createRunLog } from '../report/log.js';
import { createEvents, printPlan, printRecap, recap } from '../report/reporter.js';
import { makeColors } from '../report/style.js';
import { connectOptions, defaultForks, type ConnectionFlags } from './common.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { barmanPlay, type BarmanKeys, type BarmanSecrets } from '../../playbooks/barman/deploy.js';
import type { BarmanModel } from '../../playbooks/barman/model.js';
import type { ClusterSpec } from '../config/types.js';

export interface DeployFlags extends ConnectionFlags {
  mode: 'apply' | 'plan';
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
  keepGoing?: boolean;
  json?: boolean;
  verbose?: number;
  color?: boolean;
  diff?: boolean;
}

async function controllerState(
  cluster: ClusterSpec,
  model: BarmanModel,
  apply: boolean,
  flags: DeployFlags,
  say: (s: string) => void,
): Promise<{ keys: BarmanKeys; secrets: BarmanSecrets }> {
  const pgUser = model.postgresHosts[0]?.user ?? 'postgres';
  const barmanUser = model.barmanHosts[0]?.user ?? 'barman';
  const shared = model.barmanHosts.filter((b) => b.shared);
  if (shared.length > 0 && !(await readKeyPair(cluster.dir, barmanUser))) {
    // TPA silently generates a new, non-matching key here (quirk §11.11); we stop.
    throw new ConfigError([
      {
        message: `Barman host ${shared.map((b) => b.name).join(', ')} is shared (barman_shared: true), but this cluster has no copy of its barman key pair: ${keyPath(cluster.dir, barmanUser)} and ${keyPath(cluster.dir, barmanUser)}.pub are missing`,
        hint: `copy keys/id_${barmanUser} and keys/id_${barmanUser}.pub from the cluster directory that first deployed that Barman server into ${cluster.dir}/keys/ (mode 0600), then re-run`,
      },
    ]);
  }
  const secrets: BarmanSecrets = { barman: await readSecret(cluster.dir, 'barman'), streaming_barman: await readSecret(cluster.dir, 'streaming_barman') };
  const missing = (['barman', 'streaming_barman'] as AdoptableUser[]).filter((u) => secrets[u] === undefined);
  if (missing.length > 0) {
    // Keep the passwords that already work (a cluster deployed by TPA or by hand).
    for (const a of await adoptPasswords(cluster, model, missing, { ...connectOptions(cluster, flags), readOnly: true })) {
      secrets[a.user] = a.password;
      say(`adopted the existing ${a.user} password from ${a.from} (it matches the role's verifier)`);
      if (apply) await storeSecret(cluster.dir, a.user, a.password);
    }
  }
  if (!apply) {
    return { keys: { postgres: await readKeyPair(cluster.dir, pgUser), barman: await readKeyPair(cluster.dir, barmanUser) }, secrets };
  }
  return {
    keys: { postgres: await ensureKeyPair(cluster.dir, pgUser, cluster.name), barman: await ensureKeyPair(cluster.dir, barmanUser, cluster.name) },
    secrets: { barman: secrets.barman ?? (await ensureSecret(cluster.dir, 'barman')), streaming_barman: secrets.streaming_barman ?? (await ensureSecret(cluster.dir, 'streaming_barman')) },
  };
}

export async function runDeploy(dir: string, flags: DeployFlags, out = process.stdout, err = process.stderr): Promise<number> {
  const started = Date.now();
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const apply = flags.mode === 'apply';
  let lock: LocalLock | undefined;
  if (apply) lock = await acquireClusterLock(cluster.dir, 'deploy');
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    err.write('\nInterrupted: finishing the steps in flight, then stopping.\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const { keys, secrets } = await controllerState(cluster, model, apply, flags, (m) => err.write(`${m}\n`));
    const secretValues = [secrets.barman, secrets.streaming_barman, keys.postgres?.privateKey, keys.barman?.privateKey].filter((s): s is string => Boolean(s));
    const log = apply ? createRunLog(cluster.dir, secretValues) : undefined;
    const colors = makeColors(err, flags.color);
    const reporterOpts = { out: err, colors, verbosity: flags.verbose ?? 0, mode: flags.mode };
    log?.info({ cluster: cluster.name, mode: flags.mode, hosts: cluster.hosts.map((h) => h.name) }, 'run started');
    const play = barmanPlay(cluster, model, keys, secrets);
    const result: RunResult = await runPlay(play, {
      mode: flags.mode,
      forks: defaultForks(play.hosts.length, flags),
      connect: connectOptions(cluster, flags),
      selection: { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags },
      keepGoing: Boolean(flags.keepGoing),
      holder: `cluster=${cluster.name} pid=${process.pid} controller=${hostname()} since=${new Date().toISOString()}`,
      lockWaitSeconds: 300,
      events: createEvents(reporterOpts),
      interrupted: () => interrupted,
    });
    for (const r of result.results) if (r.status !== 'ok') log?.info({ host: r.host, id: r.id, status: r.status, summary: r.change?.summary, error: r.error }, 'task');
    for (const e of result.errors) log?.error({ host: e.host, error: e.message }, 'host error');
    let exitCode = result.exitCode;
    if (flags.mode === 'plan') {
      const sum = printPlan(result, reporterOpts);
      if (result.exitCode === ExitCode.Ok && sum.changes > 0) exitCode = ExitCode.HostFailure;
    } else {
      printRecap(result, reporterOpts, Date.now() - started);
    }
    if (flags.json) out.write(`${JSON.stringify(jsonDocument(cluster.name, flags.mode, result, exitCode), null, 2)}\n`);
    log?.info({ exitCode, recap: recap(result) }, 'run finished');
    log?.flush();
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await lock?.release();
  }
}

function jsonDocument(cluster: string, mode: string, result: RunResult, exitCode: number): unknown {
  return {
    cluster,
    mode,
    exit_code: exitCode,
    interrupted: result.interrupted,
    changes: result.results
      .filter((r) => r.status !== 'ok')
      .map((r) => ({
        host: r.host,
        phase: r.phase,
        resource: r.id,
        kind: r.kind,
        status: r.status,
        action: r.change?.action,
        summary: r.change?.summary,
        known_after_apply: r.change?.knownAfterApply ?? false,
        details: r.change?.details,
        diff: r.change?.diff,
        error: r.error,
      })),
    recap: recap(result),
    notes: result.notes,
    errors: result.errors,
    hosts: result.hosts.map((h) => ({ host: h.host, reachable: h.reachable, execs: h.execs, channels: h.counters?.channels ?? 0, connections: h.counters?.connections ?? 0, timings_ms: h.timings })),
  };
}
