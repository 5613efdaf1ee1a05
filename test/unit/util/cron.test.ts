import { describe, expect, it } from 'vitest';
import {
  CronError,
  cronCommandProblem,
  normaliseCronSchedule,
  parseCronLine,
  renderCronFile,
  validateCronSchedule,
} from '../../../src/util/cron.js';
import { int, pick, rng } from './random.js';

describe('validateCronSchedule', () => {
  it.each([
    '0 4 * * wed,sat',
    '* * * * *',
    '*/15 * * * *',
    '0 0-23/2 * * *',
    '30 1 1,15 * *',
    '0 4 * jan-mar,oct mon-fri',
    '0 4 * * 0',
    '0 4 * * 7',
    '0 4 * * SUN',
    '59 23 31 12 6',
    '0\t4 *  * Wed',
    '00 04 01 01 00',
    '0-59/59 * * * *',
  ])('accepts %j', (s) => {
    expect(validateCronSchedule(s)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['@daily', /@keywords/],
    ['@reboot', /@keywords/],
    ['0 4 * *', /expected 5 fields/],
    ['0 4 * * * *', /expected 5 fields/],
    ['60 * * * *', /minute.*out of range 0-59/],
    ['* 24 * * *', /hour.*out of range/],
    ['* * 0 * *', /day of month.*out of range 1-31/],
    ['* * 32 * *', /out of range/],
    ['* * * 13 *', /month.*out of range 1-12/],
    ['* * * * 8', /day of week.*out of range 0-7/],
    ['* * * * xyz', /unknown name "xyz"/],
    ['* * * foo *', /unknown name/],
    ['wed * * * *', /names are not allowed in the minute field/],
    ['5-1 * * * *', /starts after it ends/],
    ['*/0 * * * *', /step 0 is out of range/],
    ['*/61 * * * *', /out of range/],
    ['5/10 * * * *', /a step needs/],
    ['1,,2 * * * *', /empty list item/],
    ['1-2-3 * * * *', /more than one "-"/],
    ['*/2/3 * * * *', /more than one "\/"/],
    ['? * * * *', /not allowed/],
    ['0 4 L * *', /names are not allowed|unknown name/],
    ['0 4 * * 5#2', /not allowed/],
    ['0 4 * * 1%', /not allowed/],
    ['0 4 * * *\n* * * * * root rm -rf /', /line break/],
    [' 0 4 * * *', /leading or trailing/],
    ['0 4 * * * ', /leading or trailing/],
    ['1.5 * * * *', /not allowed/],
    ['-1 * * * *', /not a number/],
    ['100 * * * *', /not a number/],
  ])('rejects %j', (s, reason) => {
    expect(validateCronSchedule(s)).toMatch(reason);
  });

  it('normalises whitespace', () => {
    expect(normaliseCronSchedule('0\t4  * * wed,sat')).toBe('0 4 * * wed,sat');
  });
});

describe('renderCronFile / parseCronLine', () => {
  it('renders header, env, comment and job lines and ends with a newline', () => {
    const text = renderCronFile(
      ['Managed by tpa-barman', ''],
      [{ schedule: '0  4 * * wed,sat', user: 'barman', command: '/usr/bin/barman backup one', comment: 'Backup from server one' }],
      [{ name: 'MAILTO', value: 'root' }],
    );
    expect(text).toBe(
      '# Managed by tpa-barman\n#\nMAILTO=root\n\n# Backup from server one\n0 4 * * wed,sat barman /usr/bin/barman backup one\n',
    );
  });

  it('refuses %, newlines, bad users, bad schedules and bad env', () => {
    const ok = { schedule: '* * * * *', user: 'barman', command: 'true' };
    expect(() => renderCronFile([], [{ ...ok, command: 'date +%s' }])).toThrow(/"%"/);
    expect(() => renderCronFile([], [{ ...ok, command: 'a\nb' }])).toThrow(CronError);
    expect(() => renderCronFile([], [{ ...ok, command: '' }])).toThrow(CronError);
    expect(() => renderCronFile([], [{ ...ok, command: ' true' }])).toThrow(CronError);
    expect(() => renderCronFile([], [{ ...ok, user: 'root barman' }])).toThrow(/user/);
    expect(() => renderCronFile([], [{ ...ok, user: '' }])).toThrow(/user/);
    expect(() => renderCronFile([], [{ ...ok, schedule: '@daily' }])).toThrow(/schedule/);
    expect(() => renderCronFile(['a\nb'], [ok])).toThrow(CronError);
    expect(() => renderCronFile([], [{ ...ok, comment: 'x\n* * * * * root id' }])).toThrow(CronError);
    expect(() => renderCronFile([], [ok], [{ name: 'PATH', value: 'a b' }])).toThrow(CronError);
    expect(() => renderCronFile([], [ok], [{ name: '1X', value: 'a' }])).toThrow(CronError);
    expect(cronCommandProblem('x\0')).toMatch(/NUL/);
  });

  it('parses each kind of line', () => {
    expect(parseCronLine('')).toEqual({ kind: 'blank' });
    expect(parseCronLine('   ')).toEqual({ kind: 'blank' });
    expect(parseCronLine('# hello')).toEqual({ kind: 'comment', text: 'hello' });
    expect(parseCronLine('#Ansible: Backup from server one')).toEqual({ kind: 'comment', text: 'Ansible: Backup from server one' });
    expect(parseCronLine('MAILTO=root')).toEqual({ kind: 'env', name: 'MAILTO', value: 'root' });
    expect(parseCronLine('PATH = /usr/bin:/bin')).toEqual({ kind: 'env', name: 'PATH', value: '/usr/bin:/bin' });
    expect(parseCronLine('0 4 * * wed,sat barman /etc/tpa/barman-home-ok && /usr/bin/barman backup one')).toEqual({
      kind: 'job',
      schedule: '0 4 * * wed,sat',
      user: 'barman',
      command: '/etc/tpa/barman-home-ok && /usr/bin/barman backup one',
    });
    expect(parseCronLine('*  *\t* * *   barman   [ -x /usr/bin/barman ] && /usr/bin/barman -q cron')).toEqual({
      kind: 'job',
      schedule: '* * * * *',
      user: 'barman',
      command: '[ -x /usr/bin/barman ] && /usr/bin/barman -q cron',
    });
    expect(parseCronLine('@daily root run-parts x')).toEqual({ kind: 'job', schedule: '@daily', user: 'root', command: 'run-parts x' });
    expect(parseCronLine('0 4 * * *').kind).toBe('invalid');
    expect(parseCronLine('0 4 * * * barman').kind).toBe('invalid');
    expect(parseCronLine('a\nb').kind).toBe('invalid');
  });

  it('property: 5000 random valid schedules validate, render to one 7+-field line and parse back', () => {
    const r = rng(0xc0);
    const fieldGen = [
      { min: 0, max: 59, names: [] as string[] },
      { min: 0, max: 23, names: [] },
      { min: 1, max: 31, names: [] },
      { min: 1, max: 12, names: ['jan', 'Feb', 'MAR', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
      { min: 0, max: 7, names: ['sun', 'mon', 'Tue', 'wed', 'thu', 'fri', 'SAT'] },
    ];
    for (let n = 0; n < 5000; n++) {
      const fields = fieldGen.map((f) => {
        const items: string[] = [];
        const count = int(r, 1, 3);
        for (let i = 0; i < count; i++) {
          const k = r();
          const num = (): string => (f.names.length > 0 && r() < 0.4 ? pick(r, f.names) : String(int(r, f.min, f.max)));
          if (k < 0.2) items.push('*');
          else if (k < 0.3) items.push(`*/${int(r, 1, f.max - f.min + 1)}`);
          else if (k < 0.6) items.push(String(int(r, f.min, f.max)));
          else if (k < 0.8) {
            const a = int(r, f.min, f.max);
            const b = int(r, a, f.max);
            items.push(`${a}-${b}${r() < 0.5 ? `/${int(r, 1, f.max - f.min + 1)}` : ''}`);
          } else items.push(num());
        }
        return items.join(',');
      });
      const schedule = fields.join(r() < 0.9 ? ' ' : '\t');
      expect(validateCronSchedule(schedule), schedule).toBeNull();
      const text = renderCronFile([], [{ schedule, user: 'barman', command: '/usr/bin/barman backup one' }]);
      const lines = text.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(lines[0]?.split(' ').length).toBe(9);
      expect(parseCronLine(lines[0] ?? '')).toEqual({
        kind: 'job',
        schedule: normaliseCronSchedule(schedule),
        user: 'barman',
        command: '/usr/bin/barman backup one',
      });
    }
  });
});
