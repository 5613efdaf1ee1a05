// --limit, --tags and --skip-tags that select nothing are errors (exit 5), checked
// before anything is contacted: a typo must never be a green run that did nothing.
import { hostSelected, type Selection } from '../engine/selection.js';
import { SelectionError } from '../errors.js';

function globMatches(pattern: string, hosts: readonly string[]): boolean {
  return hosts.some((h) => hostSelected({ limit: [pattern] }, h));
}

/** Every --limit pattern matches a host, and the patterns together leave at least one. */
export function checkLimit(limit: readonly string[] | undefined, hosts: readonly string[]): void {
  if (!limit || limit.length === 0) return;
  for (const p of limit) {
    const positive = p.startsWith('!') ? p.slice(1) : p;
    if (!globMatches(positive, hosts)) {
      throw new SelectionError('--limit', limit, hosts, `--limit ${limit.join(',')}: ${p.startsWith('!') ? `the exclusion ${p}` : `"${p}"`} matches no host of this cluster`);
    }
  }
  if (!hosts.some((h) => hostSelected({ limit: [...limit] }, h))) {
    throw new SelectionError('--limit', limit, hosts, `--limit ${limit.join(',')} leaves no host selected`);
  }
}

/** Every tag asked for exists in the command's vocabulary. */
export function checkTags(sel: Selection, known: readonly string[]): void {
  for (const [option, asked] of [['--tags', sel.tags], ['--skip-tags', sel.skipTags]] as const) {
    const unknown = (asked ?? []).filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      throw new SelectionError(option, asked ?? [], known, `${option} ${(asked ?? []).join(',')}: no task has the tag${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`);
    }
  }
}

/** The selection as a whole leaves something to do. */
export function checkNotEmpty(sel: Selection, selected: number, what: string, available: readonly string[]): void {
  if (selected > 0) return;
  const asked = [
    ...(sel.limit?.length ? [`--limit ${sel.limit.join(',')}`] : []),
    ...(sel.tags?.length ? [`--tags ${sel.tags.join(',')}`] : []),
    ...(sel.skipTags?.length ? [`--skip-tags ${sel.skipTags.join(',')}`] : []),
  ];
  throw new SelectionError(sel.tags?.length || sel.skipTags?.length ? '--tags' : '--limit', asked, available, `${asked.join(' ')} selects no ${what}`);
}

/** All of the above for a command whose hosts and tags are known. */
export function checkSelection(sel: Selection, hosts: readonly string[], tags: readonly string[]): void {
  checkLimit(sel.limit, hosts);
  checkTags(sel, tags);
}
