import { describe, expect, it } from 'vitest';
import {
  PgpassError,
  parsePgpassLine,
  pgpassEscape,
  pgpassLine,
} from '../../../src/postgres/pgpass.js';
import { generatePassword } from '../../../src/postgres/scram.js';
import { hostileString, rng } from '../util/random.js';

describe('pgpass', () => {
  it('escapes \\ and : only', () => {
    expect(pgpassEscape('a:b\\c*#')).toBe('a\\:b\\\\c*#');
    expect(() => pgpassEscape('a\nb')).toThrow(PgpassError);
    expect(() => pgpassEscape('a\rb')).toThrow(PgpassError);
    expect(() => pgpassEscape('a\0b')).toThrow(PgpassError);
  });

  it('writes TPA\'s lines', () => {
    expect(pgpassLine({ host: 'one', port: '*', database: '*', user: 'barman', password: 'p:w\\d' })).toBe('one:*:*:barman:p\\:w\\\\d');
    expect(pgpassLine({ host: 'one', port: 5432, database: 'replication', user: 'streaming_barman', password: 'x' })).toBe(
      'one:5432:replication:streaming_barman:x',
    );
  });

  it('escapes a host starting with # so the line is not a comment, and refuses bad fields', () => {
    expect(pgpassLine({ host: '#h', port: '*', database: '*', user: 'u', password: 'p' })).toBe('\\#h:*:*:u:p');
    expect(parsePgpassLine('\\#h:*:*:u:p')?.host).toBe('#h');
    expect(() => pgpassLine({ host: '', port: '*', database: '*', user: 'u', password: 'p' })).toThrow(PgpassError);
    expect(() => pgpassLine({ host: 'h', port: 70000, database: '*', user: 'u', password: 'p' })).toThrow(PgpassError);
    expect(() => pgpassLine({ host: 'h', port: '*', database: '*', user: 'u', password: '' })).toThrow(PgpassError);
    expect(() => pgpassLine({ host: 'h', port: '*', database: '*', user: 'u', password: 'a\nb' })).toThrow(PgpassError);
  });

  it('parses like libpq', () => {
    expect(parsePgpassLine('')).toBeNull();
    expect(parsePgpassLine('# one:*:*:barman:x')).toBeNull();
    expect(parsePgpassLine('one:*:*:barman')).toBeNull();
    expect(parsePgpassLine('one:*:*:barman:pw:extra')?.password).toBe('pw');
    expect(parsePgpassLine('one:*:*:barman:a\\:b\\\\c\r\n')).toEqual({ host: 'one', port: '*', database: '*', user: 'barman', password: 'a:b\\c' });
    expect(parsePgpassLine('one:*:*:barman:')?.password).toBe('');
  });

  it('round-trips 5000 hostile and generated passwords (incl. : and \\)', () => {
    const r = rng(0x9a55);
    for (let i = 0; i < 5000; i++) {
      const password = (i % 2 === 0 ? generatePassword() : hostileString(r, 30)).replace(/[\r\n]/g, '') || ':\\';
      const host = i % 7 === 0 ? 'h:x\\y' : 'one';
      const line = pgpassLine({ host, port: '*', database: '*', user: 'barman', password });
      expect(line).not.toMatch(/[\r\n]/);
      expect(parsePgpassLine(line)).toEqual({ host, port: '*', database: '*', user: 'barman', password });
    }
  });
});
