// Small building blocks: code frames, key paths, suggestions, path and string checks, nesting.
import { describe, expect, it } from 'vitest';
import { closest, levenshtein } from '../../../src/config/checks/levenshtein.js';
import { absolutePath, bool, cronSchedule, dsnAttributes, int } from '../../../src/config/checks/rules.js';
import { isAddress, isFqdn, isHostname } from '../../../src/config/checks/net.js';
import { absolutePathProblem, controlCharProblem } from '../../../src/config/checks/strings.js';
import { codeFrame } from '../../../src/config/frame.js';
import { formatKeyPath } from '../../../src/config/keypath.js';
import { findExcessiveNesting } from '../../../src/config/nesting.js';
import { printable } from '../../../src/config/printable.js';

describe('codeFrame', () => {
  const text = 'a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\n';

  it('shows two lines either side and a caret', () => {
    expect(codeFrame(text, 3, 4)).toBe(['  1 | a: 1', '  2 | b: 2', '> 3 | c: 3', '    |    ^', '  4 | d: 4', '  5 | e: 5'].join('\n'));
  });

  it('clips at the start and end of the file', () => {
    expect(codeFrame(text, 1, 1).split('\n')[0]).toBe('> 1 | a: 1');
    expect(codeFrame(text, 6, 1).split('\n').at(-2)).toBe('> 6 | f: 6');
  });

  it('escapes control characters and keeps the caret aligned', () => {
    // Column 10 is the "r" of red, after the escape character.
    const frame = codeFrame('k: "\u001b[31mred"\n', 1, 10);
    expect(frame).toContain('k: "\\x1b[31mred"');
    const [line, caret] = frame.split('\n');
    expect(caret?.indexOf('^')).toBe((line ?? '').indexOf('red'));
  });

  it('windows very long lines around the column', () => {
    const long = `x: ${'a'.repeat(5000)}B${'a'.repeat(5000)}`;
    const [line, caret] = codeFrame(long, 1, 5004).split('\n');
    expect((line ?? '').length).toBeLessThan(140);
    expect(line?.[caret?.indexOf('^') ?? 0]).toBe('B');
  });
});

describe('formatKeyPath', () => {
  it('formats indices and plain keys', () => {
    expect(formatKeyPath(['instances', 2, 'vars', 'backup_name'])).toBe('instances[2].vars.backup_name');
  });
  it('quotes keys that are not plain', () => {
    expect(formatKeyPath(['cluster_vars', 'a.b', 'x\ny'])).toBe('cluster_vars["a.b"]["x\\ny"]');
  });
});

describe('suggestions', () => {
  it('computes edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
  });
  it('suggests close names only', () => {
    const known = ['barman_retention_policy', 'barman_backup_method', 'barman_home'];
    expect(closest('barman_retension_policy', known)).toBe('barman_retention_policy');
    expect(closest('BARMAN_HOME', known)).toBe('barman_home');
    expect(closest('barman_wibble', known)).toBeUndefined();
  });
});

