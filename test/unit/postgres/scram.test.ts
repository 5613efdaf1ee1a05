import { createHash, createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  PASSWORD_ALPHABET,
  SASLPREP_TABLES,
  ScramError,
  generatePassword,
  parseScramVerifier,
  saslprep,
  scramKeys,
  scramSha256Verifier,
  scramVerifierMatches,
} from '../../../src/postgres/scram.js';

// Verifiers stored by PostgreSQL 15.18 itself (CREATE ROLE … PASSWORD '<plaintext>' with
// password_encryption = scram-sha-256, then SELECT rolpassword). They cover PostgreSQL's
// SASLprep quirks: ASCII passed through unchanged (even control characters), mapping,
// NFKC, and the fall back to raw bytes when SASLprep fails (emoji, bidi, unassigned).
const PG15_VECTORS: Array<[string, string]> = [
  ['postgres', 'SCRAM-SHA-256$4096:nO2a9P+V5DNgjfxGwj8g+Q==$K7HrHNP2p8MQ3Jan8KxdpvqPxjbA3QrpKSMEIh0YruU=:BNHc1lep6S+QWP0KGzJRMazjF6F7+3Kf3UOKbtm/Cyk='],
  ['pencil', 'SCRAM-SHA-256$4096:VZ1N5DxFzavdcrDFRsFDBg==$fGWQGAs8Fam8OkZ0E2OFUJePlMIPDxQUp1ommjkIznA=:M/8GATZ6uWra6OLvjRPUf8C81sEO3ggF5XDIVZmtWnY='],
  ['a\x01b\x7f', 'SCRAM-SHA-256$4096:ajK7TyZOT5IqTB+BNoQD2A==$a/vcc6MrdgO5aoax6idchXqdN6sILLsK7fH2wv63oZg=:ATZYFRq80A70YuiiS6RqqJan+EYiqbQeCzIZ2KRk74I='],
  ['Tr0ub4dor&3!@#%^&*()_+', 'SCRAM-SHA-256$4096:cPL8SUM6qRg+K1NS/5JU8A==$tcJ4vaAyXCXa96XPgdoGOErNK2+9JoyBcwv6lhSAVoA=:1Fhorjs0VCwrarPzXQENwq3NODfFcTIAg1e9arSN+lk='],
  ['it\'s:a\\pass', 'SCRAM-SHA-256$4096:L8SNdNQeGjZBLHZNqG5qqg==$3cf0QNmg3WjdBYKN5c0vp8BO6NlquCI+s7Q7k+jWIfM=:jcIA7u7eDy+TBfYjJluAUfh/6We1mn77rjnvLWZMzCM='],
  ['caf\u00e9', 'SCRAM-SHA-256$4096:PBjWkRGlF6cDZbt8yM7HBg==$SxrM13qGzNy7wQXk0DXj71bOjkLitJuqJKMD5znmfK8=:eeJry1/8q7P0KSF0udH3P959Qj0s3deamJAh37hEM88='],
  ['I\u00adX', 'SCRAM-SHA-256$4096:KmOkht4E64dddBq32OjxSA==$GC/L+zkwfXGbhj4ujHUua2R8r2YoTRptL03//tLu2HY=:J7DBAHk+y81ycUcQPipHOUsoMqgSsOYDyI5NoND5WyQ='],
  ['\u2168', 'SCRAM-SHA-256$4096:yRTlsCYcyc1I62O9daQp4w==$tC9ay1dK8bEoRllr3pKsdnwRlJxIT1stEzq6QyW0W2w=:aczOX9vnF0UkUqFZ+WKyzeEUZ4sqyM0Jghb2NiniSTk='],
  ['\ufb01ne', 'SCRAM-SHA-256$4096:gv3xqaMESa+dKFDdqEsH/A==$0eEb5eeVAZ+km1Mq48g2BVC9yCE2Hz7cCt24Dh1dnys=:bJ62UOFl5b8XDdRoDWKJJgfktY+aY6yrxLje34XjKg8='],
  ['\u{1f642}pw', 'SCRAM-SHA-256$4096:tWXrOoREb1WgI6EXcGzsJA==$yFZ9gpJJT9aui5cJiwSSNUwRY+7erl/PzR+h6Y5Jcn0=:JnaPe+KFeRYGpHfiQvELY89qsfynuJ46fFgwx6w6+/U='],
  ['\u0645\u0631\u062d\u0628\u0627', 'SCRAM-SHA-256$4096:U44mOkbfa46aAlXFaAp2wg==$alWZYf3JmIc8W2n8BMTQGKYeziEbvLmxteroJzbirQE=:C4Wkxiw888o82vyY5FQ8CJS0Tzm9AXD1wxaHwoPuE1s='],
  ['a\u0645\u0631\u062d\u0628\u0627', 'SCRAM-SHA-256$4096:cZybNwcGOyLHGiCIsCUBSA==$LsdmKYZKQLfodp0sdlhwjxUMZcTMfxVrpo2UwHYwDDs=:6VkaMmzxTqHr5wW/9ChTWKSCjgkLON03VcE+AomArow='],
  ['\u00a0lead', 'SCRAM-SHA-256$4096:z11zZYoexdss0VTvOn5FsQ==$VSr2WBK+OUg1bhR6RXnjrtKb5dOney9zaLkQaJp/Csw=:3NRIO6mOCQcs7w+Lc8NesJU4lk43ZqboKBS0iQQFjUM='],
  ['\u200b', 'SCRAM-SHA-256$4096:8j4rp/wAdMMiC+PdHzQheg==$VAInPUXBP/XJJzK7yr+EDMrcpH9QFL5ZrhX0ztAOwz4=:m7Ju9Qk65aTQW3SYngQj+UWJUxjNuoEmQDFwVGVA7xI='],
  ['\u00ad', 'SCRAM-SHA-256$4096:qwM+l+WJv0qouVh38uiOig==$ztv1IftOIKaX7RPmIRQp7kqPYpxitDhmkyhgOsQSriU=:Ef2UA7vceglRQSawy+7NWwEZg8Fh9NEZ6kVIb5z6oUQ='],
  ['e\u0301', 'SCRAM-SHA-256$4096:HaUYt4CbecLIB3/vuaspig==$Dnvz4XoS6LUL5KgHAHyFTQFDB2TX8ATeHiAGmf+y3gg=:gdPDzdWIhHblSHn/2BN48/GChV/iadFMlZtUGJv64sI='],
  ['\ud55c\uad6d\uc5b4', 'SCRAM-SHA-256$4096:7R8c371IgxOcGCKMskMhdQ==$SCa0Gs6Z7MpMWKXz3/7s3/wtyth0uNE4+5crJXTw9tM=:9Sp9eiCzdpASM67dZXq6WBYqD9AaKyVxew3fA3aFHyU='],
  ['\u4e2d\u6587\u5bc6\u7801', 'SCRAM-SHA-256$4096:YHsiCmv0gdly/YbXVLyxUQ==$BLvDck/IvT6J/hqiwi1SR/v1EADvRzvYAiowF1mrhvs=:cPzGKrBlsk3KatkWaVYcunsS8BYGviVY+dlzCvuKOoA='],
  ['\uff21\uff22\uff23', 'SCRAM-SHA-256$4096:9UuuzAz6YZdx+ne3ZPL/ew==$grdKsHQAcSICejISe7qCiJJlgc52ZiaZArEBy+5gvRA=:Y5JkPZowmt39xC0Y2KXY3CvomaoMwA6rw3usrbrneH4='],
  ['x\u0221', 'SCRAM-SHA-256$4096:8TnncSScEWwrxg/OYPRpJw==$VZ4irilXQiRkOL5ow5153SbxUEf+olksRAVKfmrp8pA=:F/sZYE5GnBZnv8SvFq6R9qeXy4UUYB1vFZEoqymTH9s='],
  ['x\ue000', 'SCRAM-SHA-256$4096:VqaMoHojOKNsUIioZLsziw==$vN5j2OKKFahrg/RA9wT4rjzRAoAeQ7rg7Q3Ca1bbwhE=:ouItyZZWLX8NdAmQrBq3BM61BaL6nnUQiELYV7dIDBQ='],
  ['\u05d0\u05d1', 'SCRAM-SHA-256$4096:GM4YP5Db9GqsAH9N06gi6g==$6Qc4003nPgNg6awFCsciZfyvp5uHE1eJjnBEHvEnhCU=:3hB0rZLYYL0wV/0P7i57Q51wKLIFvumf1DWz04Iw7A4='],
  ['\u05d0a\u05d1', 'SCRAM-SHA-256$4096:xKUY9KHN/T7WD4znbr5ydA==$cYYg+o/6PKjuHZ65QPTLtKWF8S5SuEUOC9MsRS4nmLU=:mSFvNgFM+3IzhCMQDhi71DqRhp9/kwW8ujOFMpdSy30='],
  ['\u00df', 'SCRAM-SHA-256$4096:9Hnbn1kvk51mSfwfTwNB0w==$RzCZlhh1a1EFQxR+M4p4uWPwPgo0CGu9syynw8XXdJc=:kcErSNfGUm7I3mz6g9x4GyJP9WJJRFnbvNQrFDqqSXw='],
  ['\u03a9\u2126', 'SCRAM-SHA-256$4096:RBC1nsW7Sw2/6B+rGERf8Q==$qDYxu9UlSe1fuAlsTCW6J3jZ0Iw3r3IDT/tkK1zKPKg=:t/yuxPDiGlpHNGWSU7+vPcL/ey2tJKiE5P0oR5qZFgI='],
  ['\u1680x', 'SCRAM-SHA-256$4096:hvmdb/sHCa8PxkH4xY65dg==$0S4pheHo0Sw214afWK3NTVv1w3ltoW7d3nE4bScLCEU=:PZ2m/O56rXdMdIaYrg4/CS2XFA3I4fpISqrea2tNqro='],
  ['x\ufeff', 'SCRAM-SHA-256$4096:M7iJ/n6cSwzpOt/YxVku2Q==$UzahRw17QjkA9nMasRkAd5ptTTsbOdjwhOeAGnSoepk=:1pzH6PU48J3fMgBNnU+CcutSedeY04wv2y4WCJ65sF0='],
  ['x\u3000y', 'SCRAM-SHA-256$4096:DAsgtizdR8D8zTd4TNZm3A==$tG8tcKeuJljryWcvP5zdc6s3QQJSI0txQiKiV9GxHAA=:utX4nH75neXNi0fwO7WtW8t9QzQI46yOhucanAG/FWo='],
  ['x\u2028y', 'SCRAM-SHA-256$4096:F42f3OxT9OmNqrt+qDHpdQ==$ZdkNW52JHi50S/oAsVgHim4cj2JiQSX0QtAAVKXRFbI=:Qyc8+ANL5PPcWEQeZMJ4ACsODQwxo9BueVEJj2r+alo='],
  ['\u06271\u0628', 'SCRAM-SHA-256$4096:OqjxD3FjpKTharRSNMDgmA==$djdZfPQuq7CAhP7YxDmHSNIlyoTRwzOA/132AR2YWyI=:3gqzoXWHYu65lC8sunxwbVLHIZ1Z6Di5PBMca6UQYpI='],
  ['1\u0627', 'SCRAM-SHA-256$4096:zGo/DIuTiPdhDbr8P90lGA==$ud/0xlr0CUJPnn5gMY8eR66SQF/werEvffIi+WJOT28=:FAmghdfDoeARLuWInyl9raxSs7m3KYPx19WzN7msm+4='],
];

