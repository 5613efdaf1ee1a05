// Strict validation and rendering of /etc/cron.d files (system crontab format: five time
// fields, a user, a command).
//
// The target is cron(8) as shipped by Debian (Vixie cron) and RHEL (cronie), not a JS
// scheduler: only the syntax both accept is allowed. In particular no `@daily`-style
// keywords, no `?`/`L`/`W`/`#`, no seconds field.

/** Raised when a cron file cannot be rendered safely. */
export class CronError extends Error {
  override name = 'CronError';
}

export interface CronEntry {
  /** Five-field schedule, e.g. `0 4 * * wed,sat`. */
  schedule: string;
  user: string;
  command: string;
  /** Optional `# …` line written just above the job. */
  comment?: string;
}

export interface CronEnv {
  name: string;
  value: string;
}

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Value of names[0]. */
  nameBase?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const FIELDS: readonly FieldSpec[] = [
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day of month', min: 1, max: 31 },
  { label: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { label: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function parseValue(token: string, f: FieldSpec): number | string {
  if (/^[0-9]{1,2}$/.test(token)) {
    const n = Number(token);
    if (n < f.min || n > f.max) return `${token} is out of range ${f.min}-${f.max}`;
    return n;
  }
  if (/^[A-Za-z]{3}$/.test(token) && f.names) {
    const i = f.names.indexOf(token.toLowerCase());
    if (i >= 0) return i + (f.nameBase ?? 0);
    return `unknown name "${token}"`;
  }
  if (/^[A-Za-z]+$/.test(token)) {
    return f.names ? `unknown name "${token}"` : `names are not allowed in the ${f.label} field`;
  }
  return `"${token}" is not a number`;
}

function checkItem(item: string, f: FieldSpec): string | null {
  const slash = item.split('/');
  if (slash.length > 2) return `"${item}" has more than one "/"`;
  const [rangePart = '', stepPart] = slash;
  if (rangePart !== '*') {
    const dash = rangePart.split('-');
    if (dash.length > 2) return `"${item}" has more than one "-"`;
    const [a = '', b] = dash;
    const lo = parseValue(a, f);
    if (typeof lo === 'string') return lo;
    if (b === undefined) {
      // Vixie cron has no "N/step" form (cronie reads it differently): refuse it.
      return stepPart === undefined ? null : `"${item}": a step needs "*" or a range before "/"`;
    }
    const hi = parseValue(b, f);
    if (typeof hi === 'string') return hi;
    if (lo > hi) return `range "${rangePart}" starts after it ends`;
  }
  if (stepPart !== undefined) {
    const span = f.max - f.min + 1;
    if (!/^[0-9]{1,2}$/.test(stepPart)) return `step "${stepPart}" is not a number`;
    const step = Number(stepPart);
    if (step < 1 || step > span) return `step ${stepPart} is out of range 1-${span}`;
  }
  return null;
}

/**
 * Check a five-field cron schedule. Returns null when it is valid, else the reason.
 * Fields are separated by spaces or tabs; each is a comma list of `*`, `N`, `A-B`,
 * `*`/`A-B` with an optional `/step`. Months and weekdays also take three-letter names
 * (any case), including in lists and ranges (`wed,sat`, `mon-fri`).
 */
export function validateCronSchedule(s: string): string | null {
  if (s.trim() === '') return 'the schedule is empty';
  if (s.startsWith('@')) return `"${s}": @keywords are not supported; write the five fields (e.g. "0 4 * * *")`;
  if (/[^ \tA-Za-z0-9*,/-]/.test(s)) {
    if (/[\r\n]/.test(s)) return 'the schedule contains a line break';
    const bad = /[^ \tA-Za-z0-9*,/-]/.exec(s)?.[0] ?? '';
    return `the schedule contains ${JSON.stringify(bad)}, which is not allowed`;
  }
  if (s !== s.trim()) return 'the schedule has leading or trailing whitespace';
  const fields = s.split(/[ \t]+/);
  if (fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i];
    const field = fields[i];
    if (f === undefined || field === undefined) continue;
    for (const item of field.split(',')) {
      if (item === '') return `field ${i + 1} (${f.label}) "${field}": empty list item`;
      const problem = checkItem(item, f);
      if (problem !== null) return `field ${i + 1} (${f.label}) "${field}": ${problem}`;
    }
  }
  return null;
}

/** The schedule with its fields joined by single spaces (assumes it is valid). */
export function normaliseCronSchedule(s: string): string {
  return s.trim().split(/[ \t]+/).join(' ');
}

const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkText(what: string, s: string): void {
  if (/[\r\n\0]/.test(s)) throw new CronError(`${what} ${JSON.stringify(s)} must be on one line without NUL`);
}

/** Why `command` cannot be a cron job command, or null. */
export function cronCommandProblem(command: string): string | null {
  if (command === '') return 'the command is empty';
  if (/[\r\n]/.test(command)) return 'the command contains a line break';
  if (command.includes('\0')) return 'the command contains NUL';
  // crontab(5): "%" becomes a newline and the rest of the line is fed to stdin.
  if (command.includes('%')) return 'the command contains "%", which cron turns into a newline';
  if (command !== command.trim()) return 'the command has leading or trailing whitespace';
  return null;
}

/**
 * Render an /etc/cron.d file: `# header` lines, optional `NAME=value` lines, a blank
 * line, then each job (preceded by its `# comment`). Every job line is validated and
 * parsed back before the text is returned. The file always ends with a newline (cron
 * ignores a last line without one).
 */
export function renderCronFile(
  header: readonly string[],
  entries: readonly CronEntry[],
  env: readonly CronEnv[] = [],
): string {
  const lines: string[] = [];
  for (const h of header) {
    checkText('header comment', h);
    lines.push(h === '' ? '#' : `# ${h}`);
  }
  for (const e of env) {
    if (!ENV_NAME_RE.test(e.name)) throw new CronError(`invalid cron environment name ${JSON.stringify(e.name)}`);
    if (!/^[A-Za-z0-9_@.,:/+-]*$/.test(e.value)) {
      throw new CronError(`cron environment value for ${e.name} must match [A-Za-z0-9_@.,:/+-]*`);
    }
    lines.push(`${e.name}=${e.value}`);
  }
  if (lines.length > 0 && entries.length > 0) lines.push('');
  for (const entry of entries) {
    const reason = validateCronSchedule(entry.schedule);
    if (reason !== null) throw new CronError(`invalid cron schedule ${JSON.stringify(entry.schedule)}: ${reason}`);
    if (!USER_RE.test(entry.user)) throw new CronError(`invalid cron user ${JSON.stringify(entry.user)}`);
    const problem = cronCommandProblem(entry.command);
    if (problem !== null) throw new CronError(`invalid cron command ${JSON.stringify(entry.command)}: ${problem}`);
    if (entry.comment !== undefined) {
      checkText('job comment', entry.comment);
      lines.push(entry.comment === '' ? '#' : `# ${entry.comment}`);
    }
    const schedule = normaliseCronSchedule(entry.schedule);
    const line = `${schedule} ${entry.user} ${entry.command}`;
    const back = parseCronLine(line);
    if (back.kind !== 'job' || back.schedule !== schedule || back.user !== entry.user || back.command !== entry.command) {
      throw new CronError(`cron line does not parse back as written: ${JSON.stringify(line)}`);
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

export type CronLine =
  | { kind: 'blank' }
  | { kind: 'comment'; text: string }
  | { kind: 'env'; name: string; value: string }
  | { kind: 'job'; schedule: string; user: string; command: string }
  | { kind: 'invalid'; reason: string };

/**
 * Parse one line of an /etc/cron.d file. `schedule` is the five time fields joined by
 * single spaces (or the `@keyword`); it is not validated here, use
 * validateCronSchedule(). `command` is the rest of the line with leading whitespace
 * removed, as cron passes it to the shell.
 */
export function parseCronLine(line: string): CronLine {
  if (/[\r\n\0]/.test(line)) return { kind: 'invalid', reason: 'contains a line break or NUL' };
  const trimmed = line.replace(/^[ \t]+/, '');
  if (trimmed.trim() === '') return { kind: 'blank' };
  if (trimmed.startsWith('#')) return { kind: 'comment', text: trimmed.slice(1).replace(/^ /, '') };
  const env = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(trimmed);
  if (env) return { kind: 'env', name: env[1] ?? '', value: (env[2] ?? '').trimEnd() };
  const m = trimmed.startsWith('@')
    ? /^(@[A-Za-z]+)[ \t]+([^ \t]+)[ \t]+(.*)$/.exec(trimmed)
    : /^([^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+)[ \t]+([^ \t]+)[ \t]+(.*)$/.exec(trimmed);
  if (!m) return { kind: 'invalid', reason: 'expected five time fields, a user and a command' };
  const command = (m[3] ?? '').trimEnd();
  if (command === '') return { kind: 'invalid', reason: 'the command is empty' };
  return { kind: 'job', schedule: (m[1] ?? '').split(/[ \t]+/).join(' '), user: m[2] ?? '', command };
}

/**
 * Whether `name` is usable as an /etc/cron.d file name: Debian's cron (run-parts rules)
 * silently ignores files whose names contain anything but letters, digits, `_` and `-`.
 */
export function isValidCronFileName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,255}$/.test(name);
}
