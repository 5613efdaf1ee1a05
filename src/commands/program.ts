// The command definitions: each command's arguments, the options it takes (from
// options.ts), its help and how it runs. The commander program, the shell completions
// (completion.ts) and the man page (man-page.ts) are all built from COMMANDS.
//
// To add a command: add a CommandSpec to COMMANDS (options by name, examples, run); its
// run returns an exit code from exit-codes.ts, prints its --json document with
// report/json.ts's writeDocument, and throws ToolError subclasses for everything that
// stops it (cli.ts turns those into the message, the exit code and the `error` document).
import { Command, Option } from 'commander';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { OPTIONS, globalOptions, type OptionName, type ValueHint } from './options.js';
import { STATUS_TAGS } from '../../playbooks/barman/status.js';

/** The tags of the deploy play's tasks (a unit test holds them to the play). */
export const DEPLOY_TAGS = ['barman', 'config', 'first-backup', 'pgpass', 'pkg', 'ssh'] as const;
/** The tags of the detach play's tasks. */
export const DETACH_TAGS = ['barman', 'config', 'pgpass', 'ssh'] as const;
export const TEST_TAG_LIST = ['check', 'diagnose'] as const;

export interface ArgSpec {
  name: string;
  description: string;
  variadic?: boolean;
  /** What a shell may complete it with. */
  complete: 'directory' | { words: readonly string[] };
}

export type Flags = Record<string, unknown>;

/** Where a command writes: the --json document on `out`, everything for people on `err`. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface CommandSpec {
  name: string;
  /** One line, for the command list, the man page and completions. */
  summary: string;
  args: ArgSpec[];
  options: OptionName[];
  /** The vocabulary of --tags/--skip-tags, when the command takes them. */
  tags?: readonly string[];
  /** More help after the options (plain text). */
  details?: string;
  examples: string[];
  run(args: string[], flags: Flags, io: Io): Promise<number>;
}

const CLUSTER_DIR: ArgSpec = { name: 'cluster-dir', description: 'TPA cluster directory (with config.yml)', complete: 'directory' };
const CONNECT: OptionName[] = ['forks', 'acceptNewHostKeys', 'connectTimeout'];
const PLAY: OptionName[] = ['json', 'verbose', 'limit', 'tags', 'skipTags', 'listHosts', 'listTasks'];

