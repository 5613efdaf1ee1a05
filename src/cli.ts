#!/usr/bin/env node
// tpa-barman command line: src/commands/main.ts does the work (commands are defined in
// src/commands/program.ts, options in src/commands/options.ts).
import { runCli } from './commands/main.js';
import { ExitCode } from './exit-codes.js';

// A reader that stops early (`| head`, `| grep -q`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

runCli(process.argv, { out: process.stdout, err: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${String(err)}\n`);
    process.exitCode = ExitCode.Internal;
  },
);
