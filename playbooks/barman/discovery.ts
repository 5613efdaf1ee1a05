// What the Barman play needs to know about each host before it can say what it wants:
// host keys (for the peers' known_hosts), home directories, PostgreSQL's ssl setting.
// A typed probe (src/engine/probe.ts): what it cannot read is a host error, never a default.
import { ProbeParseError, type Probe } from '../../src/engine/probe.js';
import { shellQuote } from '../../src/util/shell.js';

export interface HostDiscovery {
  hostKeys: Array<{ type: string; blob: string }>;
  /** The PostgreSQL OS user's home (PostgreSQL hosts only). */
  postgresHome?: string;
  /** PostgreSQL's `ssl` setting (PostgreSQL hosts only). */
  pgSsl?: boolean;
}

/** The discovery probe: shell for keys and home; ssl rides in the host's one psql. */
export function discoveryProbe(isPostgres: boolean, pgUser: string): Probe<HostDiscovery> {
  const lines = ['echo @@hostkeys', 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true'];
  if (isPostgres) lines.push('echo @@home', `getent passwd ${shellQuote(pgUser)} | cut -d: -f6`);
  lines.push('echo @@end');
  const sh = lines.join('\n') + '\n';
  const parse = (stdout: Buffer, sql: string | null | undefined): HostDiscovery => {
    const d = parseDiscovery(stdout.toString('utf8'));
    if (!isPostgres) return d;
    if (d.postgresHome === undefined) throw new ProbeParseError(`no home directory for the OS user ${pgUser} (getent passwd ${pgUser})`);
    if (sql !== 'on' && sql !== 'off') throw new ProbeParseError("PostgreSQL's ssl setting is neither on nor off");
    return { ...d, pgSsl: sql === 'on' };
  };
  return isPostgres
    ? { name: 'discovery (host keys, home, ssl)', sh, sql: "current_setting('ssl')", parse: (out) => parse(out.stdout, out.sql) }
    : { name: 'discovery (host keys)', sh, parse: (out) => parse(out.stdout, undefined) };
}

/** The shell part's sections: host keys, and the home directory when asked for. */
export function parseDiscovery(out: string): HostDiscovery {
  if (!out.includes('@@hostkeys\n') || !out.includes('@@end')) throw new ProbeParseError('the discovery output is incomplete');
  const section = (name: string): string => {
    const m = new RegExp(`@@${name}\\n([\\s\\S]*?)(?=\\n?@@|$)`).exec(out);
    return m?.[1]?.trim() ?? '';
  };
  const hostKeys = section('hostkeys')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^(ssh-|ecdsa-)/.test(f[0] ?? ''))
    .map((f) => ({ type: f[0] ?? '', blob: f[1] ?? '' }));
  const home = section('home');
  return { hostKeys, postgresHome: home || undefined };
}

/** What discovery stands for before it ran (--list-tasks): one unknown host key per host. */
export function placeholderDiscovery(): HostDiscovery {
  return { hostKeys: [{ type: 'ssh-ed25519', blob: '(known-at-run-time)' }] };
}
