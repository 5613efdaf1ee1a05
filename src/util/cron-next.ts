// When does a five-field cron schedule fire next? Vixie cron semantics (Debian's cron):
// names and ranges as validateCronSchedule() accepts them, day-of-week 0 and 7 are both
// Sunday, and when both day-of-month and day-of-week are restricted (neither field starts
// with "*"), a day matches if either field matches.
//
// Times are wall-clock times of the host that runs cron. They are carried in a Date's UTC
// fields (so no time zone of the controller leaks in); callers convert with the host's
// UTC offset.
import { validateCronSchedule } from './cron.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  min: number;
  max: number;
  names?: string[];
  nameBase: number;
}

const FIELDS: readonly Field[] = [
  { min: 0, max: 59, nameBase: 0 },
  { min: 0, max: 23, nameBase: 0 },
  { min: 1, max: 31, nameBase: 0 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: DAYS, nameBase: 0 },
];

/** A parsed schedule: the allowed values of each field. */
export interface CronSet {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 folded into 0). */
  daysOfWeek: ReadonlySet<number>;
  /** The day-of-month field starts with "*". */
  domStar: boolean;
  /** The day-of-week field starts with "*". */
  dowStar: boolean;
}

function value(token: string, f: Field): number {
  if (/^[0-9]+$/.test(token)) return Number(token);
  const i = f.names?.indexOf(token.toLowerCase()) ?? -1;
  return i + f.nameBase;
}

function expand(field: string, f: Field): Set<number> {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const [range = '*', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = f.min;
    let hi = f.max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      lo = value(a, f);
      hi = b === undefined ? lo : value(b, f);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parse a schedule; throws with validateCronSchedule's reason when it is invalid. */
export function parseCronSchedule(schedule: string): CronSet {
  const problem = validateCronSchedule(schedule);
  if (problem !== null) throw new Error(`invalid cron schedule ${JSON.stringify(schedule)}: ${problem}`);
  const parts = schedule.trim().split(/[ \t]+/);
  const sets = parts.map((p, i) => expand(p, FIELDS[i] as Field));
  const dow = new Set([...(sets[4] ?? [])].map((d) => d % 7));
  return {
    minutes: sets[0] ?? new Set(),
    hours: sets[1] ?? new Set(),
    daysOfMonth: sets[2] ?? new Set(),
    months: sets[3] ?? new Set(),
    daysOfWeek: dow,
    domStar: (parts[2] ?? '').startsWith('*'),
    dowStar: (parts[4] ?? '').startsWith('*'),
  };
}

function dayMatches(c: CronSet, d: Date): boolean {
  if (!c.months.has(d.getUTCMonth() + 1)) return false;
  const dom = c.daysOfMonth.has(d.getUTCDate());
  const dow = c.daysOfWeek.has(d.getUTCDay());
  if (c.domStar || c.dowStar) return dom && dow;
  return dom || dow;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The rarest firing day, Feb 29, can be 8 years away (2096 → 2104); beyond that, never. */
const HORIZON_DAYS = 366 * 9;

/**
 * The first minute strictly after `after`'s minute at which `schedule` fires, as a
 * wall-clock time in UTC fields (seconds zero), or null if it never fires (e.g. `0 0 31 2 *`).
 */
export function nextCronRun(schedule: string | CronSet, after: Date): Date | null {
  const c = typeof schedule === 'string' ? parseCronSchedule(schedule) : schedule;
  const start = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const hours = [...c.hours].sort((a, b) => a - b);
  const minutes = [...c.minutes].sort((a, b) => a - b);
  const firstDay = Math.floor(start / DAY) * DAY;
  for (let n = 0; n <= HORIZON_DAYS; n++) {
    const day = new Date(firstDay + n * DAY);
    if (!dayMatches(c, day)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day.getTime() + h * 60 * MINUTE + m * MINUTE;
        if (t >= start) return new Date(t);
      }
    }
  }
  return null;
}
