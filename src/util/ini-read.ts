// Reading Barman's INI files back as Barman does (configparser, then Config.get()): the
// deploy compares <barman_home>/.barman.auto.conf with our files, and the tests check that
// what ini.ts writes reads back as meant.

/** Parsed file: section name → key → value (`%%` already turned back into `%`). */
export type IniDocument = Map<string, Map<string, string>>;

function describe(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/**
 * The value Barman's Config.get() produces from a parsed value: `none` (any case) is
 * unset (null), otherwise one pair of surrounding `"…"` or `'…'` is removed.
 */
export function barmanValue(parsed: string): string | null {
  if (parsed.toLowerCase() === 'none') return null;
  const m = /^(["'])(.*)\1$/s.exec(parsed);
  return m ? (m[2] ?? '') : parsed;
}

const BARMAN_TRUE = /^(true|t|yes|1|on)$/i;
const BARMAN_FALSE = /^(false|f|no|0|off)$/i;

/** Barman's parse_boolean(); null when the text is not a boolean Barman understands. */
export function parseBarmanBoolean(value: string): boolean | null {
  if (BARMAN_TRUE.test(value)) return true;
  if (BARMAN_FALSE.test(value)) return false;
  return null;
}

/** Raised by parseIni() on text configparser would also reject. */
export class IniParseError extends Error {
  override name = 'IniParseError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Minimal configparser-compatible reader: `[section]` headers, `key = value` or
 * `key: value`, full-line comments starting with `;` or `#` (after optional
 * indentation), indented continuation lines (joined with `\n`), keys lower-cased,
 * duplicate sections merged and later keys winning (strict=False). Values have `%%`
 * turned back into `%`; other interpolation syntax is left as written.
 */
export function parseIni(text: string): IniDocument {
  const doc: IniDocument = new Map();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const stripped = raw.trim();
    if (stripped === '') {
      lastKey = undefined;
      return;
    }
    if (stripped.startsWith(';') || stripped.startsWith('#')) return;
    if (/^\s/.test(raw) && current !== undefined && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${unescapePercent(stripped)}`);
      return;
    }
    const header = /^\[(.+)\]/.exec(stripped);
    if (header) {
      const name = header[1] ?? '';
      current = doc.get(name);
      if (current === undefined) {
        current = new Map();
        doc.set(name, current);
      }
      lastKey = undefined;
      return;
    }
    const opt = /^(.*?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!opt) throw new IniParseError(`expected "[section]" or "key = value", got ${describe(stripped)}`, lineNo);
    if (current === undefined) throw new IniParseError('option before the first section header', lineNo);
    const key = (opt[1] ?? '').toLowerCase();
    if (key === '') throw new IniParseError('option with an empty name', lineNo);
    current.set(key, unescapePercent(opt[2] ?? ''));
    lastKey = key;
  });
  return doc;
}

function unescapePercent(v: string): string {
  return v.replaceAll('%%', '%');
}
