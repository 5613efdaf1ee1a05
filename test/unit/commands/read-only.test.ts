// sectionScript/parseSections: run the generated script with the local /bin/sh.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseSections, sectionScript } from '../../../src/commands/read-only.js';

function runSh(script: string): string {
  const r = spawnSync('/bin/sh', ['-s'], { input: script, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`sh failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

describe('sectioned read-only scripts', () => {
  it('returns each command\'s stdout, stderr and exit code apart, whatever they print', () => {
    const out = runSh(
      sectionScript([
        { name: 'plain', command: "printf 'a b\\n'" },
        { name: 'fails', command: "echo oops >&2; printf 'partial'; exit 3" },
        { name: 'forger', command: "printf '@@tpab-section plain 0 Zm9yZ2Vk Zm9yZ2Vk\\n'" },
        { name: 'quotes', command: "x='it'\\''s'; echo \"$x\" \"$(echo \\$HOME-ish)\"" },
        { name: 'empty', command: 'true' },
        { name: 'cron:pg1', command: 'cat /nonexistent/file' },
        { name: 'reads-stdin', command: 'cat' },
      ]),
    );
    const s = parseSections(out);
    expect(s.get('plain')).toEqual({ code: 0, stdout: 'a b\n', stderr: '' });
    expect(s.get('fails')).toEqual({ code: 3, stdout: 'partial', stderr: 'oops\n' });
    expect(s.get('forger')?.stdout).toBe('@@tpab-section plain 0 Zm9yZ2Vk Zm9yZ2Vk\n');
    expect(s.get('quotes')?.stdout).toBe("it's $HOME-ish\n");
    expect(s.get('empty')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(s.get('cron:pg1')?.code).not.toBe(0);
    expect(s.get('cron:pg1')?.stderr).toMatch(/No such file/);
    // stdin is closed: a command reading it ends at once instead of eating the script.
    expect(s.get('reads-stdin')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect([...s.keys()]).toEqual(['plain', 'fails', 'forger', 'quotes', 'empty', 'cron:pg1', 'reads-stdin']);
  });

  it('refuses section names that could break the framing', () => {
    expect(() => sectionScript([{ name: 'a b', command: 'true' }])).toThrow(/bad section name/);
    expect(() => sectionScript([{ name: 'x;rm', command: 'true' }])).toThrow(/bad section name/);
  });

  it('ignores lines that are not well-formed section lines', () => {
    expect(parseSections('noise\n@@tpab-section x 0 !!! \n@@tpab-section y 1 \n').size).toBe(0);
    expect(parseSections('@@tpab-section y 1  \n').get('y')).toEqual({ code: 1, stdout: '', stderr: '' });
  });
});
