// What is stored in a file, read exactly: attributes and every byte of the content, at
// any size up to MAX_FILE_BYTES (a larger file is refused, never cut). The content
// travels base64-framed in the facts script and is hashed here, so the checksum always
// describes the bytes we hold. Writes go the same way back (writeSnippet).
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { ProbeParseError, shProbe, type Probe } from '../probe.js';
import { shellQuote } from '../../util/shell.js';

/** The largest file tpa-barman reads or writes (whole): 64 MiB. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Above this, a plan summarises a file's change instead of showing a diff. */
export const MAX_DIFF_BYTES = 256 * 1024;

export interface FileState {
  exists: boolean;
  owner?: string;
  group?: string;
  mode?: string;
  /** sha256 of content, or '-' when the file does not exist. */
  sha256: string;
  /** Every byte of the file (empty when it does not exist). */
  content: Buffer;
}

/** A regular file's attributes and content; a directory or other non-file there is an error. */
export function fileProbe(path: string): Probe<FileState> {
  const p = shellQuote(path);
  // head -c one byte past the limit: a file that grew past it is refused, never cut.
  const sh = `if [ -f ${p} ]; then stat -L -c '%U %G %a %s' -- ${p} && head -c ${MAX_FILE_BYTES + 1} -- ${p}; elif [ -e ${p} ] || [ -L ${p} ]; then echo NOTFILE; else echo ABSENT; fi`;
  return shProbe(`file ${path}`, sh, (out) => parseFileState(path, out));
}

export function parseFileState(path: string, out: Buffer): FileState {
  const nl = out.indexOf(0x0a);
  const head = (nl < 0 ? out : out.subarray(0, nl)).toString('utf8');
  if (head === 'ABSENT' && nl === out.length - 1) return { exists: false, sha256: '-', content: Buffer.alloc(0) };
  if (head === 'NOTFILE' && nl === out.length - 1) throw new ProbeParseError(`${path} exists but is not a regular file`);
  const m = /^(\S+) (\S+) ([0-7]+) (\d+)$/.exec(head);
  if (!m || nl < 0) throw new ProbeParseError(`unexpected output for ${path}`);
  const content = out.subarray(nl + 1);
  if (content.length > MAX_FILE_BYTES) {
    throw new ProbeParseError(tooLarge(path, Number(m[4])));
  }
  return { exists: true, owner: m[1], group: m[2], mode: normMode(m[3] ?? ''), sha256: sha256(content), content: Buffer.from(content) };
}

function tooLarge(path: string, bytes: number): string {
  return `${path} is ${bytes} bytes, more than the ${MAX_FILE_BYTES} (64 MiB) tpa-barman reads and writes whole; refused (a managed file is never truncated)`;
}

/** '0644', '644', 0o644 → '644' (as stat %a prints it). */
export function normMode(mode: string | number): string {
  const n = typeof mode === 'number' ? mode : parseInt(mode, 8);
  return n.toString(8);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest('hex');
}

/** A file's bytes as a string of one character per byte: every byte survives the round trip. */
export function byteString(b: Buffer): string {
  return b.toString('latin1');
}

/** Text of ours (UTF-8) in the same one-character-per-byte form as byteString. */
export function utf8ByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function fromByteString(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export function attrsDiffer(state: FileState, owner: string, group: string, mode: string): string[] {
  const out: string[] = [];
  if (state.owner !== owner || state.group !== group) out.push(`owner ${state.owner}:${state.group} → ${owner}:${group}`);
  if (state.mode !== normMode(mode)) out.push(`mode ${state.mode} → ${normMode(mode)}`);
  return out;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Text for a diff: UTF-8 when the bytes are valid UTF-8, else Latin-1 (one character per byte). */
function displayText(b: Buffer): string {
  const utf8 = b.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(b) ? utf8 : b.toString('latin1');
}

/**
 * Unified diff in the plan's format; new files are shown whole. Huge or binary (NUL)
 * content is summarised; the change itself is always made on the whole file.
 */
export function fileDiff(path: string, before: Buffer | undefined, after: Buffer): string {
  const size = `${formatSize(before?.length ?? 0)} → ${formatSize(after.length)}`;
  if ((before?.length ?? 0) > MAX_DIFF_BYTES || after.length > MAX_DIFF_BYTES) {
    return `(content of ${path} changes: ${size}; a diff of a file over ${formatSize(MAX_DIFF_BYTES)} is not shown)`;
  }
  if (after.includes(0) || before?.includes(0)) return `(binary content of ${path} changes: ${size}; not shown)`;
  return createTwoFilesPatch(`before: ${path}`, `after: ${path}`, before ? displayText(before) : '', displayText(after), undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1) // drop the "Index:" / separator line jsdiff puts first
    .join('\n')
    .trimEnd();
}

/** Apply snippet: write these exact bytes atomically (tpab_write, remote-runtime.ts). */
export function writeSnippet(path: string, content: Buffer, owner: string, group: string, mode: string): string {
  // A file we could not read back next time is never written.
  if (content.length > MAX_FILE_BYTES) throw new Error(`the new ${tooLarge(path, content.length)}`);
  return `tpab_write ${shellQuote(path)} ${shellQuote(owner)} ${shellQuote(group)} ${normMode(mode).padStart(4, '0')} ${sha256(content)} <<'TPAB_EOF'\n${base64Lines(content)}\nTPAB_EOF`;
}

/** base64 in 76-character lines (any shell's here-document copes with those). */
function base64Lines(content: Buffer): string {
  const b64 = content.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\n');
}
