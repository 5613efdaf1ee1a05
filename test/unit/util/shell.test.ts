import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ShellQuoteError, shellJoin, shellQuote } from '../../../src/util/shell.js';
import { hostileString, rng } from './random.js';

const SEED = 0x5eed_0001;
const N = 10_000;

/** Feed `script` to `shell` on stdin and return stdout as bytes. */
function runShell(shell: string, script: string): Buffer {
  const res = spawnSync(shell, ['-s'], { input: script, maxBuffer: 64 * 1024 * 1024, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`${shell} exited ${String(res.status)}: ${res.stderr.toString()}`);
  return res.stdout;
}

function expected(strings: string[]): Buffer {
  return Buffer.from(strings.map((s) => `${s}\0`).join(''), 'utf8');
}

function firstMismatch(strings: string[], out: Buffer): string | undefined {
  const parts = out.toString('utf8').split('\0');
  for (let i = 0; i < strings.length; i++) {
    if (parts[i] !== strings[i]) return `#${i}: ${JSON.stringify(strings[i])} -> ${JSON.stringify(parts[i])}`;
  }
  return undefined;
}

const strings = (() => {
  const r = rng(SEED);
  const xs: string[] = ['', "'", "''", '\\', '$HOME', '`id`', '$(id)', '"', '\n', ' ', '-n', '--', '*', '~', 'a=b', '%', '#x', '!'];
  while (xs.length < N) xs.push(hostileString(r));
  return xs;
})();

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    expect(shellQuote('barman')).toBe('barman');
    expect(shellQuote('/var/lib/barman')).toBe('/var/lib/barman');
    expect(shellQuote('host=one')).toBe("'host=one'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('~')).toBe("'~'");
    expect(shellQuote('50%')).toBe("'50%'");
    expect(shellQuote('$x')).toBe("'$x'");
  });

  it('rejects NUL and lone surrogates', () => {
    expect(() => shellQuote('a\0b')).toThrow(ShellQuoteError);
    expect(() => shellQuote('\ud800')).toThrow(ShellQuoteError);
    expect(() => shellQuote('x\udfffy')).toThrow(ShellQuoteError);
    expect(shellQuote('🙂')).toBe("'🙂'");
  });

  it('shellJoin quotes each argument', () => {
    expect(shellJoin(['sudo', '-n', '-u', 'postgres', '--', 'psql', '-X', '-f', '-'])).toBe('sudo -n -u postgres -- psql -X -f -');
    expect(shellJoin(['printf', '%s', "a'b c"])).toBe("printf '%s' 'a'\\''b c'");
    expect(shellJoin([])).toBe('');
  });

  for (const sh of ['/bin/sh', '/bin/dash', '/bin/bash']) {
    it(`round-trips ${N} hostile strings through ${sh} (seed ${SEED})`, () => {
      const script = `printf '%s\\000' ${strings.map(shellQuote).join(' ')}\n`;
      const out = runShell(sh, script);
      expect(firstMismatch(strings, out)).toBeUndefined();
      expect(out.equals(expected(strings))).toBe(true);
    });
  }

  it('survives a second layer: sh -c \'printf …\' sh <quoted>…', () => {
    // The outer shell parses the joined command line; the inner `sh -c` gets each string
    // as a positional parameter, exactly like `sh -c 'printf %s "$1"' sh <quoted>`.
    const subset = strings.slice(0, 2_000);
    const line = shellJoin(['sh', '-c', 'printf "%s\\000" "$@"', 'sh', ...subset]);
    const out = runShell('/bin/sh', `${line}\n`);
    expect(firstMismatch(subset, out)).toBeUndefined();
    // And the fully nested form: the whole inner command line quoted once more.
    const nested = shellJoin(['sh', '-c', shellJoin(['printf', '%s\\000', ...subset.slice(0, 500)])]);
    const out2 = runShell('/bin/sh', `${nested}\n`);
    expect(firstMismatch(subset.slice(0, 500), out2)).toBeUndefined();
  });
});
