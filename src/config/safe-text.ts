// Files of a cluster directory are parsed and quoted in code frames, so they are read
// only when they are what they claim to be: inside the cluster directory (a symlink to
// /etc/shadow is never opened) and text that YAML allows. A refusal says where, never
// what: the content of a file that is not ours is never shown.
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';

export type ClusterText = { text: string } | { problem: string; hint: string };

/**
 * Why these bytes are not YAML text (invalid UTF-8, or a character YAML 1.2 does not
 * allow: C0/C1 controls but tab, LF, CR and NEL, DEL, U+FFFE/U+FFFF), or undefined.
 */
export function notYamlText(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'not valid UTF-8';
  }
  const m = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/.exec(text);
  if (!m) return undefined;
  const line = text.slice(0, m.index).split('\n').length;
  return `a control character U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} on line ${line}`;
}

/** `path` (a file of `clusterDir`) as text, or why it is refused. Errors reading it are thrown. */
export async function readClusterText(clusterDir: string, path: string, what = 'text file'): Promise<ClusterText> {
  const [realDir, realFile] = await Promise.all([realpath(clusterDir), realpath(path)]);
  const inside = relative(realDir, realFile);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    return { problem: `${path}: resolves to ${realFile}, outside the cluster directory ${realDir}; refusing to read it`, hint: 'the files of a cluster directory must be inside it (a symlink to another file in it is fine)' };
  }
  const bytes = await readFile(path);
  const bad = notYamlText(bytes);
  if (bad) return { problem: `${path}: not a ${what} (${bad}); refusing to parse or show it`, hint: 'it must be UTF-8 text (YAML allows tab, newline and printable characters only)' };
  return { text: bytes.toString('utf8') };
}