// A second, deliberately naive implementation straight from RFC 5802 §2.2/§3 (ASCII
// passwords only, where SASLprep is the identity): Hi() as an explicit HMAC loop.
function hmac(key: Buffer, data: Buffer | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
function hi(password: Buffer, salt: Buffer, i: number): Buffer {
  let u = hmac(password, Buffer.concat([salt, Buffer.from([0, 0, 0, 1])]));
  const out = Buffer.from(u);
  for (let n = 1; n < i; n++) {
    u = hmac(password, u);
    for (let k = 0; k < out.length; k++) out[k] = (out[k] ?? 0) ^ (u[k] ?? 0);
  }
  return out;
}
function naiveVerifier(password: string, salt: Buffer, iterations: number): string {
  const salted = hi(Buffer.from(password, 'utf8'), salt, iterations);
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

describe('scramSha256Verifier', () => {
  it.each(PG15_VECTORS)('matches PostgreSQL 15 for %j', (password, stored) => {
    const v = parseScramVerifier(stored);
    expect(v).not.toBeNull();
    if (v === null) return;
    expect(scramSha256Verifier(password, { salt: v.salt, iterations: v.iterations })).toBe(stored);
    expect(scramVerifierMatches(stored, password)).toBe(true);
  });

  it('matches the known vector for "postgres" (computed with Python hashlib) and a naive RFC 5802 implementation', () => {
    const salt = Buffer.from('V3x1jV3tP3NLsbNlv6DvqQ==', 'base64');
    const expected =
      'SCRAM-SHA-256$4096:V3x1jV3tP3NLsbNlv6DvqQ==$7AUz62d40M3CGdjvBfvizCG0fbWsSp2G1CTU6+xIfi4=:GTiLhHMzhQg4JwBQoAuLD7OcDjQdra4s1xgf3zF5Jt4=';
    expect(scramSha256Verifier('postgres', { salt })).toBe(expected);
    expect(naiveVerifier('postgres', salt, 4096)).toBe(expected);
  });

  it('agrees with the naive implementation on random ASCII passwords, salts and iteration counts', () => {
    for (let n = 0; n < 20; n++) {
      const password = generatePassword(16 + n);
      const salt = Buffer.from(Array.from({ length: 1 + n }, (_, i) => (i * 37 + n) & 0xff));
      const iterations = 1 + n * 50;
      expect(scramSha256Verifier(password, { salt, iterations })).toBe(naiveVerifier(password, salt, iterations));
    }
  });

  it('reproduces the RFC 7677 §3 exchange (user "user", password "pencil")', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const { clientKey, storedKey, serverKey } = scramKeys('pencil', salt, 4096);
    const verifier = parseScramVerifier(scramSha256Verifier('pencil', { salt }));
    expect(verifier?.storedKey.equals(storedKey)).toBe(true);
    expect(verifier?.serverKey.equals(serverKey)).toBe(true);
    const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const clientFinalNoProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = `${clientFirstBare},${serverFirst},${clientFinalNoProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const clientProof = Buffer.from(clientKey.map((b, i) => b ^ (clientSignature[i] ?? 0)));
    expect(clientProof.toString('base64')).toBe('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(hmac(serverKey, authMessage).toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('uses 4096 iterations and a fresh 16-byte salt by default', () => {
    const a = parseScramVerifier(scramSha256Verifier('x'.repeat(32)));
    const b = parseScramVerifier(scramSha256Verifier('x'.repeat(32)));
    expect(a?.iterations).toBe(4096);
    expect(a?.salt.length).toBe(16);
    expect(a?.salt.equals(b?.salt ?? Buffer.alloc(0))).toBe(false);
  });

  it('refuses empty passwords, NUL, lone surrogates and bad parameters', () => {
    expect(() => scramSha256Verifier('')).toThrow(ScramError);
    expect(() => scramSha256Verifier('a\0b')).toThrow(ScramError);
    expect(() => scramSha256Verifier('a\ud800')).toThrow(ScramError);
    expect(() => scramSha256Verifier('pw', { salt: Buffer.alloc(0) })).toThrow(ScramError);
    expect(() => scramSha256Verifier('pw', { iterations: 0 })).toThrow(ScramError);
    expect(() => scramSha256Verifier('pw', { iterations: 1.5 })).toThrow(ScramError);
  });
});

describe('parseScramVerifier / scramVerifierMatches', () => {
  const stored = PG15_VECTORS[0]?.[1] ?? '';

  it('parses a verifier into its parts', () => {
    const v = parseScramVerifier(stored);
    expect(v?.iterations).toBe(4096);
    expect(v?.salt.toString('base64')).toBe('nO2a9P+V5DNgjfxGwj8g+Q==');
    expect(v?.storedKey.length).toBe(32);
    expect(v?.serverKey.length).toBe(32);
  });

  it.each([
    ['md5', 'md53175bce1d3201d16594cebf9d7eb3f9d'],
    ['plaintext', 'postgres'],
    ['empty', ''],
    ['other mechanism', stored.replace('SCRAM-SHA-256', 'SCRAM-SHA-1')],
    ['zero iterations', stored.replace('$4096:', '$0:')],
    ['short key', stored.replace(/:[^:]+$/, ':AAAA')],
    ['non-canonical base64', stored.replace('==$', '=$')],
    ['trailing junk', `${stored} `],
    ['newline', `${stored}\n`],
  ])('rejects %s', (_label, text) => {
    expect(parseScramVerifier(text)).toBeNull();
    expect(scramVerifierMatches(text, 'postgres')).toBe(false);
  });

  it('keeps an existing verifier: recomputing with its salt and iterations is byte-identical', () => {
    const v = scramSha256Verifier('s3cret:\\pw', { iterations: 10_000 });
    expect(scramVerifierMatches(v, 's3cret:\\pw')).toBe(true);
    expect(scramVerifierMatches(v, 's3cret:\\pW')).toBe(false);
    const p = parseScramVerifier(v);
    expect(p).not.toBeNull();
    if (p) expect(scramSha256Verifier('s3cret:\\pw', { salt: p.salt, iterations: p.iterations })).toBe(v);
  });
});

describe('saslprep', () => {
  it('follows PostgreSQL: ASCII unchanged, mapping + NFKC otherwise, null when prohibited', () => {
    expect(saslprep('a\tb\x01')).toBe('a\tb\x01');
    expect(saslprep('I\u00adX')).toBe('IX');
    expect(saslprep('\u2168')).toBe('IX');
    expect(saslprep('\u00a0x')).toBe(' x');
    expect(saslprep('\u00ad')).toBeNull();
    expect(saslprep('x\u2028y')).toBeNull();
    expect(saslprep('\u{1f642}')).toBeNull();
    expect(saslprep('a\u05d0')).toBeNull();
    expect(saslprep('\u05d0\u05d1')).toBe('\u05d0\u05d1');
  });

  it('tables equal RFC 3454 as implemented by Python stringprep', () => {
    const py = String.raw`
import stringprep, json, sys
def ranges(pred):
    out=[]; start=None
    for cp in range(0x110000):
        ok = pred(chr(cp))
        if ok and start is None: start=cp
        if not ok and start is not None: out += [start, cp-1]; start=None
    if start is not None: out += [start, 0x10FFFF]
    return out
s = stringprep
json.dump({
 'nonAsciiSpace': ranges(s.in_table_c12),
 'mappedToNothing': ranges(s.in_table_b1),
 'prohibited': ranges(lambda c: s.in_table_c12(c) or s.in_table_c21_c22(c) or s.in_table_c3(c) or s.in_table_c4(c) or s.in_table_c5(c) or s.in_table_c6(c) or s.in_table_c7(c) or s.in_table_c8(c) or s.in_table_c9(c)),
 'unassigned': ranges(s.in_table_a1),
 'randAL': ranges(s.in_table_d1),
 'lcat': ranges(s.in_table_d2),
}, sys.stdout)`;
    const res = spawnSync('python3', ['-c', py], { maxBuffer: 16 * 1024 * 1024 });
    expect(res.status).toBe(0);
    const want = JSON.parse(res.stdout.toString()) as Record<string, number[]>;
    for (const [name, table] of Object.entries(SASLPREP_TABLES)) expect([...table], name).toEqual(want[name]);
  });
});

describe('generatePassword', () => {
  it('draws 32 characters from TPA\'s alphabet; 10 000 draws are unique and uniform', () => {
    const N = 10_000;
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(32);
      seen.add(p);
      for (const c of p) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(N);
    expect(PASSWORD_ALPHABET).toHaveLength(73);
    expect([...counts.keys()].sort()).toEqual([...PASSWORD_ALPHABET].sort());
    const expected = (N * 32) / PASSWORD_ALPHABET.length;
    let chi2 = 0;
    for (const c of PASSWORD_ALPHABET) chi2 += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
    // 72 degrees of freedom: 144 is the p = 1e-6 critical value (Wilson–Hilferty).
    expect(chi2).toBeLessThan(144);
    expect(PASSWORD_ALPHABET).not.toMatch(/[:\\'"$`\s]/);
  });

  it('refuses silly lengths', () => {
    expect(() => generatePassword(8)).toThrow(ScramError);
    expect(generatePassword(64)).toHaveLength(64);
  });
});