function first(args: string[]): string {
  return args[0] ?? '';
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'inventory',
    summary: 'validate config.yml and show the resolved inventory (never connects)',
    args: [CLUSTER_DIR],
    options: ['json'],
    examples: ['tpa-barman inventory clusters/speedy', 'tpa-barman inventory clusters/speedy --json | jq .barman_servers'],
    run: async (args, flags, io) => {
      const { runInventory } = await import('./inventory.js');
      return runInventory(first(args), { json: Boolean(flags['json']), color: flags['color'] as boolean | undefined, ...io });
    },
  },
  {
    name: 'ping',
    summary: 'connect to every host: reachable, host key verified, sudo works',
    args: [CLUSTER_DIR],
    options: ['json', 'verbose', 'limit', ...CONNECT],
    examples: ['tpa-barman ping clusters/speedy', 'tpa-barman ping clusters/speedy --limit "pg*"'],
    run: async (args, flags, io) => (await import('./ping.js')).runPing(first(args), flags, io.out, io.err),
  },
  {
    name: 'plan',
    summary: 'dry run: read every host and show exactly what deploy would change (exit 0: nothing, 2: changes pending)',
    args: [CLUSTER_DIR],
    options: [...PLAY, 'diff', 'noRestart', 'overrideGlobalConfig', ...CONNECT],
    tags: DEPLOY_TAGS,
    details: 'Read-only at the transport layer: a command not declared read-only is refused. Every host is tried;\nan unreachable one is reported (exit 4) and the others are still planned.',
    examples: ['tpa-barman plan clusters/speedy && echo "in sync"', 'tpa-barman plan clusters/speedy --json | jq \'.changes[] | .summary\''],
    run: async (args, flags, io) => (await import('./deploy.js')).runDeploy(first(args), { ...flags, mode: 'plan', command: 'plan' }, io.out, io.err),
  },
  {
    name: 'deploy',
    summary: 'deploy Barman: packages, config, keys, roles, slots, cron, first backups',
    args: [CLUSTER_DIR],
    options: [...PLAY, 'check', 'diff', 'noRestart', 'keepGoing', 'overrideGlobalConfig', ...CONNECT],
    tags: DEPLOY_TAGS,
    details: 'With --no-restart, a PostgreSQL restart (for listen_addresses) and the steps that wait for it are left\npending and named in the recap; a later deploy without --no-restart makes them.',
    examples: ['tpa-barman deploy clusters/speedy', 'tpa-barman deploy clusters/speedy --check --diff', 'tpa-barman deploy clusters/speedy --limit pg1 --skip-tags first-backup', 'tpa-barman deploy clusters/speedy --no-restart'],
    run: async (args, flags, io) => (await import('./deploy.js')).runDeploy(first(args), { ...flags, mode: flags['check'] ? 'plan' : 'apply', command: 'deploy' }, io.out, io.err),
  },
  {
    name: 'test',
    summary: 'run `barman check` and `barman diagnose` on every Barman host (exit 2 if a check fails)',
    args: [CLUSTER_DIR],
    options: ['json', 'verbose', 'limit', 'tags', 'skipTags', ...CONNECT],
    tags: TEST_TAG_LIST,
    details: 'Raw outputs are kept under <cluster-dir>/test/<timestamp>/<host>/. --limit selects Barman hosts, or the\nservers backing up the PostgreSQL hosts it names.',
    examples: ['tpa-barman test clusters/speedy', 'tpa-barman test clusters/speedy --skip-tags diagnose --limit pg1'],
    run: async (args, flags, io) => (await import('./test-cmd.js')).runTest(first(args), flags, io.out, io.err),
  },
  {
    name: 'status',
    summary: 'per backed-up instance: last backup, WAL streaming, slot lag, retention, next backup (exit 2 on a problem)',
    args: [CLUSTER_DIR],
    options: ['json', 'verbose', 'limit', 'tags', 'skipTags', ...CONNECT],
    tags: STATUS_TAGS,
    details: 'Read-only. --tags/--skip-tags choose which kinds of problems count (an unreachable host always does);\n--limit selects servers by their Barman or PostgreSQL host.',
    examples: ['tpa-barman status clusters/speedy', "tpa-barman status clusters/speedy --json | jq '.servers[] | {server, last_backup, streaming}'", 'tpa-barman status clusters/speedy --tags wal'],
    run: async (args, flags, io) => (await import('./status.js')).runStatus(first(args), flags, io.out, io.err),
  },
  {
    name: 'restore-test',
    summary: "restore each Barman server's latest backup (or a point in time) into a scratch directory, start it isolated, check it, remove it; RTO and WAL gap (exit 2 if one fails)",
    args: [CLUSTER_DIR],
    options: ['json', 'verbose', 'server', 'barman', 'backup', 'targetTime', 'targetLsn', 'targetName', 'sql', 'check', 'timeout', ...CONNECT],
    details:
      'The restore host is barman_restore_host, else the backed-up instance. The copy goes into a new\n<postgres home>/tpa-barman-restore-test.XXXXXXXX there, listens on a unix socket in it only, and is\nstopped and removed afterwards; nothing changes on the Barman server or production PostgreSQL.\nResults are kept under <cluster-dir>/restore-test/<timestamp>/.',
    examples: ['tpa-barman restore-test clusters/speedy', 'tpa-barman restore-test clusters/speedy --server pg1 --target-time "2026-12-03 13:10:00+00" --sql check.sql', 'tpa-barman restore-test clusters/speedy --check'],
    run: async (args, flags, io) => (await import('./restore-test.js')).runRestoreTest(first(args), flags, io.out, io.err),
  },
  {
    name: 'restore',
    summary: "restore a Barman server's backup into HOST:DIR with barman restore (recover before Barman 3.12); shows the plan first, --check stops there",
    args: [CLUSTER_DIR],
    options: ['json', 'server', 'to', 'barman', 'backup', 'targetTime', 'targetLsn', 'targetName', 'check', 'force', 'timeout', ...CONNECT],
    details:
      'Refused (exit 3) before anything is copied: a directory of a running cluster, a non-empty one, an existing\nempty one without --force, or too little space. The copy is not started: review its configuration first.',
    examples: [
      'tpa-barman restore clusters/speedy --server pg1 --to pg2:/var/lib/postgresql/restored --check',
      'tpa-barman restore clusters/speedy --server pg1 --to pg2:/var/lib/postgresql/restored --target-time "2026-12-03 13:10:00+00"',
    ],
    run: async (args, flags, io) => (await import('./restore.js')).runRestore(first(args), flags, io.out, io.err),
  },
  {
    name: 'graph',
    summary: 'draw which PostgreSQL instances are backed up to which Barman servers (never connects)',
    args: [{ name: 'cluster-dirs', description: 'one or more TPA cluster directories (shared Barman hosts are drawn once)', variadic: true, complete: 'directory' }],
    options: ['graphFormat', 'json'],
    examples: ['tpa-barman graph clusters/speedy', 'tpa-barman graph clusters/a clusters/b --format svg > backups.svg'],
    run: async (args, flags, io) => (await import('./graph.js')).runGraph(args, { format: flags['format'] as 'mermaid', json: Boolean(flags['json']) }, io.out),
  },
  {
    name: 'detach',
    summary: 'stop backing up this cluster on its Barman server(s): remove only its configs, cron files and lines; keep the backups',
    args: [CLUSTER_DIR],
    options: [...PLAY, 'barman', 'check', 'diff', 'keepGoing', ...CONNECT],
    tags: DETACH_TAGS,
    details:
      'Server configs are set aside as /etc/barman.d/<name>.conf.detached (rename back to list or restore the old\nbackups); backups and WAL stay under barman_home; lines and files of other clusters are never touched.\nThen remove the backup: entries from config.yml, or the next deploy attaches the cluster again.',
    examples: ['tpa-barman detach clusters/speedy --check', 'tpa-barman detach clusters/speedy --barman shared-barman'],
    run: async (args, flags, io) => (await import('./detach.js')).runDetach(first(args), { ...flags, mode: flags['check'] ? 'plan' : 'apply' }, io.out, io.err),
  },
  {
    name: 'completion',
    summary: 'print a shell completion script (bash or zsh)',
    args: [{ name: 'shell', description: 'bash or zsh', complete: { words: ['bash', 'zsh'] } }],
    options: [],
    details: 'bash: add `source <(tpa-barman completion bash)` to ~/.bashrc.\nzsh:  add `source <(tpa-barman completion zsh)` to ~/.zshrc (after compinit).',
    examples: ['tpa-barman completion bash > /etc/bash_completion.d/tpa-barman', 'source <(tpa-barman completion zsh)'],
    run: async (args, _flags, io) => (await import('./completion.js')).runCompletion(first(args), io.out),
  },
  {
    name: 'man',
    summary: 'print the manual page (roff)',
    args: [],
    options: [],
    examples: ['tpa-barman man | man -l -'],
    run: async (_args, _flags, io) => (await import('./man-page.js')).runMan(io.out),
  },
];

