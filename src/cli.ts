#!/usr/bin/env node
// tpa-barman command line. The commands are defined in src/commands/program.ts; this
// file parses argv and turns whatever stops a command into its message, its exit code
// and, with --json, the `error` document on stdout.
import { CommanderError } from 'commander';
import { ToolError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { reportFailure } from './commands/failure.js';
import { buildProgram, COMMANDS } from './commands/program.js';
import { packageVersion } from './commands/version.js';

async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // Where a failure is reported: known once a command starts; guessed from argv before.
  const words = argv.slice(2);
  const where = {
    command: words.find((w) => COMMANDS.some((c) => c.name === w)) ?? 'tpa-barman',
    json: words.includes('--json') || words.some((w, i) => w === '--format=json' || (w === '--format' && words[i + 1] === 'json')),
  };
  const { program } = buildProgram(packageVersion(), {
    beforeRun: (spec, flags) => {
      where.command = spec.name;
      where.json = Boolean(flags['json']) || flags['format'] === 'json';
    },
    onRun: (code) => {
      exitCode = code;
    },
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      // commander has printed its message (and the help) on stderr already.
      if (where.json) reportFailure(where.command, new ToolError(err.message.replace(/^error: /, ''), ExitCode.Usage), { json: true, out: process.stdout, err: nullStream });
      return ExitCode.Usage;
    }
    return reportFailure(where.command, err, { json: where.json, out: process.stdout, err: process.stderr });
  }
  return exitCode;
}

const nullStream = { write: () => true } as unknown as NodeJS.WritableStream;

// A reader that stops early (`| head`, `| grep -q`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${String(err)}\n`);
    process.exitCode = ExitCode.Internal;
  },
);
