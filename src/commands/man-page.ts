// `tpa-barman man`: the manual page, in roff (man(7) macros), generated from the command
// definitions (program.ts) and the exit-code table, so it lists exactly what --help does.
// `npm pack` writes it to dist/man/tpa-barman.1 (package.json "man").
import type { Command, Option } from 'commander';
import { EXIT_CODE_TABLE, ExitCode } from '../exit-codes.js';
import { buildProgram, COMMANDS } from './program.js';
import { packageVersion } from './version.js';

/** Text safe in a roff line: backslashes, leading dots and quotes, and hyphens escaped. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function optionLine(o: Option): string {
  return `.TP\n.B ${roff(o.flags)}\n${roff(o.description)}${o.defaultValue !== undefined && o.defaultValue !== 0 && typeof o.defaultValue !== 'boolean' ? roff(` (default: ${String(o.defaultValue)})`) : ''}`;
}

export function manPage(program: Command, date = new Date()): string {
  const version = packageVersion();
  const month = date.toISOString().slice(0, 7);
  const out: string[] = [
    `.TH TPA\\-BARMAN 1 "${month}" "tpa-barman ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `tpa\\-barman \\- ${roff(program.description())}`,
    '.SH SYNOPSIS',
    '.B tpa\\-barman',
    '.I command',
    '.RI [ options ]',
    '.I cluster-dir',
    '.SH DESCRIPTION',
    roff(
      'tpa-barman reads a TPA cluster directory (config.yml) and sets up Barman for it over SSH, with no agent: packages, /etc/barman.conf and /etc/barman.d/<backup_name>.conf, cron, ssh keys both ways, the barman (NOSUPERUSER) and barman_role roles, streaming_barman, .pgpass, pg_hba.conf, replication slots and the first backups.',
    ),
    '.PP',
    roff('Each host is read in one batched script and changed in one batched script. `plan` shows exactly what `deploy` would change and changes nothing.'),
    '.SH COMMANDS',
  ];
  for (const spec of COMMANDS) {
    const cmd = program.commands.find((c) => c.name() === spec.name);
    if (!cmd) continue;
    const args = spec.args.map((a) => (a.variadic ? `${a.name}...` : a.name)).join(' ');
    out.push('.SS', `.B tpa\\-barman ${roff(spec.name)}${args ? ` \\fI${roff(args)}\\fR` : ''}`, roff(spec.summary));
    if (spec.details) out.push('.PP', roff(spec.details.replace(/\n/g, ' ')));
    if (cmd.options.length > 0) out.push('.RS', ...cmd.options.map(optionLine), '.RE');
    if (spec.examples.length > 0) out.push('.PP', 'Example:', '.RS', '.nf', ...spec.examples.map(roff), '.fi', '.RE');
  }
  out.push('.SH GLOBAL OPTIONS', ...program.options.map(optionLine), '.TP', '.B \\-h, \\-\\-help', 'show help (also after a command)');
  out.push('.SH EXIT STATUS', ...EXIT_CODE_TABLE.flatMap((r) => ['.TP', `.B ${r.code}`, roff(r.meaning)]));
  out.push(
    '.SH JSON OUTPUT',
    roff(
      'With --json a command prints exactly one JSON document on stdout, whatever the outcome; human text goes to stderr. Every document carries schema_version, document, command, ok, exit_code and cluster; the JSON Schema of each document is in the package, under src/report/schemas/<document>.schema.json.',
    ),
    '.SH ENVIRONMENT',
    '.TP',
    '.B NO_COLOR',
    roff('when set and not empty, no colour (as --no-color).'),
    '.SH FILES',
    roff('In the cluster directory:'),
    '.TP',
    '.B config.yml',
    roff('the TPA configuration (must be a text file inside the cluster directory).'),
    '.TP',
    '.B secrets/',
    roff('generated passwords, in plain text (mode 0600). Keep them out of version control: tpa-barman writes a .gitignore for secrets/ when none covers it.'),
    '.TP',
    '.B keys/',
    roff('the ssh key pairs of the barman and postgres users.'),
    '.TP',
    '.B tpa_known_hosts',
    roff('the host keys the controller trusts (then ~/.ssh/known_hosts).'),
    '.TP',
    '.B tpa\\-barman.log',
    roff('the JSON log of every deploy and detach (secrets scrubbed).'),
    '.TP',
    '.B .tpa\\-barman/',
    roff('caches (discovery outputs, proven password matches).'),
    '.SH EXAMPLES',
    '.nf',
    'tpa\\-barman inventory clusters/speedy',
    'tpa\\-barman plan clusters/speedy',
    'tpa\\-barman deploy clusters/speedy',
    'tpa\\-barman status clusters/speedy \\-\\-json',
    '.fi',
    '.SH SEE ALSO',
    '.BR barman (1),',
    '.BR tpaexec (1)',
  );
  return `${out.join('\n')}\n`;
}

export async function runMan(out: NodeJS.WritableStream = process.stdout): Promise<number> {
  out.write(manPage(buildProgram(packageVersion()).program));
  return ExitCode.Ok;
}
