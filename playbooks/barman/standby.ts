// Shell steps for the first backup of a standby, run on the Barman host as the barman user.
import { shellQuote } from '../../src/util/shell.js';

/** How the barman user reaches one PostgreSQL instance's superuser psql: ssh as postgres. */
export interface PsqlOverSsh {
  host: string;
  /** The server's ssh command, e.g. `ssh -q postgres@pg1 -p 22` (names already validated). */
  ssh: string;
  binDir: string;
  port: number;
}

function psqlOn(barmanUser: string, t: PsqlOverSsh): string {
  const psql = `${t.binDir}/psql -XAtq -v ON_ERROR_STOP=1 -p ${t.port} -d postgres`;
  return `runuser -u ${shellQuote(barmanUser)} -- ${t.ssh} -o BatchMode=yes ${shellQuote(psql)}`;
}

/**
 * A backup of a standby starts at the standby's last restartpoint, and a restartpoint is
 * only made at a checkpoint replayed from the primary. Right after Barman's WAL stream
 * begins, that restartpoint is older than the stream, so the backup would lack its first
 * WAL (Barman marks it FAILED). So: checkpoint the primary, wait (bounded) until the
 * standby replayed it, and make the standby's restartpoint there. SQL goes on stdin.
 */
export function standbyRestartpointScript(barmanUser: string, primary: PsqlOverSsh, standby: PsqlOverSsh): string {
  const onPrimary = psqlOn(barmanUser, primary);
  const onStandby = psqlOn(barmanUser, standby);
  return [
    `lsn=$(printf 'CHECKPOINT;\\nSELECT pg_current_wal_lsn();\\n' | ${onPrimary}) || { echo "could not make a checkpoint on ${primary.host}" >&2; exit 1; }`,
    `case "$lsn" in ''|*[!0-9A-F/]*) echo "unexpected WAL position from ${primary.host}: $lsn" >&2; exit 1 ;; esac`,
    'i=0',
    `until [ "$(printf "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn;\\n" "$lsn" | ${onStandby})" = t ]; do`,
    `  i=$((i+1)); if [ $i -ge 60 ]; then echo "${standby.host} did not replay ${primary.host}'s checkpoint ($lsn) within 60 s" >&2; exit 1; fi`,
    '  sleep 1',
    'done',
    `printf 'CHECKPOINT;\\n' | ${onStandby} || { echo "could not make a restartpoint on ${standby.host}" >&2; exit 1; }`,
  ].join('\n');
}
