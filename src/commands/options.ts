// Every command-line option, defined once. A command lists the options that mean
// something for it (see program.ts); the help, the man page and the shell completions
// are all built from the same definitions, so they cannot disagree.
//
// To add an option: add its name to OptionName and its definition to OPTIONS; then list
// it in the `options` of each command it means something for.
import { InvalidArgumentError, Option } from 'commander';

export type OptionName =
  | 'json'
  | 'verbose'
  | 'forks'
  | 'acceptNewHostKeys'
  | 'connectTimeout'
  | 'limit'
  | 'tags'
  | 'skipTags'
  | 'keepGoing'
  | 'listHosts'
  | 'listTasks'
  | 'overrideGlobalConfig'
  | 'check'
  | 'diff'
  | 'noRestart'
  | 'barman'
  | 'graphFormat'
  | 'server'
  | 'to'
  | 'backup'
  | 'targetTime'
  | 'targetLsn'
  | 'targetName'
  | 'sql'
  | 'force'
  | 'timeout';

/** What an option's help may depend on: the command's vocabulary of tags. */
export interface OptionContext {
  command: string;
  tags: readonly string[];
}

/** What a shell may offer as the value of an option (completion only; never enforced there). */
export type ValueHint = { kind: 'words'; words: readonly string[]; list: boolean } | { kind: 'hosts' } | { kind: 'number' } | { kind: 'none' };

