// Files tpa-barman keeps for itself in <cluster>/.tpa-barman/ (caches: what discovery
// printed, proven SCRAM matches): private (directory 0700, files 0600), and replaced
// whole by a rename so a reader never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function stateFilePath(clusterDir: string, name: string): string {
  return join(clusterDir, '.tpa-barman', name);
}

export function writeStateFile(clusterDir: string, name: string, text: string): void {
  mkdirSync(join(clusterDir, '.tpa-barman'), { recursive: true, mode: 0o700 });
  const path = stateFilePath(clusterDir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}
