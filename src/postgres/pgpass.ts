// ~/.pgpass lines: hostname:port:database:username:password (libpq-pgpass).
// "If an entry needs to contain : or \, escape this character with \." A field that is
// exactly `*` matches anything. libpq skips lines starting with `#` and reads the
// password up to the first unescaped `:`.

/** Raised for a field that cannot be written to .pgpass. */
export class PgpassError extends Error {
  override name = 'PgpassError';
}

export interface PgpassEntry {
  host: string;
  /** A port number, or `*`. */
  port: number | string;
  database: string;
  user: string;
  password: string;
}

/** `\` → `\\`, `:` → `\:`. Refuses CR, LF and NUL, which cannot be represented. */
export function pgpassEscape(field: string): string {
  if (/[\r\n\0]/.test(field)) throw new PgpassError('a .pgpass field cannot contain CR, LF or NUL');
  return field.replace(/[\\:]/g, (c) => `\\${c}`);
}

function matchField(name: string, value: string): string {
  if (value === '') throw new PgpassError(`empty .pgpass ${name} (use "*" to match anything)`);
  // `*` on its own is the wildcard and is written as is; any other text is escaped.
  return value === '*' ? '*' : pgpassEscape(value);
}

/** One .pgpass line (no trailing newline). The string `*` in a match field is the wildcard. */
export function pgpassLine(e: PgpassEntry): string {
  const port = typeof e.port === 'number' ? String(e.port) : e.port;
  if (typeof e.port === 'number' && (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535)) {
    throw new PgpassError(`invalid port ${e.port}`);
  }
  if (e.password === '') throw new PgpassError('empty password');
  let host = matchField('host', e.host);
  // A line starting with # is a comment to libpq: escape it (libpq un-escapes \#).
  if (host.startsWith('#')) host = `\\${host}`;
  return [host, matchField('port', port), matchField('database', e.database), matchField('user', e.user), pgpassEscape(e.password)].join(':');
}

/**
 * Parse one .pgpass line the way libpq does: null for blank and `#` comment lines and
 * for lines with fewer than five fields. Fields are un-escaped (a written `*` comes back
 * as `*`); the password ends at the first unescaped `:`; a trailing CR is ignored.
 */
export function parsePgpassLine(line: string): PgpassEntry | null {
  const text = line.replace(/[\r\n]+$/, '');
  if (text === '' || text.startsWith('#')) return null;
  const fields: string[] = [];
  let cur = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\\' && i + 1 < text.length) {
      cur += text[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === ':') {
      fields.push(cur);
      cur = '';
      if (fields.length === 5) break;
    } else {
      cur += c;
    }
    i++;
  }
  if (fields.length < 5) fields.push(cur);
  if (fields.length < 5) return null;
  const [host = '', port = '', database = '', user = '', password = ''] = fields;
  return { host, port, database, user, password };
}
