// Running the restore runner on a Barman host over one of our connections: the program
// and its parameters on stdin, the result read back (never throws for the host's sake).
import { randomBytes } from 'node:crypto';
import type { Session } from '../../../src/transport/connector.js';
import { runnerCommand, type RunnerParams } from './params.js';
import { extractResult, failedResult, readResult, type RestoreRunResult } from './result.js';
import { runnerProgram } from './runner-source.js';

/**
 * The shell script that runs `program` as the Barman user: the program in a quoted
 * here-document (nothing in it is expanded) whose delimiter it does not contain.
 */
export function runnerScript(barmanUser: string, program: string): string {
  let mark = '';
  do mark = `TPAB_RUNNER_${randomBytes(8).toString('hex')}`;
  while (program.includes(mark));
  return `${runnerCommand(barmanUser)} <<'${mark}'\n${program}\n${mark}\n`;
}

export async function runRunner(conn: Session, barmanUser: string, params: RunnerParams, label: string): Promise<RestoreRunResult> {
  const who = { server: params.server, barmanHost: params.barman_host, restoreHost: params.restore.host, mode: params.mode };
  try {
    const res = await conn.runScript(runnerScript(barmanUser, runnerProgram(params)), {
      // A plan reads Barman's catalogue and probes the restore host; a run writes there.
      readOnly: params.mode === 'plan',
      // The runner bounds itself (params.timeout, then its cleanup); this bounds the channel.
      timeoutMs: (params.timeout + 300) * 1000,
      label,
    });
    const doc = extractResult(res.stdout);
    return doc ? readResult(doc, who) : failedResult(who, `the restore runner printed no result (exit ${res.code})`, (res.stderr || res.stdout).trim().split('\n').slice(-20).join('\n'));
  } catch (e) {
    return failedResult(who, e instanceof Error ? e.message : String(e));
  }
}
