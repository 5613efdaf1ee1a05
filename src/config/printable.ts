// Config values end up in terminal output: escape anything that could hide or
// rewrite text (control characters, bidi overrides, zero-width characters).

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with unsafe characters shown as `\xNN`/`\uNNNN`; tabs and newlines are kept. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** A value as it appears in a message: strings JSON-quoted, others JSON-encoded, all printable. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  const short = json.length > 80 ? `${json.slice(0, 77)}...` : json;
  return printable(short);
}