describe('paths and strings', () => {
  it.each([
    ['/var/lib/barman', undefined],
    ['/srv/barman-2/x_y.z+1', undefined],
    ['var/lib/barman', 'must be an absolute path'],
    ['/var/lib/../etc', 'must not contain ".."'],
    ['/var//lib', 'is not normalised'],
    ['/var/lib/', 'must not end with "/"'],
    ['/var/./lib', 'is not normalised'],
    ['/var/lib/bar man', 'may only contain'],
    ['/x;rm -rf /', 'may only contain'],
    ['/x\nY', 'contains a newline'],
  ])('%j → %s', (p, problem) => {
    const got = absolutePathProblem(p);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it('names control and invisible characters', () => {
    expect(controlCharProblem('a\u0000b')).toBe('contains a NUL byte');
    expect(controlCharProblem('a\rb')).toBe('contains a carriage return');
    expect(controlCharProblem('pg\u202e1')).toContain('U+202E');
    expect(controlCharProblem('plain')).toBeUndefined();
  });

  it('escapes unsafe characters for terminals', () => {
    expect(printable('a\u0007b\u200bc')).toBe('a\\x07b\\u200bc');
  });
});

describe('host names and addresses', () => {
  it('applies TPA rules', () => {
    expect(isHostname('pg-1')).toBe(true);
    expect(isHostname('p')).toBe(false);
    expect(isHostname('pg-')).toBe(false);
    expect(isHostname('PG1')).toBe(false);
    expect(isFqdn('db.example.com')).toBe(true);
    expect(isFqdn('db..example')).toBe(false);
    expect(isAddress('10.0.0.1')).toBe(true);
    expect(isAddress('::1')).toBe(true);
    expect(isAddress('Host.Example.com')).toBe(true);
    expect(isAddress('h;id')).toBe(false);
  });
});

describe('findExcessiveNesting', () => {
  it('passes ordinary configs', () => {
    expect(findExcessiveNesting('a:\n  b: [1, {c: [2]}]\n- x\n', 64)).toBeUndefined();
  });
  it('ignores brackets inside quotes, comments and block scalars', () => {
    const text = `a: "${'['.repeat(200)}"\nb: |\n  ${'['.repeat(200)}\n# ${'['.repeat(200)}\nc: '${'{'.repeat(200)}'\n`;
    expect(findExcessiveNesting(text, 64)).toBeUndefined();
  });
  it('finds the first offset past the limit', () => {
    // mapping, then four sequences: the fourth "[" is level 5.
    expect(findExcessiveNesting(`x: ${'['.repeat(10)}`, 4)).toBe(3 + 3);
    expect(findExcessiveNesting('- - - - - x', 3)).toBe(6);
  });
  it('is fast on megabytes of brackets', () => {
    const start = Date.now();
    expect(findExcessiveNesting('['.repeat(4_000_000), 64)).toBe(64);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('value rules', () => {
  it('bool accepts YAML booleans and "true"/"false" strings only', () => {
    expect(bool(true)).toEqual({ ok: true, value: true });
    expect(bool('False')).toEqual({ ok: true, value: false });
    for (const v of ['yes', 'on', 1, null]) expect(bool(v).ok).toBe(false);
  });

  it('int accepts integers and digit strings in range', () => {
    expect(int(1, 10)('7')).toEqual({ ok: true, value: 7 });
    expect(int(1, 10)(11).ok).toBe(false);
    expect(int(1, 10)(2.5).ok).toBe(false);
    expect(int(1, 10)('-3').ok).toBe(false);
  });

  it.each([
    ['0 4 * * wed,sat', true],
    ['*/15 0-6 1,15 jan-jun mon-fri', true],
    ['0 4 * * 7', true],
    ['@daily', false],
    ['0 4 * *', false],
    ['0 0 4 * * wed', false],
    ['0 4 * *  wed', false],
    ['0\t4 * * wed', false],
    [' 0 4 * * wed', false],
    ['60 4 * * *', false],
    ['0 24 * * *', false],
    ['0 4 0 * *', false],
    ['0 4 * 13 *', false],
    ['0 4 * * funday', false],
    ['5-1 4 * * *', false],
    ['0 4 * * % ', false],
    ['0 4 * * *\n* * * * * root id', false],
  ])('cron %j → %s', (schedule, valid) => {
    expect(cronSchedule(schedule).ok).toBe(valid);
  });

  it('dsnAttributes accepts libpq pairs, quoted values included, and refuses the rest', () => {
    const rule = dsnAttributes(new Set(['host']));
    expect(rule('sslmode=require application_name=\'my app\'')).toEqual({ ok: true, value: "sslmode=require application_name='my app'" });
    expect(rule('')).toEqual({ ok: true, value: '' });
    expect(rule('sslmode=verify-full sslrootcert=/etc/ssl/root.crt connect_timeout=5').ok).toBe(true);
    for (const v of ['sslmode', 'a=b"c', 'a=%x', 'host=evil', "a='unterminated", 'a=b\nc=d', 'a=b;c', 'a=$(id)', "a='x;y'", 'a=`id`']) {
      expect(rule(v).ok, v).toBe(false);
    }
  });

  it('absolutePath refuses traversal and shell characters', () => {
    expect(absolutePath()('/var/lib/barman').ok).toBe(true);
    expect(absolutePath()('/var/lib/barman/../../etc').ok).toBe(false);
    expect(absolutePath()('/tmp/$(id)').ok).toBe(false);
  });
});
