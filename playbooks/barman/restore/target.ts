// Recovery targets from the command line, checked before anything is contacted.
import type { RecoveryTarget } from './params.js';

export interface TargetFlags {
  targetTime?: string;
  targetLsn?: string;
  targetName?: string;
}

/** A problem with the flags, for a usage error. */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

// 2026-12-03 13:10:00[.123456]+00[:00] or 2026-12-03T13:10:00Z: an offset is required, so
// the target means the same instant to the controller, Barman and PostgreSQL.
const TIME_RE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z|[+-]\d{2}(?::?\d{2})?)$/;
const LSN_RE = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;
// A restore point name as pg_create_restore_point() takes it: printable, < 64 bytes.
const NAME_RE = /^[\x20-\x7e]{1,63}$/;

export function parseTarget(flags: TargetFlags): RecoveryTarget | null {
  const given = [flags.targetTime !== undefined, flags.targetLsn !== undefined, flags.targetName !== undefined].filter(Boolean).length;
  if (given > 1) throw new TargetError('give at most one of --target-time, --target-lsn and --target-name');
  if (flags.targetTime !== undefined) {
    const m = TIME_RE.exec(flags.targetTime.trim());
    if (!m) {
      throw new TargetError(`--target-time ${JSON.stringify(flags.targetTime)} is not a timestamp with a UTC offset`, 'for example --target-time "2026-12-03 13:10:00+00" (or ...T13:10:00Z)');
    }
    const offset = m[3] === 'Z' ? '+00:00' : (m[3] ?? '').replace(/^([+-]\d{2})(\d{2})$/, '$1:$2').replace(/^([+-]\d{2})$/, '$1:00');
    const epochMs = Date.parse(`${m[1]}T${m[2]}${offset}`);
    if (!Number.isFinite(epochMs)) throw new TargetError(`--target-time ${JSON.stringify(flags.targetTime)} is not a valid time`);
    // Barman and PostgreSQL both read "YYYY-MM-DD HH:MM:SS+HH:MM".
    return { kind: 'time', value: `${m[1]} ${m[2]}${offset}`, epoch: epochMs / 1000 };
  }
  if (flags.targetLsn !== undefined) {
    if (!LSN_RE.test(flags.targetLsn)) throw new TargetError(`--target-lsn ${JSON.stringify(flags.targetLsn)} is not an LSN`, 'for example --target-lsn 0/3000060');
    return { kind: 'lsn', value: flags.targetLsn.toUpperCase() };
  }
  if (flags.targetName !== undefined) {
    if (!NAME_RE.test(flags.targetName)) throw new TargetError(`--target-name must be a restore point name of 1 to 63 printable ASCII characters`);
    return { kind: 'name', value: flags.targetName };
  }
  return null;
}

export function describeTarget(t: RecoveryTarget | null): string {
  if (!t) return 'the end of the WAL in Barman (latest)';
  if (t.kind === 'time') return `time ${t.value}`;
  if (t.kind === 'lsn') return `LSN ${t.value}`;
  return `restore point ${JSON.stringify(t.value)}`;
}
