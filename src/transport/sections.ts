// Sectioned scripts: several commands in one script, each one's stdout, stderr and exit
// code framed apart (base64), so one exec per host can carry a whole status report.
import { shellQuote } from '../util/shell.js';

/** One command of a sectioned script: its stdout, stderr and exit code come back apart. */
export interface Section {
  /** Letters, digits and `._:-` only. */
  name: string;
  /** A shell command line (already quoted by the caller). */
  command: string;
}

export interface SectionOutput {
  code: number;
  stdout: string;
  stderr: string;
}

const SECTION_MARK = '@@tpab-section';

/**
 * A POSIX sh script running each command with stdin closed and printing one line per
 * command: `@@tpab-section NAME CODE BASE64(stdout) BASE64(stderr)`. Base64 keeps whatever
 * a command prints from breaking (or forging) the framing.
 */
export function sectionScript(sections: readonly Section[]): string {
  const lines = [
    'cd / || exit 1',
    '_O=$(mktemp) && _E=$(mktemp) || exit 1',
    'trap \'rm -f "$_O" "$_E"\' EXIT',
    `_section() { _n=$1; shift; ( eval "$1" ) >"$_O" 2>"$_E" </dev/null; _rc=$?; printf '${SECTION_MARK} %s %s %s %s\\n' "$_n" "$_rc" "$(base64 -w0 <"$_O")" "$(base64 -w0 <"$_E")"; }`,
  ];
  for (const s of sections) {
    if (!/^[A-Za-z0-9._:-]+$/.test(s.name)) throw new Error(`internal error: bad section name ${JSON.stringify(s.name)}`);
    lines.push(`_section ${s.name} ${shellQuote(s.command)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The sections a sectionScript printed, by name. */
export function parseSections(stdout: string): Map<string, SectionOutput> {
  const out = new Map<string, SectionOutput>();
  const re = new RegExp(`^${SECTION_MARK} ([A-Za-z0-9._:-]+) (\\d+) ([A-Za-z0-9+/=]*) ([A-Za-z0-9+/=]*)$`);
  for (const line of stdout.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    out.set(m[1] ?? '', {
      code: Number(m[2]),
      stdout: Buffer.from(m[3] ?? '', 'base64').toString('utf8'),
      stderr: Buffer.from(m[4] ?? '', 'base64').toString('utf8'),
    });
  }
  return out;
}
