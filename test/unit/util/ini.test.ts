import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IniError, barmanQuote, iniValueProblem, renderIni, type IniSection } from '../../../src/util/ini.js';
import { IniParseError, barmanValue, parseBarmanBoolean, parseIni } from '../../support/barman-ini.js';
import { int, pick, rng } from './random.js';


// Reads each document the way Barman does (ConfigParser(strict=False), interpolation on,
// then Config.get()'s `none` and quote handling) and prints JSON.
const PY_READER = String.raw`
import configparser, json, re, sys
QUOTE_RE = re.compile(r"""^(["'])(.*)\1$""")
out = []
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser(strict=False)
    try:
        cp.read_string(text)
        doc = {}
        for s in cp.sections():
            d = {}
            for k in cp.options(s):
                v = cp.get(s, k, raw=False)
                d[k] = {"raw": v, "barman": None if v.lower() == "none" else QUOTE_RE.sub(lambda m: m.group(2), v)}
            doc[s] = d
        out.append(doc)
    except Exception as e:
        out.append({"__error__": type(e).__name__ + ": " + str(e)})
json.dump(out, sys.stdout)
`;

type PyValue = { raw: string; barman: string | null };
function pythonRead(texts: string[]): Array<Record<string, Record<string, PyValue>>> {
  const res = spawnSync('python3', ['-c', PY_READER], { input: JSON.stringify(texts), maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(res.stderr.toString());
  return JSON.parse(res.stdout.toString()) as Array<Record<string, Record<string, PyValue>>>;
}

describe('renderIni', () => {
  it('renders header, sections, comments, blanks and escapes %', () => {
    const text = renderIni(
      [
        { name: 'barman', entries: [{ key: 'barman_home', value: '/var/lib/barman' }, { blank: true }, { comment: 'x' }] },
        { name: 'one', entries: [{ key: 'description', value: barmanQuote('50% of "one"') }, { key: 'empty', value: '' }] },
      ],
      ['Managed by tpa-barman', ''],
    );
    expect(text).toBe(
      [
        '; Managed by tpa-barman',
        ';',
        '[barman]',
        'barman_home = /var/lib/barman',
        '',
        '; x',
        '',
        '[one]',
        'description = "50%% of "one""',
        'empty =',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['NUL', 'a\0b'],
    ['tab', 'a\tb'],
    ['DEL', 'a\x7fb'],
    ['non-ASCII', 'café'],
    ['leading space', ' a'],
    ['trailing space', 'a '],
    ['section injection', 'x\n[barman]'],
  ])('refuses a value with %s', (_label, value) => {
    expect(iniValueProblem(value)).not.toBeNull();
    expect(() => renderIni([{ name: 's', entries: [{ key: 'k', value }] }])).toThrow(IniError);
  });

  it.each(['', 'DEFAULT', 'default', 'a]b', 'a b', '[x', 'x\ny', '-x', 'a%b', 'x'.repeat(129)])(
    'refuses section name %j',
    (name) => {
      expect(() => renderIni([{ name, entries: [] }])).toThrow(IniError);
    },
  );

  it.each(['', 'Key', '1a', 'a-b', 'a b', 'a=b', 'a:b', 'é'])('refuses key %j', (key) => {
    expect(() => renderIni([{ name: 's', entries: [{ key, value: 'v' }] }])).toThrow(IniError);
  });

  it('refuses duplicate sections and keys, and bad comments', () => {
    expect(() => renderIni([{ name: 'a', entries: [] }, { name: 'a', entries: [] }])).toThrow(/duplicate INI section/);
    expect(() =>
      renderIni([{ name: 'a', entries: [{ key: 'k', value: '1' }, { key: 'k', value: '2' }] }]),
    ).toThrow(/duplicate key/);
    expect(() => renderIni([{ name: 'a', entries: [{ comment: 'x\n[barman]' }] }])).toThrow(IniError);
    expect(() => renderIni([], ['ok', 'not\nok'])).toThrow(IniError);
  });
});

describe('parseIni', () => {
  it('reads sections, keys, comments and continuation lines like configparser', () => {
    const doc = parseIni(
      [
        '; comment',
        '# another',
        '[one]',
        'Active = true',
        'conninfo : "host=one  port=5432"',
        'pct = 100%%',
        '  ; indented comment',
        'multi = a',
        '   b',
        '',
        '[two]',
        'x=1',
        '[one]',
        'active = false',
      ].join('\r\n'),
    );
    expect([...doc.keys()]).toEqual(['one', 'two']);
    expect(Object.fromEntries(doc.get('one') ?? [])).toEqual({
      active: 'false',
      conninfo: '"host=one  port=5432"',
      pct: '100%',
      multi: 'a\nb',
    });
    expect(doc.get('two')?.get('x')).toBe('1');
  });

  it('rejects options outside a section and lines without a delimiter', () => {
    expect(() => parseIni('a = 1\n')).toThrow(IniParseError);
    expect(() => parseIni('[s]\njunk\n')).toThrow(/line 2/);
    expect(() => parseIni('[s]\n= 1\n')).toThrow(IniParseError);
  });

  it('barmanValue and parseBarmanBoolean mirror Barman', () => {
    expect(barmanValue('"a b "')).toBe('a b ');
    expect(barmanValue("'get-wal'")).toBe('get-wal');
    expect(barmanValue('"a\'')).toBe('"a\'');
    expect(barmanValue('""x""')).toBe('"x"');
    expect(barmanValue('None')).toBeNull();
    expect(parseBarmanBoolean('True')).toBe(true);
    expect(parseBarmanBoolean('on')).toBe(true);
    expect(parseBarmanBoolean('OFF')).toBe(false);
    expect(parseBarmanBoolean('0')).toBe(false);
    expect(parseBarmanBoolean('maybe')).toBeNull();
  });
});

describe('renderIni ↔ configparser property test', () => {
  const ALPHABET = [...' !"#$%&\'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~', '%', '%%', '%(x)s', '"', "'", ';', '#', '[', ']', '=', ':', '\t', '\n', 'é', ' '];
  function randomValue(r: () => number): string {
    const n = int(r, 0, 16);
    let s = '';
    for (let i = 0; i < n; i++) s += pick(r, ALPHABET);
    return s;
  }

  it('2000 random documents read back identically (or are refused)', () => {
    const r = rng(0x1e1);
    const cases: Array<{ text: string; sections: IniSection[] }> = [];
    let refused = 0;
    while (cases.length < 2000) {
      const sections: IniSection[] = [];
      const nSections = int(r, 1, 3);
      for (let s = 0; s < nSections; s++) {
        const entries: IniSection['entries'] = [];
        const nKeys = int(r, 1, 4);
        for (let k = 0; k < nKeys; k++) {
          const v = randomValue(r);
          entries.push({ key: `k${k}`, value: r() < 0.5 ? barmanQuote(v) : v });
          if (r() < 0.2) entries.push({ comment: 'c ; # [x] = y' });
          if (r() < 0.2) entries.push({ blank: true });
        }
        sections.push({ name: `srv${s}.example-${int(r, 0, 9)}`, entries });
      }
      try {
        cases.push({ text: renderIni(sections, ['header']), sections });
      } catch (e) {
        expect(e).toBeInstanceOf(IniError);
        refused++;
      }
    }
    const read = pythonRead(cases.map((c) => c.text));
    cases.forEach((c, i) => {
      const got = read[i];
      expect(got, c.text).toBeDefined();
      expect(got?.['__error__'], c.text).toBeUndefined();
      const want: Record<string, Record<string, PyValue>> = {};
      for (const s of c.sections) {
        const d: Record<string, PyValue> = {};
        for (const e of s.entries) {
          if ('key' in e) d[e.key] = { raw: e.value, barman: barmanValue(e.value) };
        }
        want[s.name] = d;
      }
      expect(got, c.text).toEqual(want);
      // Our reader agrees with configparser too.
      const ours = parseIni(c.text);
      for (const [name, d] of Object.entries(want)) {
        for (const [k, v] of Object.entries(d)) expect(ours.get(name)?.get(k)).toBe(v.raw);
      }
    });
    // Sanity: the generator produces plenty of both kinds.
    expect(refused).toBeGreaterThan(100);
  });
});
