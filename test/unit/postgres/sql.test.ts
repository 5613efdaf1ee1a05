import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../../src/postgres/scram.js';
import {
  FUNCTION_SIGNATURE_RE,
  SqlQuoteError,
  alterRoleSql,
  createRoleSql,
  grantExecuteSql,
  grantRoleSql,
  quoteIdent,
  quoteLiteral,
} from '../../../src/postgres/sql.js';

const VERIFIER = scramSha256Verifier('pw', { salt: Buffer.alloc(16, 1) });

describe('quoteIdent', () => {
  it.each([
    ['barman', '"barman"'],
    ['Barman', '"Barman"'],
    ['select', '"select"'],
    ['a"b', '"a""b"'],
    ['x y', '"x y"'],
    ["o'k", '"o\'k"'],
    ['é', '"é"'],
  ])('%j → %s', (input, out) => {
    expect(quoteIdent(input)).toBe(out);
  });

  it('refuses empty, NUL, lone surrogates and names PostgreSQL would truncate', () => {
    expect(() => quoteIdent('')).toThrow(SqlQuoteError);
    expect(() => quoteIdent('a\0')).toThrow(SqlQuoteError);
    expect(() => quoteIdent('a\udc00')).toThrow(SqlQuoteError);
    expect(quoteIdent('x'.repeat(63))).toHaveLength(65);
    expect(() => quoteIdent('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => quoteIdent('é'.repeat(32))).toThrow(/63 bytes/);
  });
});

describe('quoteLiteral', () => {
  it.each([
    ['abc', "'abc'"],
    ['', "''"],
    ["it's", "'it''s'"],
    ["''", "''''''"],
    ['a\\b', "E'a\\\\b'"],
    ["\\'", "E'\\\\'''"],
    ['line\nbreak', "'line\nbreak'"],
    ['$1 :var :"x"', "'$1 :var :\"x\"'"],
    [VERIFIER, `'${VERIFIER}'`],
  ])('%j → %s', (input, out) => {
    expect(quoteLiteral(input)).toBe(out);
  });

  it('refuses NUL', () => {
    expect(() => quoteLiteral('a\0b')).toThrow(SqlQuoteError);
  });
});

describe('statement builders', () => {
  it('CREATE / ALTER ROLE with attributes, connection limit and a verifier', () => {
    expect(createRoleSql({ name: 'barman_role', attributes: ['NOSUPERUSER', 'NOCREATEDB', 'NOLOGIN'] })).toBe(
      'CREATE ROLE "barman_role" WITH NOSUPERUSER NOCREATEDB NOLOGIN',
    );
    expect(createRoleSql({ name: 'streaming_barman', attributes: ['LOGIN', 'REPLICATION'], passwordVerifier: VERIFIER, connectionLimit: -1 })).toBe(
      `CREATE ROLE "streaming_barman" WITH LOGIN REPLICATION CONNECTION LIMIT -1 PASSWORD '${VERIFIER}'`,
    );
    expect(createRoleSql({ name: 'x', attributes: [] })).toBe('CREATE ROLE "x"');
    expect(alterRoleSql({ name: 'barman', attributes: ['NOSUPERUSER'], passwordVerifier: null })).toBe(
      'ALTER ROLE "barman" WITH NOSUPERUSER PASSWORD NULL',
    );
    expect(alterRoleSql({ name: 'barman', attributes: [], passwordVerifier: 'md5' + 'a'.repeat(32) })).toBe(
      `ALTER ROLE "barman" WITH PASSWORD 'md5${'a'.repeat(32)}'`,
    );
  });

  it('refuses plaintext passwords, contradictory attributes and bad limits', () => {
    expect(() => createRoleSql({ name: 'barman', attributes: [], passwordVerifier: 'hunter2' })).toThrow(/plaintext/);
    expect(() => createRoleSql({ name: 'barman', attributes: ['LOGIN', 'NOLOGIN'] })).toThrow(/twice/);
    expect(() => createRoleSql({ name: 'barman', attributes: [], connectionLimit: -2 })).toThrow(SqlQuoteError);
    expect(() => alterRoleSql({ name: 'barman', attributes: [] })).toThrow(/nothing to change/);
  });

  it('GRANT statements', () => {
    expect(grantRoleSql('barman_role', 'barman')).toBe('GRANT "barman_role" TO "barman"');
    expect(grantExecuteSql('pg_catalog.pg_backup_start(text, boolean)', 'barman_role')).toBe(
      'GRANT EXECUTE ON FUNCTION pg_catalog.pg_backup_start(text, boolean) TO "barman_role"',
    );
    expect(grantExecuteSql('pg_catalog.pg_switch_wal()', 'barman_role')).toBe('GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO "barman_role"');
    expect(FUNCTION_SIGNATURE_RE.test('pg_catalog.f(double precision, int4)')).toBe(true);
    for (const bad of ['pg_switch_wal()', 'pg_catalog.f(text); DROP ROLE x; --', 'pg_catalog.f(text,boolean)', 'pg_catalog.f( text)', 'pg_catalog.F()']) {
      expect(() => grantExecuteSql(bad, 'barman_role'), bad).toThrow(SqlQuoteError);
    }
  });
});
