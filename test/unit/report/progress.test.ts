// Progress of long steps and the verbosity levels of the run reporter.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResourceResult } from '../../../src/engine/play.js';
import { Progress } from '../../../src/report/progress.js';
import { createEvents, failureHint, printRecap } from '../../../src/report/reporter.js';
import { makeColors } from '../../../src/report/style.js';
import type { RunResult } from '../../../src/engine/runner.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

const plain = makeColors(new PassThrough(), false);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-24T10:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Progress', () => {
  it('not on a terminal: a "still running" line every 30 s per running step, nothing after it ends', () => {
    const s = sink();
    const p = new Progress({ out: s.stream, tty: false });
    p.start('barman1', 'take the first backup of pg1');
    vi.advanceTimersByTime(29_000);
    expect(s.text()).toBe('');
    vi.advanceTimersByTime(1_000);
    expect(s.text()).toBe('barman1: still running: take the first backup of pg1 … 30 s\n');
    vi.advanceTimersByTime(30_000);
    expect(s.text()).toContain('barman1: still running: take the first backup of pg1 … 60 s\n');
    p.stop('barman1');
    vi.advanceTimersByTime(120_000);
    expect(s.text().split('\n').filter(Boolean)).toHaveLength(2);
    expect(s.text()).not.toContain('\r');
  });

  it('on a terminal: one status line redrawn every second, other lines written above it, cleared at the end', () => {
    const s = sink();
    const p = new Progress({ out: s.stream, tty: true, columns: 200 });
    p.start('barman1', 'install barman');
    expect(s.text()).toBe('\r\x1b[2K⏳ barman1: install barman … 0 s');
    vi.advanceTimersByTime(2_000);
    expect(s.text().endsWith('\r\x1b[2K⏳ barman1: install barman … 2 s')).toBe(true);
    p.start('pg1', 'install barman-cli');
    vi.advanceTimersByTime(1_000);
    expect(s.text().endsWith('\r\x1b[2K⏳ barman1: install barman … 3 s | pg1: install barman-cli … 1 s')).toBe(true);
    const before = s.text().length;
    p.line('changed: [pg1] install barman-cli');
    // Cleared, the line written, the status line redrawn below it.
    expect(s.text().slice(before)).toBe('\r\x1b[2Kchanged: [pg1] install barman-cli\n\r\x1b[2K⏳ barman1: install barman … 3 s | pg1: install barman-cli … 1 s');
    p.stop('pg1');
    p.stop('barman1');
    expect(s.text().endsWith('\r\x1b[2K')).toBe(true);
    const after = s.text().length;
    vi.advanceTimersByTime(5_000);
    expect(s.text().length).toBe(after);
  });

  it('on a narrow terminal the status line is cut so it never wraps', () => {
    const s = sink();
    const p = new Progress({ out: s.stream, tty: true, columns: 30 });
    p.start('barman1', 'take the first 3 backups of a_very_long_server_name');
    const line = s.text().replace('\r\x1b[2K', '');
    expect([...line].length).toBeLessThanOrEqual(29);
    expect(line.endsWith('…')).toBe(true);
    p.stopAll();
  });
});

function result(over: Partial<ResourceResult>): ResourceResult {
  return { host: 'pg1', phase: 0, id: 'file:/etc/x', kind: 'file', status: 'ok', ...over };
}

