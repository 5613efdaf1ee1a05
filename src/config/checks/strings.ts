// Checks for values that end up in files, shell commands, SQL or cron lines.
import { posix } from 'node:path';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Describe the first control or invisible character in `s`, if any. */
export function controlCharProblem(s: string): string | undefined {
  const m = CONTROL.exec(s) ?? INVISIBLE.exec(s);
  if (!m) return undefined;
  const code = (m[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0');
  const names: Record<string, string> = { '000a': 'a newline', '000d': 'a carriage return', '0000': 'a NUL byte', '0009': 'a tab' };
  return `contains ${names[code] ?? `the invisible/control character U+${code.toUpperCase()}`}`;
}

/** Characters a plain path may use: nothing the shell, INI or cron would interpret. */
const PATH_CHARS = /^[A-Za-z0-9._/+-]+$/;

/** Why `p` is not an absolute, normalised, plain path; undefined if it is fine. */
export function absolutePathProblem(p: string): string | undefined {
  const ctl = controlCharProblem(p);
  if (ctl) return ctl;
  if (!p.startsWith('/')) return 'must be an absolute path';
  if (p.split('/').includes('..')) return 'must not contain ".."';
  if (!PATH_CHARS.test(p)) return 'may only contain letters, digits, "/", ".", "_", "+" and "-"';
  if (p.length > 1 && p.endsWith('/')) return 'must not end with "/"';
  if (posix.normalize(p) !== p) return `is not normalised (did you mean ${posix.normalize(p).replace(/\/$/, '')}?)`;
  if (p.length > 1024) return 'is longer than 1024 characters';
  return undefined;
}

/** Unix user and group names as useradd accepts them by default (and no leading "-"). */
export const UNIX_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
