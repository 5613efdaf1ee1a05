// Read-only commands (status, ...): one connection per host, opened read-only, one script
// per host declared read-only, so the transport refuses anything else.
import pLimit from 'p-limit';
import type { ClusterSpec } from '../config/types.js';
import { ToolError } from '../errors.js';
import { HostConnection } from '../transport/connection.js';
import { shellQuote } from '../util/shell.js';
import { connectOptions, defaultForks, sshTarget, type ConnectionFlags } from './common.js';

export interface HostScript {
  host: string;
  script: string;
  /** What the script does, for errors and -vvv. */
  label: string;
  timeoutMs?: number;
}

export type HostOutput =
  | { host: string; reachable: true; code: number; stdout: string; stderr: string; ms: number }
  | { host: string; reachable: false; error: string; hint?: string };

/** Run each script on its host (hosts concurrently, up to --forks); never throws for a host. */
export async function runReadOnlyScripts(cluster: ClusterSpec, jobs: HostScript[], flags: ConnectionFlags): Promise<Map<string, HostOutput>> {
  const limit = pLimit(defaultForks(jobs.length, flags));
  const opts = { ...connectOptions(cluster, flags), readOnly: true };
  const outputs = await Promise.all(
    jobs.map((job) =>
      limit(async (): Promise<HostOutput> => {
        const spec = cluster.hosts.find((h) => h.name === job.host);
        if (!spec) return { host: job.host, reachable: false, error: 'not in the inventory' };
        let conn: HostConnection | undefined;
        const t0 = Date.now();
        try {
          conn = await HostConnection.open(sshTarget(cluster, spec), opts);
          const res = await conn.runScript(job.script, { readOnly: true, label: job.label, timeoutMs: job.timeoutMs ?? 120_000 });
          return { host: job.host, reachable: true, code: res.code, stdout: res.stdout, stderr: res.stderr, ms: Date.now() - t0 };
        } catch (err) {
          const hint = err instanceof ToolError ? err.hint : undefined;
          return { host: job.host, reachable: false, error: err instanceof Error ? err.message : String(err), ...(hint ? { hint } : {}) };
        } finally {
          conn?.close();
        }
      }),
    ),
  );
  return new Map(outputs.map((o) => [o.host, o]));
}

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
