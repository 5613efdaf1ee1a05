// `tpa-barman deploy` and `tpa-barman plan`.
import { loadCluster } from '../config/load.js';
import { acquireClusterLock, type LocalLock } from '../controller/lock.js';
import { assertKeyPairs, ensureKeyPair, keyPath, readKeyPair } from '../controller/keys.js';
import { ensureSecretsIgnored } from '../controller/gitignore.js';
import { ensureSecret, readSecret, storeSecret } from '../controller/secrets.js';
import { adoptPasswords, type AdoptableUser } from '../../playbooks/barman/adopt.js';
import { ConfigError } from '../errors.js';
import { connectors } from './common.js';
import { onInterrupt, runPlayCommand, type PlayFlags } from './play-command.js';
import { checkPlaySelection, runList, type ListFlags } from './list.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { OVERRIDE_GLOBAL, barmanPlay, keyUsers, type BarmanKeys, type BarmanSecrets } from '../../playbooks/barman/deploy.js';
import type { BarmanModel } from '../../playbooks/barman/model.js';
import type { ClusterSpec } from '../config/types.js';

export interface DeployFlags extends PlayFlags {
  /** Rewrite a shared /etc/barman.conf that another cluster set up. */
  overrideGlobalConfig?: boolean;
  /** --list-hosts / --list-tasks: print them and stop, without connecting. */
  listHosts?: ListFlags['listHosts'];
  listTasks?: ListFlags['listTasks'];
}

/** The CLI flag for each kind of conflict that may be overridden. */
export const OVERRIDE_FLAGS: Readonly<Record<string, string>> = { [OVERRIDE_GLOBAL]: '--override-global-config' };

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
    for (const a of await adoptPasswords(model, missing, connectors(cluster, flags))) {
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

export async function runDeploy(dir: string, flags: DeployFlags & { command?: string }, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const started = Date.now();
  const command = flags.command ?? (flags.mode === 'plan' ? 'plan' : 'deploy');
  const listing = Boolean(flags.listHosts || flags.listTasks);
  // Listing never connects, so a key file that is not on this machine is no error.
  const cluster = await loadCluster(dir, { requireKeyFile: !listing });
  const model = resolveBarman(cluster);
  if (listing) return runList(command, cluster.name, barmanPlay(cluster, model, {}, {}), flags, out);
  // Before anything is read or contacted (password adoption connects): a selection that
  // selects nothing is an error, and so is a broken key pair.
  checkPlaySelection(barmanPlay(cluster, model, {}, {}), { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags });
  await assertKeyPairs(cluster.dir, keyUsers(model));
  const apply = flags.mode === 'apply';
  let lock: LocalLock | undefined;
  if (apply) lock = await acquireClusterLock(cluster.dir, 'deploy');
  const sigint = onInterrupt(err);
  try {
    const { keys, secrets } = await controllerState(cluster, model, apply, flags, (m) => err.write(`${m}\n`));
    if (apply) for (const f of await ensureSecretsIgnored(cluster.dir)) err.write(`wrote ${f}: git will not pick up the passwords and private keys\n`);
    const secretValues = [secrets.barman, secrets.streaming_barman, keys.postgres?.privateKey, keys.barman?.privateKey].filter((s): s is string => Boolean(s));
    return await runPlayCommand(cluster, barmanPlay(cluster, model, keys, secrets), flags, {
      command,
      secrets: secretValues,
      overrides: flags.overrideGlobalConfig ? [OVERRIDE_GLOBAL] : [],
      overrideFlags: OVERRIDE_FLAGS,
      started,
      interrupted: sigint.interrupted,
      out,
      err,
    });
  } finally {
    sigint.dispose();
    await lock?.release();
  }
}
