// Shared probe/parse for anything stored in a file: attributes, checksum, content.
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { shellQuote } from '../../util/shell.js';

export const MAX_DIFF_BYTES = 256 * 1024;

export interface FileState {
  exists: boolean;
  owner?: string;
  group?: string;
  mode?: string;
  sha256: string;
  content?: string;
}

export function fileProbe(path: string): string {
  const p = shellQuote(path);
  return `if [ -f ${p} ]; then stat -c '%U %G %a' -- ${p}; sha256sum < ${p} | cut -d' ' -f1; head -c ${MAX_DIFF_BYTES + 1} -- ${p}; else echo ABSENT; fi`;
}

export function parseFileState(out: string): FileState {
  if (out.startsWith('ABSENT')) return { exists: false, sha256: '-' };
  const nl1 = out.indexOf('\n');
  const nl2 = out.indexOf('\n', nl1 + 1);
  const [owner, group, mode] = out.slice(0, nl1).split(' ');
  return { exists: true, owner, group, mode: normMode(mode ?? ''), sha256: out.slice(nl1 + 1, nl2).trim(), content: out.slice(nl2 + 1) };
}

/** '0644', '644', 0o644 → '644' (as stat %a prints it). */
export function normMode(mode: string | number): string {
  const n = typeof mode === 'number' ? mode : parseInt(mode, 8);
  return n.toString(8);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function attrsDiffer(state: FileState, owner: string, group: string, mode: string): string[] {
  const out: string[] = [];
  if (state.owner !== owner || state.group !== group) out.push(`owner ${state.owner}:${state.group} → ${owner}:${group}`);
  if (state.mode !== normMode(mode)) out.push(`mode ${state.mode} → ${normMode(mode)}`);
  return out;
}

/** Unified diff in the plan's format; new files are shown whole, huge ones summarised. */
export function fileDiff(path: string, before: string | undefined, after: string): string {
  if ((before?.length ?? 0) > MAX_DIFF_BYTES || after.length > MAX_DIFF_BYTES) {
    return `(content of ${path} differs: ${before?.length ?? 0} → ${after.length} bytes, too large to show)`;
  }
  if (/\0/.test(after) || /\0/.test(before ?? '')) return `(binary content of ${path} differs)`;
  return createTwoFilesPatch(`before: ${path}`, `after: ${path}`, before ?? '', after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1) // drop the "Index:" / separator line jsdiff puts first
    .join('\n')
    .trimEnd();
}

export function writeSnippet(path: string, content: string, owner: string, group: string, mode: string): string {
  const b64 = Buffer.from(content, 'utf8').toString('base64').replace(/(.{76})/g, '$1\n');
  return `tpab_write ${shellQuote(path)} ${shellQuote(owner)} ${shellQuote(group)} ${normMode(mode).padStart(4, '0')} ${sha256(content)} <<'TPAB_EOF'\n${b64}\nTPAB_EOF`;
}
