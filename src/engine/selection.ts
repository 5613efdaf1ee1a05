// --limit and --tags/--skip-tags: which placed resources may change.
import type { Resource } from './resource.js';

export interface Selection {
  /** Host name patterns (globs, comma separated); undefined = all hosts. */
  limit?: string[];
  tags?: string[];
  skipTags?: string[];
}

function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

export function hostSelected(sel: Selection, host: string): boolean {
  if (!sel.limit || sel.limit.length === 0) return true;
  let selected = false;
  for (const pattern of sel.limit) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), host)) return false;
    } else if (globMatch(pattern, host)) {
      selected = true;
    }
  }
  return selected;
}

/** A resource tagged `always` is selected whatever --tags says (as in Ansible); --skip-tags always can skip it. */
export const ALWAYS_TAG = 'always';

export function resourceSelected(sel: Selection, resource: Resource): boolean {
  if (sel.skipTags?.some((t) => resource.tags.includes(t))) return false;
  if (sel.tags && sel.tags.length > 0) return resource.tags.includes(ALWAYS_TAG) || sel.tags.some((t) => resource.tags.includes(t));
  return true;
}
