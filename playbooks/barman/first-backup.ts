// The first backups of a Barman server (TPA's first_backup role): taken when Barman lists
// no completed backup of it. The count is Barman's own (barman-facts.ts). An inactive
// server's backups are not listed (Barman skips it), so for one the step counts again
// once bring-up has activated it, and takes no backup when there already are some (a
// server set up again over kept backups).
import type { Change, Resource } from '../../src/engine/resource.js';
import type { Probe } from '../../src/engine/probe.js';
import { shellQuote } from '../../src/util/shell.js';
import { BARMAN_BIN, barmanFactsProbe, type BarmanFacts, type ServerBackups } from './barman-facts.js';
import type { BarmanHostSpec } from './model.js';

export interface FirstBackupSpec {
  host: BarmanHostSpec;
  server: string;
  /** How many backups to take (minimum_redundancy, 1 to 3). */
  want: number;
  summary: string;
  details: string[];
  /** Runs before the backups: WAL switch, checks, a standby's restartpoint. */
  prepare: string;
  tags: string[];
}

/** Python, run with the server name as argv[1] on `barman -f json list-backups`: DONE count. */
const COUNT_DONE = 'import json,sys; d=json.load(sys.stdin); print(sum(1 for b in (d.get(sys.argv[1]) or []) if b.get("status") == "DONE"))';
/** Python on `barman -f json show-backup S latest`: the status, and the error of a failed backup. */
const STATUS = 'import json,sys; b=json.load(sys.stdin).get(sys.argv[1]) or {}; print(b.get("status", "none"), b.get("error") or "")';

export class FirstBackupResource implements Resource<BarmanFacts> {
  readonly kind = 'first_backup';
  readonly id: string;
  readonly tags: readonly string[];
  waitsFor?: ReadonlyArray<{ host: string; id: string }>;
  constructor(private readonly spec: FirstBackupSpec) {
    this.id = `first-backup:${spec.server}`;
    this.tags = spec.tags;
  }
  probe(): Probe<BarmanFacts> {
    return barmanFactsProbe(this.spec.host);
  }
  plan(facts: BarmanFacts): Change | null {
    const st: ServerBackups | undefined = facts.servers.get(this.spec.server);
    if (st === undefined) throw new Error(`internal error: server ${this.spec.server} was not asked about`);
    if (st.state === 'listed' && st.done > 0) return null;
    const inactive = st.state === 'inactive';
    return {
      action: 'run',
      summary: inactive ? `${this.spec.summary}, unless Barman lists some once the server is active (it does not list an inactive server's backups)` : this.spec.summary,
      details: this.spec.details,
      sh: this.script(),
      slow: true,
      concurrent: 'first-backup',
    };
  }
  private script(): string {
    const { host, server, want } = this.spec;
    const name = shellQuote(server);
    const barman = (args: string): string => `runuser -u ${shellQuote(host.user)} -- ${BARMAN_BIN} ${args}`;
    return [
      // Counted again here: an inactive server's backups were not listed when we planned.
      `have=$(${barman(`-f json list-backups ${name}`)} | python3 -c ${shellQuote(COUNT_DONE)} ${name}) || { echo "cannot count the backups of ${server} (barman -f json list-backups)" >&2; exit 1; }`,
      `if [ "$have" -gt 0 ]; then echo "${server} already has $have completed backup(s): none taken"; exit 0; fi`,
      this.spec.prepare,
      `n=0; while [ $n -lt ${want} ]; do`,
      `  ${barman(`backup ${name}`)} 2>&1 || exit 1`,
      // The copy is done; the backup is DONE once Barman has its last WAL segment. An idle
      // server does not fill that segment by itself (PostgreSQL 17 with backup_method =
      // postgres can end a backup exactly on a segment boundary): close it. --force makes a
      // CHECKPOINT first, so the switch is never a no-op; it needs pg_checkpoint with Barman
      // 3.9+ (PostgreSQL 15+), Barman 3.4 wants a superuser for it and gets a plain switch.
      '  i=0',
      '  while :; do',
      `    st=$(${barman(`-f json show-backup ${name} latest`)} | python3 -c ${shellQuote(STATUS)} ${name}) || st="unreadable"`,
      '    case $st in',
      '      "DONE "*) break ;;',
      '      "WAITING_FOR_WALS "*) ;;',
      // A backup can end FAILED with exit status 0 (e.g. a WAL it needs is missing).
      `      *) printf 'the backup of ${server} did not end DONE: %s\\n' "$st" >&2; exit 1 ;;`,
      '    esac',
      `    i=$((i+1)); if [ $i -ge 60 ]; then echo "the backup of ${server} still waits for its WAL after 60 attempts (2 s apart)" >&2; exit 1; fi`,
      `    ${barman(`switch-wal --force ${name}`)} >/dev/null 2>&1 || ${barman(`switch-wal ${name}`)} >/dev/null 2>&1 || true`,
      `    sleep 2; ${barman('cron')} >/dev/null 2>&1 || true`,
      '  done',
      '  n=$((n+1))',
      'done',
    ].join('\n');
  }
}
