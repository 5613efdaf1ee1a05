// What each host's discovery printed last time (host keys, home directories, settings),
// kept in <cluster>/.tpa-barman/discovery-<play>.json. With it a run reads discovery and
// facts in one exec per host; a stale entry only costs a second exec, never a wrong plan
// (the runner compares it with the fresh output of the same run). Plans never write it.
import { readFileSync } from 'node:fs';
import type { DiscoveryCache } from '../engine/runner.js';
import { stateFilePath, writeStateFile } from './state-file.js';

export function discoveryCachePath(clusterDir: string, play: string): string {
  return stateFilePath(clusterDir, `discovery-${play}.json`);
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
      writeStateFile(clusterDir, `discovery-${play}.json`, `${JSON.stringify(Object.fromEntries(outputs), null, 1)}\n`);
    },
  };
}
