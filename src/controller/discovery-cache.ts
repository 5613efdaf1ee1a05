// What each host's discovery printed last time (host keys, home directories, settings),
// kept in <cluster>/.tpa-barman/discovery-<play>.json. With it a run reads discovery and
// facts in one exec per host; a stale entry only costs a second exec, never a wrong plan
// (the runner compares it with the fresh output of the same run). Plans never write it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiscoveryCache } from '../engine/runner.js';

export function discoveryCachePath(clusterDir: string, play: string): string {
  return join(clusterDir, '.tpa-barman', `discovery-${play}.json`);
}

export function fileDiscoveryCache(clusterDir: string, play: string, writable: boolean): DiscoveryCache {
  const path = discoveryCachePath(clusterDir, play);
  return {
    load() {
      try {
        const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
        const out = new Map<string, string>();
        for (const [host, text] of Object.entries(data)) if (typeof text === 'string') out.set(host, text);
        return out;
      } catch {
        return undefined; // missing or unreadable: discover the slow way
      }
    },
    save(outputs) {
      if (!writable) return;
      mkdirSync(join(clusterDir, '.tpa-barman'), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(outputs), null, 1)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}
