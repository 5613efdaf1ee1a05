// Key paths name the offending setting in messages: `instances[2].vars.backup_name`.

/** One step into a parsed document: a mapping key or a sequence index. */
export type PathSeg = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatKeyPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Keys with dots, spaces or control characters stay unambiguous and printable.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
