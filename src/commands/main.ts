// The whole command line as a function: parse argv, run the command, and turn whatever
// stops it into its message, its exit code and, with --json, the `error` document on
// stdout. cli.ts calls it with the process's streams; tests call it in-process.
import { CommanderError } from 'commander';
import { ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { reportFailure } from './failure.js';
import { buildProgram, COMMANDS, type Io } from './program.js';
import { packageVersion } from './version.js';

const nullStream = { write: () => true } as unknown as NodeJS.WritableStream;

/** argv as process.argv has it (node, script, then the words). Never throws. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // Where a failure is reported: known once a command starts; guessed from argv before.
  const words = argv.slice(2);
  const where = {
    command: words.find((w) => COMMANDS.some((c) => c.name === w)) ?? 'tpa-barman',
    json: words.includes('--json') || words.some((w, i) => w === '--format=json' || (w === '--format' && words[i + 1] === 'json')),
  };
  const { program } = buildProgram(packageVersion(), {
    io,
    beforeRun: (spec, flags) => {
      where.command = spec.name;
      where.json = Boolean(flags['json']) || flags['format'] === 'json';
    },
    onRun: (code) => {
      exitCode = code;
    },
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, help and --version succeed; a bare `tpa-barman` (help shown for want of a command) is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0)) return ExitCode.Ok;
      // commander has printed its message (and the help) on stderr already.
      if (where.json) reportFailure(where.command, new ToolError(err.message.replace(/^error: /, ''), ExitCode.Usage), { json: true, out: io.out, err: nullStream });
      return ExitCode.Usage;
    }
    return reportFailure(where.command, err, { json: where.json, ...io });
  }
  return exitCode;
}
