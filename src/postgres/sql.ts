// Building SQL text. The engine sends it on stdin of `psql -X -q -v ON_ERROR_STOP=1`
// (src/engine/scripts.ts), all of a host's statements between one BEGIN and COMMIT.
// DDL (CREATE/ALTER ROLE, GRANT) cannot take bind parameters, so identifiers and
// literals are quoted here, and what cannot be quoted safely is refused. Passwords only
// ever appear as pre-computed SCRAM (or md5) verifiers: a plaintext one is refused.

import { parseScramVerifier } from './scram.js';

/** Raised when a value cannot be turned into SQL safely. */
export class SqlQuoteError extends Error {
  override name = 'SqlQuoteError';
}

const LONE_SURROGATE = /\p{Cs}/u;
/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated. */
export const MAX_IDENTIFIER_BYTES = 63;

function checkText(what: string, s: string): void {
  if (s.includes('\0')) throw new SqlQuoteError(`${what} contains NUL, which PostgreSQL text cannot hold`);
  if (LONE_SURROGATE.test(s)) throw new SqlQuoteError(`${what} contains a lone UTF-16 surrogate`);
}

/**
 * Quote an identifier: always `"…"` with `"` doubled, so case and reserved words are
 * preserved. Refuses empty names and names longer than 63 bytes (PostgreSQL would
 * truncate them to a different name).
 */
export function quoteIdent(name: string): string {
  checkText('identifier', name);
  if (name === '') throw new SqlQuoteError('empty identifier');
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new SqlQuoteError(`identifier ${JSON.stringify(name.slice(0, 40))}… is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quote a string literal: `'…'` with `'` doubled. A value containing a backslash is
 * written as `E'…'` with backslashes doubled too, so it reads back the same whatever
 * standard_conforming_strings is set to (this is what PostgreSQL's quote_literal does).
 */
export function quoteLiteral(value: string): string {
  checkText('literal', value);
  const body = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}

export const ROLE_ATTRIBUTES = [
  'SUPERUSER',
  'NOSUPERUSER',
  'CREATEDB',
  'NOCREATEDB',
  'CREATEROLE',
  'NOCREATEROLE',
  'INHERIT',
  'NOINHERIT',
  'LOGIN',
  'NOLOGIN',
  'REPLICATION',
  'NOREPLICATION',
  'BYPASSRLS',
  'NOBYPASSRLS',
] as const;
export type RoleAttribute = (typeof ROLE_ATTRIBUTES)[number];

/** What CREATE ROLE / ALTER ROLE say about a role. */
export interface RoleOptions {
  name: string;
  attributes: readonly RoleAttribute[];
  /**
   * A pre-computed verifier (`SCRAM-SHA-256$…` or `md5` + 32 hex digits); null means
   * `PASSWORD NULL`; undefined leaves the password alone. Plaintext is refused.
   */
  passwordVerifier?: string | null;
  /** -1 for no limit. Omitted: not mentioned. */
  connectionLimit?: number;
}

function checkVerifier(v: string): void {
  if (/^md5[0-9a-f]{32}$/.test(v)) return;
  if (parseScramVerifier(v) !== null) return;
  throw new SqlQuoteError('passwordVerifier must be a SCRAM-SHA-256 or md5 verifier, never a plaintext password');
}

function roleOptions(role: RoleOptions): string {
  const opts: string[] = [];
  const seen = new Set<string>();
  for (const a of role.attributes) {
    if (!(ROLE_ATTRIBUTES as readonly string[]).includes(a)) throw new SqlQuoteError(`unknown role attribute ${JSON.stringify(a)}`);
    const base = a.replace(/^NO/, '');
    if (seen.has(base)) throw new SqlQuoteError(`role attribute ${base} given twice`);
    seen.add(base);
    opts.push(a);
  }
  if (role.connectionLimit !== undefined) {
    if (!Number.isInteger(role.connectionLimit) || role.connectionLimit < -1) {
      throw new SqlQuoteError(`connection limit must be an integer >= -1, got ${role.connectionLimit}`);
    }
    opts.push(`CONNECTION LIMIT ${role.connectionLimit}`);
  }
  if (role.passwordVerifier === null) {
    opts.push('PASSWORD NULL');
  } else if (role.passwordVerifier !== undefined) {
    checkVerifier(role.passwordVerifier);
    opts.push(`PASSWORD ${quoteLiteral(role.passwordVerifier)}`);
  }
  return opts.length > 0 ? ` WITH ${opts.join(' ')}` : '';
}

export function createRoleSql(role: RoleOptions): string {
  return `CREATE ROLE ${quoteIdent(role.name)}${roleOptions(role)}`;
}

export function alterRoleSql(role: RoleOptions): string {
  const opts = roleOptions(role);
  if (opts === '') throw new SqlQuoteError(`ALTER ROLE ${role.name} with nothing to change`);
  return `ALTER ROLE ${quoteIdent(role.name)}${opts}`;
}

/** `GRANT "group" TO "member"` (a no-op with a NOTICE if already granted). */
export function grantRoleSql(group: string, member: string): string {
  return `GRANT ${quoteIdent(group)} TO ${quoteIdent(member)}`;
}

/**
 * A function signature as regprocedure text, e.g. `pg_catalog.pg_backup_start(text, boolean)`.
 * Only schema-qualified lower-case names and plain type names are accepted, because the
 * text goes into SQL unquoted.
 */
const TYPE = '[a-z][a-z0-9_]*(?: [a-z][a-z0-9_]*)*';
export const FUNCTION_SIGNATURE_RE = new RegExp(`^[a-z_][a-z0-9_]*\\.[a-z_][a-z0-9_]*\\((?:${TYPE}(?:, ${TYPE})*)?\\)$`);

export function grantExecuteSql(signature: string, role: string): string {
  if (!FUNCTION_SIGNATURE_RE.test(signature)) {
    throw new SqlQuoteError(`unexpected function signature ${JSON.stringify(signature)}`);
  }
  return `GRANT EXECUTE ON FUNCTION ${signature} TO ${quoteIdent(role)}`;
}
