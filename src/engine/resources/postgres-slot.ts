// A replication slot that must not exist. A slot nobody reads from keeps WAL forever and
// fills the disk, so a slot whose consumer we stop must go with it.
import { ProbeParseError, sqlProbe, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { quoteLiteral } from '../../postgres/sql.js';

export type SlotState = 'absent' | 'active' | 'inactive';

export class PgSlotAbsentResource implements Resource<SlotState> {
  readonly kind = 'pg_slot_absent';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(
    readonly slot: string,
    tags: string[],
    /** Why it goes, for the plan. */
    private readonly reason: string,
    /** How long the drop waits for the slot's consumer to disconnect, in seconds. */
    private readonly waitSeconds = 30,
  ) {
    this.id = `pg_slot_absent:${slot}`;
    this.tags = tags;
  }

  probe(): Probe<SlotState> {
    return sqlProbe(
      `replication slot ${this.slot}`,
      `SELECT coalesce((SELECT CASE WHEN active THEN 'active' ELSE 'inactive' END FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(this.slot)}), 'absent')`,
      (v) => {
        if (v === 'absent' || v === 'active' || v === 'inactive') return v;
        throw new ProbeParseError('expected absent, active or inactive');
      },
    );
  }

  plan(state: SlotState): Change | null {
    if (state === 'absent') return null;
    const name = quoteLiteral(this.slot);
    // The consumer was just stopped on another host: give its walsender time to exit.
    // pg_replication_slots reads shared memory, so the loop sees it go inactive.
    const sql = [
      'DO $tpab$ DECLARE i int := 0; BEGIN',
      `  WHILE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${name} AND active) AND i < ${this.waitSeconds * 2} LOOP`,
      '    PERFORM pg_sleep(0.5); i := i + 1;',
      '  END LOOP;',
      `  PERFORM pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${name};`,
      'END $tpab$',
    ].join('\n');
    return {
      action: 'drop',
      summary: `drop replication slot ${this.slot}${state === 'active' ? ' (in use now)' : ''}: ${this.reason}`,
      details: [`SELECT pg_drop_replication_slot(${name})`],
      sql: [sql],
    };
  }
}
