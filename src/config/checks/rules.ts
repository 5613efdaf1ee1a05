// Value rules for variables a playbook reads: each takes a raw config value and returns it
// normalised, or a problem to report. Playbooks build their variable tables from these.
import { validateCronSchedule } from '../../util/cron.js';
import { showValue } from '../printable.js';
import { closest } from './levenshtein.js';
import { UNIX_NAME, absolutePathProblem, controlCharProblem } from './strings.js';

export type Checked = { ok: true; value: unknown } | { ok: false; problem: string; hint?: string };
export type Rule = (v: unknown) => Checked;

export const ok = (value: unknown): Checked => ({ ok: true, value });
export const bad = (problem: string, hint?: string): Checked => (hint ? { ok: false, problem, hint } : { ok: false, problem });

/**
 * Booleans: YAML true/false, or the strings "true"/"false" (any case) that TPA configs
 * sometimes quote. yes/no/on/off are refused: they are strings in YAML 1.2 but booleans in
 * TPA's YAML 1.1, so accepting either reading would silently differ from the other.
 */
export const bool: Rule = (v) => {
  if (typeof v === 'boolean') return ok(v);
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return ok(v.toLowerCase() === 'true');
  return bad(`must be true or false, not ${showValue(v)}`, 'write true or false (unquoted)');
};

/** Integers in a range; digit strings (as Jinja's `|int` reads them) are accepted too. */
export const int =
  (min: number, max: number): Rule =>
  (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,9}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n)) return bad(`must be an integer, not ${showValue(v)}`);
    if (n < min || n > max) return bad(`must be between ${min} and ${max}, not ${n}`);
    return ok(n);
  };

/** A string without control or invisible characters, then the given check. */
export const text =
  (check: (s: string) => Checked, hint?: string): Rule =>
  (v) => {
    if (typeof v !== 'string') return bad(`must be a string, not ${showValue(v)}`, hint);
    const ctl = controlCharProblem(v);
    if (ctl) return bad(`${ctl}; it would end up in configuration files, cron lines or shell commands`, hint);
    return check(v);
  };

export const matching = (re: RegExp, hint: string): Rule =>
  text((s) => (re.test(s) ? ok(s) : bad(`has an invalid value ${showValue(s)}`, hint)), hint);

export const oneOf = (values: readonly string[]): Rule =>
  text((s) => {
    if (values.includes(s)) return ok(s);
    const near = values.find((x) => x === s.toLowerCase()) ?? closest(s, values);
    return bad(`must be one of ${values.join(', ')}, not ${showValue(s)}`, near ? `did you mean ${near}?` : undefined);
  });

/** An absolute, normalised, plain path; `extra` adds a check of its own. */
export const absolutePath = (extra?: (s: string) => string | undefined): Rule =>
  text((s) => {
    const problem = absolutePathProblem(s) ?? extra?.(s);
    return problem ? bad(`${problem} (${showValue(s)})`) : ok(s);
  });

export const unixName = matching(UNIX_NAME, 'lower-case letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters');

/**
 * A five-field cron schedule, fields separated by single spaces: TPA splits the value on
 * ' ' into exactly five fields, so doubled spaces or tabs would shift them.
 */
export const cronSchedule = text((s) => {
  if (/\s\s|\t|^\s|\s$/.test(s)) return bad(`fields must be separated by single spaces (${showValue(s)})`, 'e.g. "0 4 * * wed,sat"');
  const problem = validateCronSchedule(s);
  return problem ? bad(`is not a valid cron schedule: ${problem}`, 'five fields: minute hour day-of-month month day-of-week, e.g. "0 4 * * wed,sat"') : ok(s);
});

/**
 * libpq `keyword=value` pairs. Values are deliberately plain (file paths, modes, numbers,
 * names), or single-quoted to hold spaces: nothing a shell, INI parser or cron would read.
 */
const DSN_PAIR = /\s*([a-z_]+)=('[A-Za-z0-9._:/@+,= -]*'|[A-Za-z0-9._:/@+,-]+)/y;

/** Connection parameters appended to a conninfo string; `reserved` keywords are refused. */
export const dsnAttributes = (reserved: ReadonlySet<string>): Rule =>
  text((s) => {
    const hint = 'space-separated libpq keyword=value pairs, e.g. "sslmode=verify-full"; values use letters, digits and . _ : / @ + , - (single-quote a value to include spaces)';
    const trimmed = s.trim();
    DSN_PAIR.lastIndex = 0;
    while (DSN_PAIR.lastIndex < trimmed.length) {
      const start = DSN_PAIR.lastIndex;
      const m = DSN_PAIR.exec(trimmed);
      const next = trimmed[DSN_PAIR.lastIndex];
      if (!m || (next !== undefined && next !== ' ')) {
        return bad(`has an invalid connection parameter at ${showValue(trimmed.slice(start).trimStart().split(' ')[0])}`, hint);
      }
      if (reserved.has(m[1] ?? '')) return bad(`must not set ${m[1]}: tpa-barman sets it`);
    }
    return ok(trimmed);
  });
