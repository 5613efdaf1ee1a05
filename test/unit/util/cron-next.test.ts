// nextCronRun(): Vixie cron semantics on wall-clock times carried in UTC fields.
import { describe, expect, it } from 'vitest';
import { nextCronRun, parseCronSchedule } from '../../../src/util/cron-next.js';

const at = (iso: string): Date => new Date(`${iso}Z`);
const next = (schedule: string, after: string): string | undefined => nextCronRun(schedule, at(after))?.toISOString().slice(0, 16);

describe('nextCronRun', () => {
  it("TPA's default schedule: 04:00 on Wednesdays and Saturdays", () => {
    // 2026-11-24 is a Tuesday.
    expect(next('0 4 * * wed,sat', '2026-11-24T06:52:10')).toBe('2026-11-25T04:00');
    expect(next('0 4 * * wed,sat', '2026-11-25T03:59:59')).toBe('2026-11-25T04:00');
    expect(next('0 4 * * wed,sat', '2026-11-25T04:00:00')).toBe('2026-11-28T04:00');
    expect(next('0 4 * * wed,sat', '2026-11-28T05:00:00')).toBe('2026-12-02T04:00');
  });

  it('is strictly after the current minute', () => {
    expect(next('* * * * *', '2026-01-01T00:00:00')).toBe('2026-01-01T00:01');
    expect(next('* * * * *', '2026-01-01T00:00:59')).toBe('2026-01-01T00:01');
    expect(next('30 1 * * *', '2026-01-01T01:30:30')).toBe('2026-01-02T01:30');
  });

  it('rolls over hours, days, months and years', () => {
    expect(next('15 3 * * sun', '2026-12-31T23:59:00')).toBe('2027-01-03T03:15');
    expect(next('0 0 1 1 *', '2026-06-01T00:00:00')).toBe('2027-01-01T00:00');
    expect(next('59 23 31 12 *', '2026-12-31T23:58:00')).toBe('2026-12-31T23:59');
  });

  it('steps, ranges, lists and names (any case)', () => {
    expect(next('*/15 * * * *', '2026-01-01T10:07:00')).toBe('2026-01-01T10:15');
    expect(next('*/15 * * * *', '2026-01-01T10:45:00')).toBe('2026-01-01T11:00');
    expect(next('0 8-18/5 * * *', '2026-01-01T13:00:00')).toBe('2026-01-01T18:00');
    expect(next('0 8-18/5 * * *', '2026-01-01T18:00:00')).toBe('2026-01-02T08:00');
    expect(next('0 0 * JAN-mar Mon-FRI', '2026-03-31T12:00:00')).toBe('2027-01-01T00:00');
    expect(next('5,10 0 * * *', '2026-01-01T00:05:00')).toBe('2026-01-01T00:10');
  });

  it('day-of-week 7 is Sunday, like 0', () => {
    expect(next('0 12 * * 7', '2026-11-24T00:00:00')).toBe('2026-11-29T12:00');
    expect(next('0 12 * * 0', '2026-11-24T00:00:00')).toBe('2026-11-29T12:00');
    expect([...parseCronSchedule('0 0 * * 5-7').daysOfWeek].sort()).toEqual([0, 5, 6]);
  });

  it('both day fields restricted: either matches (Vixie cron); one starred: both must', () => {
    // The 1st of the month OR a Friday.
    expect(next('0 0 1 * fri', '2026-11-24T00:00:00')).toBe('2026-11-27T00:00');
    expect(next('0 0 1 * fri', '2026-11-28T00:00:00')).toBe('2026-12-01T00:00');
    // "*/2" in day-of-month counts as starred: odd days that are Fridays (not the 25th, a Wednesday).
    expect(next('0 0 */2 * fri', '2026-11-24T00:00:00')).toBe('2026-11-27T00:00');
  });

  it('February 29th waits for a leap year; a date that never exists gives null', () => {
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00')).toBe('2028-02-29T00:00');
    expect(next('0 0 29 2 *', '2096-03-01T00:00:00')).toBe('2104-02-29T00:00');
    expect(nextCronRun('0 0 31 2 *', at('2026-01-01T00:00:00'))).toBeNull();
  });

  it('refuses what validateCronSchedule refuses', () => {
    expect(() => nextCronRun('@daily', at('2026-01-01T00:00:00'))).toThrow(/@keywords/);
    expect(() => nextCronRun('61 * * * *', at('2026-01-01T00:00:00'))).toThrow(/out of range/);
  });
});
