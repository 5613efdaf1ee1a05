// Our own writer for Barman's INI files: /etc/barman.conf and
// /etc/barman.d/<server>.conf.
//
// Barman reads them with Python's configparser (BasicInterpolation, strict=False, no
// inline comments) and then, in Config.get(), turns a value of `none` (any case) into
// "unset" and strips one pair of surrounding quotes (`^(["'])(.*)\1$`). The writer
// refuses anything that configparser or Barman would read back differently, instead of
// trying to escape it:
//   - CR, LF, NUL and every other control character (would start a new line / option /
//     section, or is not representable);
//   - leading or trailing whitespace (configparser strips it);
//   - non-ASCII (Barman opens the files with the locale's encoding, which under cron may
//     not be UTF-8: a decode error there stops Barman for every server on the host).
// `%` is the one thing it escapes (`%%`), because configparser interpolates.

/** Raised when a section, key, value or comment cannot be written safely. */
export class IniError extends Error {
  override name = 'IniError';
}

export type IniEntry = { key: string; value: string } | { comment: string } | { blank: true };

export interface IniSection {
  name: string;
  entries: IniEntry[];
}

const KEY_RE = /^[a-z_][a-z0-9_]*$/;
// Server names: hostnames, FQDNs, backup_name values. No `]`, whitespace, quotes or `%`.
const SECTION_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function describe(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** Why `value` cannot be written as an INI value, or null if it can. */
export function iniValueProblem(value: string): string | null {
  if (/[\r\n]/.test(value)) return 'contains a line break';
  if (value.includes('\0')) return 'contains NUL';
  if (!PRINTABLE_ASCII.test(value)) {
    return /[\x00-\x1f\x7f]/.test(value)
      ? 'contains a control character'
      : 'contains non-ASCII characters';
  }
  if (value !== value.trim()) return 'has leading or trailing whitespace, which configparser strips';
  return null;
}

function checkSectionName(name: string): void {
  if (!SECTION_RE.test(name)) {
    throw new IniError(`invalid INI section name ${describe(name)}: expected ${SECTION_RE.source}`);
  }
  // configparser's default section: its keys would be inherited by every other section.
  if (name.toUpperCase() === 'DEFAULT') {
    throw new IniError(`invalid INI section name ${describe(name)}: reserved by configparser`);
  }
}

function checkKey(section: string, key: string): void {
  if (!KEY_RE.test(key)) {
    throw new IniError(`[${section}]: invalid key ${describe(key)}: expected ${KEY_RE.source}`);
  }
}

function renderComment(where: string, comment: string): string {
  if (/[\r\n\0]/.test(comment) || !PRINTABLE_ASCII.test(comment)) {
    throw new IniError(`${where}: comment ${describe(comment)} must be printable ASCII on one line`);
  }
  return comment === '' ? ';' : `; ${comment}`;
}

/**
 * Render sections as `key = value` lines. `header` comment lines go before the first
 * section; sections are separated by one blank line; the text ends with a newline.
 * Duplicate sections or keys are refused (configparser with strict=False would merge
 * them silently).
 */
export function renderIni(sections: readonly IniSection[], header: readonly string[] = []): string {
  const lines: string[] = header.map((c) => renderComment('header', c));
  const seenSections = new Set<string>();
  sections.forEach((section, i) => {
    checkSectionName(section.name);
    if (seenSections.has(section.name)) throw new IniError(`duplicate INI section [${section.name}]`);
    seenSections.add(section.name);
    if (i > 0) lines.push('');
    lines.push(`[${section.name}]`);
    const seenKeys = new Set<string>();
    for (const entry of section.entries) {
      if ('blank' in entry) {
        lines.push('');
      } else if ('comment' in entry) {
        lines.push(renderComment(`[${section.name}]`, entry.comment));
      } else {
        checkKey(section.name, entry.key);
        if (seenKeys.has(entry.key)) throw new IniError(`[${section.name}]: duplicate key ${entry.key}`);
        seenKeys.add(entry.key);
        const problem = iniValueProblem(entry.value);
        if (problem !== null) {
          throw new IniError(`[${section.name}] ${entry.key}: value ${describe(entry.value)} ${problem}`);
        }
        const written = entry.value.replaceAll('%', '%%');
        lines.push(written === '' ? `${entry.key} =` : `${entry.key} = ${written}`);
      }
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * Wrap a value in double quotes. Barman strips exactly one pair of surrounding quotes, so
 * the content comes back verbatim even if it starts/ends with a quote or with spaces.
 */
export function barmanQuote(value: string): string {
  return `"${value}"`;
}
