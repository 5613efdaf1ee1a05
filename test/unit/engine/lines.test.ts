import { describe, expect, it } from 'vitest';
import { containsWords, editLines } from '../../../src/engine/resources/lines.js';

describe('editLines', () => {
  it('appends missing lines and keeps every other byte', () => {
    const before = 'keep me\n# comment\n';
    expect(editLines(before, [{ match: 'pg1:', line: 'pg1:*:*:barman:x' }], 'prefix', 'bottom')).toBe('keep me\n# comment\npg1:*:*:barman:x\n');
  });
  it('replaces our line in place and drops duplicates of it', () => {
    const before = 'a\npg1:*:*:barman:old\nb\npg1:*:*:barman:dup\n';
    expect(editLines(before, [{ match: 'pg1:*:*:barman:', line: 'pg1:*:*:barman:new' }], 'prefix', 'bottom')).toBe('a\npg1:*:*:barman:new\nb\n');
  });
  it('is idempotent', () => {
    const entries = [{ match: 'K1', line: 'ssh-ed25519 K1 c' }];
    const once = editLines('x\n', entries, 'contains', 'bottom');
    expect(editLines(once, entries, 'contains', 'bottom')).toBe(once);
  });
  it('inserts at the top after leading comments (pg_hba: first match wins)', () => {
    const before = '# header\n\nlocal all postgres peer\nhost all all 0.0.0.0/0 reject\n';
    const out = editLines(before, [{ match: 'hostssl postgres barman 10.0.0.5/32', line: 'hostssl postgres barman 10.0.0.5/32 scram-sha-256' }], 'prefix', 'top');
    expect(out).toBe('# header\n\nhostssl postgres barman 10.0.0.5/32 scram-sha-256\nlocal all postgres peer\nhost all all 0.0.0.0/0 reject\n');
  });
  it('keeps a file without a trailing newline as it was when nothing changes', () => {
    const before = 'a\nours';
    expect(editLines(before, [{ match: 'ours', line: 'ours' }], 'prefix', 'bottom')).toBe('a\nours');
  });
  it('creates content for a missing file', () => {
    expect(editLines('', [{ match: 'x', line: 'x1' }], 'prefix', 'bottom')).toBe('x1\n');
  });
  it('tells pg1 from pg10 in contains mode: the match is whole words', () => {
    const tag = (n: string): string => `# tpa-barman:c host=${n}`;
    const entries = ['pg1', 'pg10', 'pg11'].map((n, i) => ({ match: tag(n), line: `10.0.0.${i + 2} ${n} ${tag(n)}` }));
    const once = editLines('127.0.0.1 localhost\n', entries, 'contains', 'bottom');
    expect(once.split('\n').filter((l) => l.includes('tpa-barman'))).toEqual(entries.map((e) => e.line));
    expect(editLines(once, entries, 'contains', 'bottom')).toBe(once);
    // The line of pg10 stays when only pg1's entry is managed.
    expect(editLines(once, [entries[0] as { match: string; line: string }], 'contains', 'bottom')).toBe(once);
  });
});

describe('containsWords', () => {
  it('finds text bounded by whitespace or line ends only', () => {
    expect(containsWords('a host=pg1', 'host=pg1')).toBe(true);
    expect(containsWords('a host=pg1 b', 'host=pg1')).toBe(true);
    expect(containsWords('a host=pg10', 'host=pg1')).toBe(false);
    expect(containsWords('a xhost=pg1', 'host=pg1')).toBe(false);
    expect(containsWords('host=pg10 host=pg1', 'host=pg1')).toBe(true);
    expect(containsWords('anything', '')).toBe(false);
  });
});
