// Why a run was refused before any change: conflicts with other owners (a shared host),
// or a host that is not what the configuration says (its version, its files).
import type { HostConflict } from '../engine/runner.js';
import type { Colors } from './style.js';

export function printConflicts(out: NodeJS.WritableStream, conflicts: readonly HostConflict[], c: Colors, overrideFlags: Readonly<Record<string, string>>): void {
  if (conflicts.length === 0) return;
  const w = (s: string): void => {
    out.write(`${s}\n`);
  };
  w(c.red(c.bold(`\nREFUSED: ${conflicts.length} conflict(s) found before any change; nothing was changed on any host.`)));
  for (const k of conflicts) {
    w(`${c.red('conflict:')} [${k.host}] ${k.message}`);
    if (k.diff) w(k.diff.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n'));
  }
  const flags = [...new Set(conflicts.map((k) => k.override).filter((o): o is string => o !== undefined))].map((o) => overrideFlags[o] ?? o);
  if (flags.length > 0) w(c.yellow(`hint: ${flags.join(', ')} takes the shared settings over (other clusters' servers will use this cluster's values)`));
  for (const hint of new Set(conflicts.map((k) => k.hint).filter((h): h is string => h !== undefined))) w(c.yellow(`hint: ${hint}`));
  if (conflicts.some((k) => k.override === undefined && k.hint === undefined)) {
    w(c.yellow('hint: rename this cluster\'s instances or backup names (backup_name) so they do not collide, or detach the other cluster first (tpa-barman detach)'));
  }
}
