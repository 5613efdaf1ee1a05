// Small seeded PRNG helpers for property tests (no fast-check dependency).

/** mulberry32: a tiny, fast, seedable 32-bit generator. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error('pick from empty list');
  return x;
}

const SHELL_META = [..."'\"`$\\!*?[]{}()<>|&;#~=%^ \t\n\r"];
const UNICODE_SAMPLES = ['é', 'ß', 'Ω', 'ж', 'а', '中', '文', '🙂', '👍🏽', '\u202e', '\u200b', '\u00a0', '\ufeff', '\u0301', '𝔘'];

/** One random code point that is not a surrogate and not NUL. */
function randomCodePoint(r: () => number): string {
  const which = r();
  if (which < 0.5) return String.fromCodePoint(int(r, 0xa0, 0xd7ff));
  if (which < 0.8) return String.fromCodePoint(int(r, 0xe000, 0xfffd));
  return String.fromCodePoint(int(r, 0x10000, 0x10ffff));
}

/**
 * A random string biased towards characters that break naive quoting: quotes, `$`,
 * backticks, backslashes, newlines, control characters and unicode. Never contains NUL
 * or lone surrogates.
 */
export function hostileString(r: () => number, maxLen = 24): string {
  const n = int(r, 0, maxLen);
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.35) s += pick(r, SHELL_META);
    else if (k < 0.6) s += String.fromCharCode(int(r, 0x20, 0x7e));
    else if (k < 0.7) s += String.fromCharCode(int(r, 1, 0x1f));
    else if (k < 0.85) s += pick(r, UNICODE_SAMPLES);
    else s += randomCodePoint(r);
  }
  return s;
}
