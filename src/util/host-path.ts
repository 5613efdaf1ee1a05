// Paths on a managed host (always POSIX, whatever the controller runs on): normalised
// for comparison, the way PostgreSQL and the tools we read from print them.
import { posix } from 'node:path';

/** `/a//b/./c/` → `/a/b/c`; the root stays `/`. */
export function normalHostPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Two spellings of one path (trailing slashes, `//`, `./`). */
export function sameHostPath(a: string, b: string): boolean {
  return normalHostPath(a) === normalHostPath(b);
}

export const hostDirname = (p: string): string => posix.dirname(normalHostPath(p));
export const hostBasename = (p: string): string => posix.basename(p);
