// A command that could not run: the message (and hint, and code frames) on stderr, and
// with --json the `error` document on stdout, so that a script always gets one document.
import { ConfigError, ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { errorDocument } from '../report/json.js';

export interface FailureStreams {
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Report `e` and return the exit code it stands for (1 for anything not a ToolError). */
export function reportFailure(command: string, e: unknown, s: FailureStreams): number {
  const code = e instanceof ToolError ? e.exitCode : ExitCode.Internal;
  if (e instanceof ConfigError) {
    s.err.write(`${e.message}\n`);
  } else if (e instanceof ToolError) {
    s.err.write(`error: ${e.message}\n`);
    if (e.hint) s.err.write(`hint: ${e.hint}\n`);
  } else {
    s.err.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  if (s.json) s.out.write(`${JSON.stringify(errorDocument(command, e, code), null, 2)}\n`);
  return code;
}
