#!/usr/bin/env node
// tpa-barman command line. Each command lives in src/commands; this file only wires
// options and maps errors to exit codes.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ToolError } from './errors.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function list(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('-f, --forks <n>', 'hosts worked on at once (default: all, up to 32)', intOption('--forks', 1, 256))
    .option('--accept-new-host-keys', 'trust unknown host keys and append them to tpa_known_hosts (never replaces a known key)')
    .option('--connect-timeout <s>', 'ssh connect timeout in seconds', intOption('--connect-timeout', 1, 600), 20)
    .addOption(new Option('--color', 'force colour output'))
    .addOption(new Option('--no-color', 'disable colour output'));
}

function deployOptions(cmd: Command): Command {
  return connectionOptions(cmd)
    .option('-l, --limit <pattern>', 'only change these hosts (names or globs, comma separated; facts are still read where needed)', list)
    .option('-t, --tags <tags>', 'only run tasks with these tags (barman, ssh, pkg, config, pgpass, first-backup)', list)
    .option('--skip-tags <tags>', 'skip tasks with these tags', list)
    .option('--keep-going', 'continue on other hosts after a host fails (default: stop everywhere, like TPA)')
    .option('--list-hosts', 'list the hosts that would be worked on (after --limit) and exit; no connection')
    .option('--list-tasks', 'list each host\'s tasks with their tags (after --limit/--tags/--skip-tags) and exit; no connection')
    .option('--override-global-config', 'on a shared Barman server, rewrite /etc/barman.conf even though another cluster set it up with other values')
    .option('--json', 'print a JSON document on stdout')
    .option('-v, --verbose', 'more output (-v, -vv, -vvv)', (_: string, prev: number) => prev + 1, 0);
}

async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = new Command();
  program
    .name('tpa-barman')
    .description('Set up Barman backups for the PostgreSQL clusters of a TPA cluster directory, over SSH, without agents.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nExamples:\n  tpa-barman plan clusters/speedy\n  tpa-barman deploy clusters/speedy\n  tpa-barman ping clusters/speedy\n`)
    .exitOverride();

  connectionOptions(
    program
      .command('ping')
      .description('connect to every host: reachable, host key verified, sudo works')
      .argument('<cluster-dir>', 'TPA cluster directory (with config.yml)')
      .option('--json', 'print a JSON document on stdout')
      .addHelpText('after', '\nExample:\n  tpa-barman ping clusters/speedy'),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runPing } = await import('./commands/ping.js');
    exitCode = await runPing(dir, flags);
  });

  program
    .command('inventory')
    .description('validate config.yml and show the resolved inventory (no connection is made)')
    .argument('<cluster-dir>', 'TPA cluster directory')
    .option('--json', 'print the inventory as JSON')
    .addHelpText('after', '\nExample:\n  tpa-barman inventory clusters/speedy --json | jq .barman_servers')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { runInventory } = await import('./commands/inventory.js');
      exitCode = await runInventory(dir, { json: Boolean(flags.json) });
    });

  connectionOptions(
    program
      .command('test')
      .description('run `barman check` and `barman diagnose` for every server on every Barman host; exit 2 if any check fails')
      .argument('<cluster-dir>', 'TPA cluster directory')
      .option('--json', 'print a JSON document on stdout')
      .addHelpText('after', '\nRaw outputs are kept under <cluster-dir>/test/<timestamp>/<host>/.\n\nExample:\n  tpa-barman test clusters/speedy'),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runTest } = await import('./commands/test-cmd.js');
    exitCode = await runTest(dir, flags);
  });

  connectionOptions(
    program
      .command('status')
      .description('per backed-up instance and Barman host: last backup, WAL streaming, slot lag, retention, next backup (read-only); exit 2 on any problem')
      .argument('<cluster-dir>', 'TPA cluster directory')
      .option('--json', 'print a JSON document on stdout')
      .addHelpText('after', '\nExample:\n  tpa-barman status clusters/speedy --json | jq \'.servers[] | {server, last_backup, streaming}\''),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runStatus } = await import('./commands/status.js');
    exitCode = await runStatus(dir, flags);
  });

  program
    .command('graph')
    .description('draw which PostgreSQL instances are backed up to which Barman servers (no connection); several cluster dirs share Barman nodes')
    .argument('<cluster-dirs...>', 'one or more TPA cluster directories')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'svg']).default('mermaid'))
    .addHelpText('after', '\nExamples:\n  tpa-barman graph clusters/speedy\n  tpa-barman graph clusters/a clusters/b --format svg > backups.svg')
    .action(async (dirs: string[], flags: { format: 'mermaid' | 'dot' | 'svg' }) => {
      const { runGraph } = await import('./commands/graph.js');
      exitCode = await runGraph(dirs, flags);
    });

  deployOptions(
    program
      .command('deploy')
      .description('deploy Barman: packages, config, keys, roles, slots, cron, first backup')
      .argument('<cluster-dir>', 'TPA cluster directory')
      .option('-C, --check', 'change nothing; show what would change (same as `plan`)')
      .option('-D, --diff', 'show file diffs (with --check)')
      .addHelpText('after', '\nExamples:\n  tpa-barman deploy clusters/speedy\n  tpa-barman deploy clusters/speedy --check --diff\n  tpa-barman deploy clusters/speedy --limit pg1 --skip-tags first-backup'),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runDeploy } = await import('./commands/deploy.js');
    exitCode = await runDeploy(dir, { ...flags, mode: flags.check ? 'plan' : 'apply' });
  });

  deployOptions(
    program
      .command('plan')
      .description('dry run: connect, read state, and show exactly what deploy would change (exit 0: nothing, 2: changes)')
      .argument('<cluster-dir>', 'TPA cluster directory')
      .addHelpText('after', '\nExample:\n  tpa-barman plan clusters/speedy && echo "in sync"'),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runDeploy } = await import('./commands/deploy.js');
    exitCode = await runDeploy(dir, { ...flags, mode: 'plan' });
  });

  deployOptions(
    program
      .command('detach')
      .description('stop backing up this cluster on its Barman server(s): remove only its configs, cron files and lines; keep the backups')
      .argument('<cluster-dir>', 'TPA cluster directory')
      .option('--barman <name>', 'only this Barman server (default: all of the cluster\'s)')
      .option('-C, --check', 'change nothing; show what would be removed')
      .option('-D, --diff', 'show details (with --check)')
      .addHelpText(
        'after',
        '\nServer configs are set aside as /etc/barman.d/<name>.conf.detached (rename back to list or restore the old backups);\nbackups and WAL stay under barman_home; lines and files of other clusters are never touched.\nThen remove the backup: entries from config.yml, or the next deploy attaches the cluster again.\n\nExamples:\n  tpa-barman detach clusters/speedy --check\n  tpa-barman detach clusters/speedy --barman shared-barman',
      ),
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const { runDetach } = await import('./commands/detach.js');
    exitCode = await runDetach(dir, { ...flags, mode: flags.check ? 'plan' : 'apply' });
  });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return ExitCode.Usage;
    if (err instanceof ToolError) {
      process.stderr.write(`error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      return err.exitCode;
    }
    process.stderr.write(`internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return ExitCode.Internal;
  }
  return exitCode;
}

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