describe('reporter verbosity', () => {
  it('default: changes only; -vv: ok and skipped lines too', () => {
    for (const [verbosity, expected] of [
      [0, ['changed: [pg1] create /etc/x']],
      [2, ['ok:      [pg1] file:/etc/y', 'skipped: [pg1] file:/etc/z', 'changed: [pg1] create /etc/x']],
    ] as const) {
      const s = sink();
      const ev = createEvents({ out: s.stream, colors: plain, verbosity, mode: 'apply', tty: false });
      ev.result?.(result({ id: 'file:/etc/y' }));
      ev.result?.(result({ id: 'file:/etc/z', status: 'skipped' }));
      ev.result?.(result({ status: 'changed', change: { action: 'create', summary: 'create /etc/x' } }));
      expect(s.text().split('\n').filter(Boolean)).toEqual(expected);
    }
  });

  it('-vvv: every remote script with its size, exit code and time, and its stderr tail', () => {
    const info = { label: 'gather facts', scriptBytes: 8800, code: 0, ms: 231, stderr: Array.from({ length: 20 }, (_, i) => `warning ${i}`).join('\n') };
    const quiet = sink();
    createEvents({ out: quiet.stream, colors: plain, verbosity: 2, mode: 'apply', tty: false }).exec?.('pg1', info);
    expect(quiet.text()).toBe('');
    const loud = sink();
    createEvents({ out: loud.stream, colors: plain, verbosity: 3, mode: 'apply', tty: false }).exec?.('pg1', info);
    const lines = loud.text().split('\n');
    expect(lines[0]).toBe('pg1: gather facts: script 8.6 KiB, exit 0, 231 ms');
    expect(lines[1]).toBe('    stderr:');
    expect(lines.slice(2, 14)).toEqual(Array.from({ length: 12 }, (_, i) => `      warning ${i + 8}`));
  });

  it('a long step prints its start, then "still running" every 30 s until its result', () => {
    const s = sink();
    const ev = createEvents({ out: s.stream, colors: plain, verbosity: 0, mode: 'apply', tty: false });
    ev.started?.('barman1', 1, [{ id: 'first-backup:pg1', change: { action: 'run', summary: 'take the first backup of pg1', slow: true } }]);
    vi.advanceTimersByTime(61_000);
    ev.result?.(result({ host: 'barman1', id: 'first-backup:pg1', status: 'changed', change: { action: 'run', summary: 'take the first backup of pg1' }, durationMs: 61_000 }));
    vi.advanceTimersByTime(60_000);
    ev.finished?.();
    expect(s.text().split('\n').filter(Boolean)).toEqual([
      'barman1: running 1 change(s), including: take the first backup of pg1 …',
      'barman1: still running: take the first backup of pg1 … 30 s',
      'barman1: still running: take the first backup of pg1 … 60 s',
      'changed: [barman1] take the first backup of pg1 (61.0 s)',
    ]);
  });

  it('a failure shows host, step, the output tail and a hint, and again before the recap', () => {
    const failed = result({ status: 'failed', kind: 'package', id: 'package:barman-cli', change: { action: 'install', summary: 'install barman-cli' }, error: 'E: Malformed entry 1\nE: The list of sources could not be read.' });
    const s = sink();
    createEvents({ out: s.stream, colors: plain, verbosity: 0, mode: 'apply', tty: false }).result?.(failed);
    expect(s.text()).toBe(
      [
        'failed:  [pg1] install barman-cli',
        '    step: package:barman-cli (package) on pg1',
        '    output (last lines):',
        '      E: Malformed entry 1',
        '      E: The list of sources could not be read.',
        `    hint: ${failureHint(failed)}`,
        '',
      ].join('\n'),
    );
    expect(failureHint(failed)).toMatch(/package manager failed on pg1/);
    const run: RunResult = {
      results: [failed],
      conflicts: [],
      notes: [],
      hosts: [{ host: 'pg1', reachable: true, execs: 3, timings: {} }, { host: 'pg2', reachable: false, execs: 0, timings: {} }],
      exitCode: 4,
      errors: [{ host: 'pg2', message: 'pg2: no ssh handshake from 10.0.0.2:22 within 20 s', hint: 'check the address' }],
      interrupted: false,
    };
    const recap = sink();
    printRecap(run, { out: recap.stream, colors: plain, verbosity: 0, mode: 'apply' }, 1234);
    expect(recap.text()).toContain(
      '\nFAILURES\n  [pg1] install barman-cli: E: The list of sources could not be read.\n' +
        `      hint: ${failureHint(failed)}\n` +
        '  [pg2] no ssh handshake from 10.0.0.2:22 within 20 s\n      hint: check the address\n\nPLAY RECAP\n',
    );
  });

  it('hints by kind; "did not converge" and "not run" have their own', () => {
    expect(failureHint(result({ kind: 'pg_role', status: 'failed' }))).toMatch(/PostgreSQL on pg1 refused/);
    expect(failureHint(result({ kind: 'lines', status: 'failed', error: 'did not converge: still wants to update /etc/hosts' }))).toMatch(/changes it back/);
    expect(failureHint(result({ kind: 'wal_streaming', status: 'skipped', error: 'not run: an earlier step failed' }))).toMatch(/fix the step that failed before it/);
    expect(failureHint(result({ kind: 'first_backup', status: 'failed' }))).toMatch(/-vvv/);
  });
});
