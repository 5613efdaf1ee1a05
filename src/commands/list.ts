// `deploy/plan --list-hosts` and `--list-tasks` (as ansible-playbook has them): the hosts
// (after --limit) and each host's tasks with their tags (after --tags/--skip-tags), from
// the play as built locally. Nothing is connected to; exit 0.
import type { Play } from '../engine/play.js';
import type { Placed } from '../engine/resource.js';
import { hostSelected, resourceSelected, type Selection } from '../engine/selection.js';
import { ExitCode } from '../exit-codes.js';
import { header, writeDocument } from '../report/json.js';
import { checkLimit, checkNotEmpty, checkTags } from './selection-check.js';

export interface ListFlags {
  listHosts?: boolean;
  listTasks?: boolean;
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
  json?: boolean;
}

export interface ListedTask {
  phase: string;
  id: string;
  kind: string;
  tags: string[];
  handler: boolean;
  /** Only exists once discovery has run (e.g. a known_hosts built from discovered host keys). */
  knownAtRunTime: boolean;
}

export interface ListedHost {
  host: string;
  tasks: ListedTask[];
}

/**
 * What the play's discovery stands for before anything was read (Play.placeholder), so
 * resources built from discovered values (peers' host keys) are listed too.
 */
export function placeholderDiscovery<D>(play: Play<D>): Map<string, D> {
  const out = new Map<string, D>();
  for (const h of play.hosts) {
    const d = play.placeholder?.(h.name);
    if (d !== undefined) out.set(h.name, d);
  }
  return out;
}

/** What --list-hosts / --list-tasks show, built without any connection. */
export function listPlay<D>(play: Play<D>, selection: Selection, placeholder: ReadonlyMap<string, D>): ListedHost[] {
  const withPlaceholder = play.build(placeholder);
  const bare = new Set(play.build(new Map()).map((p) => `${p.host}\0${p.resource.id}`));
  const tasksOf = (host: string): ListedTask[] => {
    const mine = withPlaceholder.filter((p: Placed) => p.host === host && (p.resource.handler || resourceSelected(selection, p.resource)));
    // Handlers run only when a selected task notifies them: none without tasks.
    const selected = mine.some((p) => !p.resource.handler) ? mine : [];
    return selected
      .sort((a, b) => a.phase - b.phase || Number(Boolean(a.resource.handler)) - Number(Boolean(b.resource.handler)))
      .map((p) => ({
        phase: play.phases[p.phase] ?? `phase ${p.phase}`,
        id: p.resource.id,
        kind: p.resource.kind,
        tags: [...p.resource.tags],
        handler: Boolean(p.resource.handler),
        knownAtRunTime: !bare.has(`${p.host}\0${p.resource.id}`),
      }));
  };
  return play.hosts.filter((h) => hostSelected(selection, h.name)).map((h) => ({ host: h.name, tasks: tasksOf(h.name) }));
}

export function formatHostList<D>(cluster: string, play: Play<D>, hosts: ListedHost[]): string {
  const lines = [`play: ${play.name}  (cluster ${cluster})`, '', `  hosts (${hosts.length}):`, ...hosts.map((h) => `    ${h.host}`)];
  return `${lines.join('\n')}\n`;
}

export function formatTaskList<D>(cluster: string, play: Play<D>, hosts: ListedHost[]): string {
  const lines = [`play: ${play.name}  (cluster ${cluster})`];
  const width = Math.max(20, ...hosts.flatMap((h) => h.tasks.map((t) => t.id.length + (t.handler ? 10 : 0))));
  let unknown = false;
  for (const h of hosts) {
    lines.push('', `  host: ${h.host}`);
    let phase = '';
    for (const t of h.tasks) {
      if (t.phase !== phase) {
        phase = t.phase;
        lines.push(`    ${phase}:`);
      }
      const name = t.handler ? `${t.id} (handler)` : t.id;
      const mark = t.knownAtRunTime ? '  *' : '';
      unknown ||= t.knownAtRunTime;
      lines.push(`      ${name.padEnd(width)}  TAGS: [${t.tags.join(', ')}]${mark}`);
    }
    if (h.tasks.length === 0) lines.push('    (no tasks selected)');
  }
  if (unknown) lines.push('', '  * content decided by discovery at run time (e.g. peers\' host keys); shown as unknown here');
  return `${lines.join('\n')}\n`;
}

/** Every tag some task of the play carries, sorted. */
export function playTags<D>(play: Play<D>, placeholder: ReadonlyMap<string, D> = placeholderDiscovery(play)): string[] {
  return [...new Set(play.build(placeholder).flatMap((p) => [...p.resource.tags]))].sort();
}

/**
 * --limit, --tags and --skip-tags must each select something, and together at least one
 * task (handlers aside): checked before any connection (exit 5).
 */
export function checkPlaySelection<D>(play: Play<D>, selection: Selection, placeholder: ReadonlyMap<string, D> = placeholderDiscovery(play)): void {
  const hosts = play.hosts.map((h) => h.name);
  checkLimit(selection.limit, hosts);
  checkTags(selection, playTags(play, placeholder));
  const tasks = listPlay(play, selection, placeholder).reduce((n, h) => n + h.tasks.filter((t) => !t.handler).length, 0);
  checkNotEmpty(selection, tasks, 'task on any host', hosts);
}

/** Print the listing (text, or JSON with --json) on `out`; never connects. */
export function runList<D>(
  command: string,
  cluster: string,
  play: Play<D>,
  flags: ListFlags,
  out: NodeJS.WritableStream,
  placeholder: ReadonlyMap<string, D> = placeholderDiscovery(play),
): number {
  const selection = { limit: flags.limit, tags: flags.tags, skipTags: flags.skipTags };
  checkPlaySelection(play, selection, placeholder);
  const hosts = listPlay(play, selection, placeholder);
  if (flags.json) {
    const body = flags.listTasks
      ? {
          play: play.name,
          hosts: hosts.map((h) => ({
            host: h.host,
            tasks: h.tasks.map((t) => ({ phase: t.phase, id: t.id, kind: t.kind, tags: t.tags, handler: t.handler, known_at_run_time: t.knownAtRunTime })),
          })),
        }
      : { play: play.name, hosts: hosts.map((h) => h.host) };
    writeDocument(out, header(flags.listTasks ? 'list-tasks' : 'list-hosts', command, ExitCode.Ok, cluster), body);
  } else {
    out.write(flags.listTasks ? formatTaskList(cluster, play, hosts) : formatHostList(cluster, play, hosts));
  }
  return ExitCode.Ok;
}
