// `tpa-barman detach`: stop backing up a cluster on its (shared) Barman servers, taking
// away only what carries this cluster's marker; backups and WAL stay on disk.
import { loadCluster } from '../config/load.js';
import { acquireClusterLock, type LocalLock } from '../controller/lock.js';
import { assertKeyPairs, readKeyPair } from '../controller/keys.js';
import { ConfigError } from '../errors.js';
import { keyUsers } from '../../playbooks/barman/deploy.js';
import { detachPlay } from '../../playbooks/barman/detach.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { checkPlaySelection, runList, type ListFlags } from './list.js';
import { onInterrupt, runPlayCommand, type PlayFlags } from './play-command.js';

export interface DetachFlags extends PlayFlags {
  /** Only this Barman host (default: every Barman host of the cluster). */
  barman?: string;
  /** --list-hosts / --list-tasks: print them and stop, without connecting. */
  listHosts?: ListFlags['listHosts'];
  listTasks?: ListFlags['listTasks'];
}

export async function runDetach(dir: string, flags: DetachFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const started = Date.now();
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  if (model.barmanHosts.length === 0) {
    throw new ConfigError([{ message: `cluster ${cluster.name} has no Barman server (no instance with role barman): nothing to detach` }]);
  }
  if (flags.barman !== undefined && !model.barmanHosts.some((b) => b.name === flags.barman)) {
    throw new ConfigError([
      { message: `--barman ${flags.barman}: not a Barman server of cluster ${cluster.name}`, hint: `one of: ${model.barmanHosts.map((b) => b.name).join(', ')}` },
    ]);
  }
  // Listing never connects, and never reads a key: the play is built from the inventory.
  if (flags.listHosts || flags.listTasks) return runList('detach', cluster.name, detachPlay(cluster, model, undefined, flags.barman), flags, out);
  checkPlaySelection(detachPlay(cluster, model, undefined, flags.barman), { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags });
  await assertKeyPairs(cluster.dir, keyUsers(model));
  let lock: LocalLock | undefined;
  if (flags.mode === 'apply') lock = await acquireClusterLock(cluster.dir, 'detach');
  const sigint = onInterrupt(err);
  try {
    const barmanKey = await readKeyPair(cluster.dir, model.barmanHosts[0]?.user ?? 'barman');
    return await runPlayCommand(cluster, detachPlay(cluster, model, barmanKey, flags.barman), flags, {
      command: 'detach',
      secrets: barmanKey ? [barmanKey.privateKey] : [],
      overrides: [],
      overrideFlags: {},
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
