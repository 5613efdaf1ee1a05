// A per-cluster lock on the controller: a second concurrent run on the same cluster
// directory is refused, naming the holder. A lock left by a dead process is taken over.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { open, readFile, unlink } from 'node:fs/promises';
import { RefusedError } from '../errors.js';

export interface LocalLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireClusterLock(clusterDir: string, what: string): Promise<LocalLock> {
  const path = join(clusterDir, '.tpa-barman.lock');
  const me = JSON.stringify({ pid: process.pid, host: hostname(), what, since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(me);
      await fh.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; host?: string; what?: string; since?: string } = {};
      try {
        holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
      } catch {
        /* unreadable: treat as stale */
      }
      if (holder.pid && holder.host === hostname() && alive(holder.pid)) {
        throw new RefusedError(
          `another tpa-barman run holds the lock on ${clusterDir}: pid ${holder.pid} (${holder.what ?? '?'}) since ${holder.since ?? '?'}`,
          `wait for it to finish; remove ${path} only if that process is gone`,
        );
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new RefusedError(`could not take the lock ${path}`);
}