/** What a shell may complete each option of each command with (built with the program). */
export type ValueHints = Map<Option, ValueHint>;

export interface BuiltProgram {
  program: Command;
  hints: ValueHints;
}

/**
 * The commander program. `onRun(spec, exitCode)` receives each command's exit code;
 * `beforeRun` sees the command and its flags first (cli.ts uses it to know where errors go).
 */
export function buildProgram(
  version: string,
  hooks: { io?: Io; beforeRun?: (spec: CommandSpec, flags: Flags) => void; onRun?: (code: number) => void } = {},
): BuiltProgram {
  const io: Io = hooks.io ?? { out: process.stdout, err: process.stderr };
  const hints: ValueHints = new Map();
  const program = new Command();
  program
    .name('tpa-barman')
    .description('Set up Barman backups for the PostgreSQL clusters of a TPA cluster directory, over SSH, without agents.')
    .version(version, '-V, --version')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nExamples:\n  tpa-barman plan clusters/speedy\n  tpa-barman deploy clusters/speedy\n  tpa-barman ping clusters/speedy\n\nMore: tpa-barman <command> --help, or tpa-barman man | man -l -`)
    .configureOutput({ writeOut: (t) => io.out.write(t), writeErr: (t) => io.err.write(t) })
    .exitOverride();
  for (const o of globalOptions()) program.addOption(o);

  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.summary);
    for (const a of spec.args) cmd.argument(a.variadic ? `<${a.name}...>` : `<${a.name}>`, a.description);
    const ctx = { command: spec.name, tags: spec.tags ?? [] };
    for (const name of spec.options) {
      const def = OPTIONS[name];
      const option = def.build(ctx);
      hints.set(option, def.value(ctx));
      cmd.addOption(option);
    }
    const after = [spec.details, spec.examples.length ? `Example${spec.examples.length > 1 ? 's' : ''}:\n${spec.examples.map((e) => `  ${e}`).join('\n')}` : undefined].filter(Boolean).join('\n\n');
    if (after) cmd.addHelpText('after', `\n${after}`);
    cmd.action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const args = received.slice(0, spec.args.length).flatMap((a) => (Array.isArray(a) ? (a as string[]) : [a as string]));
      const flags = self.optsWithGlobals() as Flags;
      hooks.beforeRun?.(spec, flags);
      hooks.onRun?.(await spec.run(args, flags, io));
    });
  }
  return { program, hints };
}