export interface OptionDefinition {
  build(ctx: OptionContext): Option;
  value: (ctx: OptionContext) => ValueHint;
}

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** A comma-separated value that may also be given several times. */
export function listValue(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

const none = (): ValueHint => ({ kind: 'none' });

const PLAY_VERBOSE = 'more output: -v connections and counters, -vv every task, -vvv every remote script';
/** What -v adds, per command (each command's help says what it does there). */
const VERBOSE_HELP: Readonly<Record<string, string>> = {
  plan: PLAY_VERBOSE,
  deploy: PLAY_VERBOSE,
  detach: PLAY_VERBOSE,
  ping: 'more output: the known_hosts files, key and timeout used',
  test: 'more output: every check of every server, not only the failing ones',
  status: "more output: each host's read time and every failing barman check",
  'restore-test': 'more output: the Barman command and its output for every server',
};

export const OPTIONS: Readonly<Record<OptionName, OptionDefinition>> = {
  json: {
    build: () => new Option('--json', 'print one JSON document on stdout, whatever the outcome (human text goes to stderr)'),
    value: none,
  },
  verbose: {
    build: (ctx) => new Option('-v, --verbose', VERBOSE_HELP[ctx.command] ?? 'more output').argParser((_: string, prev: number) => prev + 1).default(0),
    value: none,
  },
  forks: {
    build: () => new Option('-f, --forks <n>', 'hosts worked on at once (default: all, up to 32)').argParser(intOption('--forks', 1, 256)),
    value: () => ({ kind: 'number' }),
  },
  acceptNewHostKeys: {
    build: () => new Option('--accept-new-host-keys', 'trust unknown host keys and append them to tpa_known_hosts (never replaces a known key)'),
    value: none,
  },
  connectTimeout: {
    build: () => new Option('--connect-timeout <s>', 'ssh connect timeout in seconds').argParser(intOption('--connect-timeout', 1, 600)).default(20),
    value: () => ({ kind: 'number' }),
  },
  limit: {
    build: (ctx) =>
      new Option(
        '-l, --limit <pattern>',
        ctx.command === 'plan' || ctx.command === 'deploy' || ctx.command === 'detach'
          ? 'only change these hosts (names or globs, comma separated, !name excludes; facts are still read where needed)'
          : 'only these hosts (names or globs, comma separated, !name excludes)',
      ).argParser(listValue),
    value: () => ({ kind: 'hosts' }),
  },
  tags: {
    build: (ctx) => new Option('-t, --tags <tags>', `only tasks with these tags (${ctx.tags.join(', ')})`).argParser(listValue),
    value: (ctx) => ({ kind: 'words', words: ctx.tags, list: true }),
  },
  skipTags: {
    build: (ctx) => new Option('--skip-tags <tags>', `skip tasks with these tags (${ctx.tags.join(', ')})`).argParser(listValue),
    value: (ctx) => ({ kind: 'words', words: ctx.tags, list: true }),
  },
  keepGoing: {
    build: () => new Option('--keep-going', 'go on with the other hosts after a host fails or cannot be reached (default: stop everywhere, like TPA)'),
    value: none,
  },
  listHosts: {
    build: () => new Option('--list-hosts', 'list the hosts that would be worked on (after --limit) and exit; never connects'),
    value: none,
  },
  listTasks: {
    build: () => new Option('--list-tasks', "list each host's tasks with their tags (after --limit/--tags/--skip-tags) and exit; never connects"),
    value: none,
  },
  overrideGlobalConfig: {
    build: () => new Option('--override-global-config', 'on a shared Barman server, rewrite /etc/barman.conf even though another cluster set it up with other values'),
    value: none,
  },
  check: {
    build: (ctx) =>
      new Option(
        '-C, --check',
        ctx.command === 'restore-test'
          ? 'change nothing: show which backup each server would restore where, and the space needed and free (exit 2 if one cannot run)'
          : ctx.command === 'restore'
            ? 'change nothing: show what would be written where, the space needed and the recovery target (exit 2: a restore is pending)'
            : 'change nothing; show what would change (the same as `plan`)',
      ),
    value: none,
  },
  diff: {
    build: (ctx) =>
      new Option(
        '-D, --diff',
        ctx.command === 'plan' ? 'accepted for Ansible habits: a plan always shows diffs' : 'show the diff of every changed file (a plan, and --check, always do)',
      ),
    value: none,
  },
  noRestart: {
    build: () => new Option('--no-restart', 'make every change that needs no PostgreSQL restart; leave the restart (and what waits for it) pending for a later deploy'),
    value: none,
  },
  barman: {
    build: () => new Option('--barman <name>', "only this Barman server (default: all of the cluster's)"),
    value: () => ({ kind: 'hosts' }),
  },
  server: {
    build: (ctx) =>
      ctx.command === 'restore'
        ? new Option('--server <name>', 'the Barman server to restore (its backup_name)').makeOptionMandatory()
        : new Option('--server <names>', 'only these Barman servers (backup names, comma separated; default: all)').argParser(listValue),
    value: none,
  },
  to: {
    build: () => new Option('--to <host:dir>', 'a PostgreSQL instance of the cluster and an absolute directory there (missing, or empty with --force)').makeOptionMandatory(),
    value: none,
  },
  backup: {
    build: () => new Option('--backup <id>', 'this backup ID (default: the latest, or the latest that ended before the target)'),
    value: none,
  },
  targetTime: {
    build: () => new Option('--target-time <timestamp>', 'recover to this time, with its UTC offset (e.g. "2026-12-03 13:10:00+00")').conflicts(['targetLsn', 'targetName']),
    value: none,
  },
  targetLsn: {
    build: () => new Option('--target-lsn <lsn>', 'recover to this LSN (e.g. 0/3000060)').conflicts(['targetTime', 'targetName']),
    value: none,
  },
  targetName: {
    build: () => new Option('--target-name <name>', 'recover to this restore point (pg_create_restore_point); the latest backup is used').conflicts(['targetTime', 'targetLsn']),
    value: none,
  },
  sql: {
    build: () => new Option('--sql <file>', 'also run this SQL file (up to 1 MiB) on each restored copy; its output is recorded'),
    value: none,
  },
  force: {
    build: () => new Option('--force', 'restore into an existing empty directory'),
    value: none,
  },
  timeout: {
    build: () => new Option('--timeout <s>', 'time limit per server for the copy, recovery and checks (seconds; cleanup gets its own)').argParser(intOption('--timeout', 60, 7 * 86400)).default(7200),
    value: () => ({ kind: 'number' }),
  },
  graphFormat: {
    build: () => new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'svg', 'json']).default('mermaid'),
    value: () => ({ kind: 'words', words: ['mermaid', 'dot', 'svg', 'json'], list: false }),
  },
};

/** The program-wide options (accepted before or after the command name, by every command). */
export function globalOptions(): Option[] {
  return [new Option('--color', 'force colour output'), new Option('--no-color', 'never colour output (also: NO_COLOR=1)')];
}
