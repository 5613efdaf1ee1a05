// What the Barman play needs to know about each host before it can say what it wants:
// host keys (for the peers' known_hosts), home directories, PostgreSQL's ssl setting.
import type { ProbeSpec } from '../../src/engine/resource.js';
import { shellQuote } from '../../src/util/shell.js';

export interface HostDiscovery {
  hostKeys: Array<{ type: string; blob: string }>;
  postgresHome?: string;
  pgSsl?: boolean;
}

/** The discovery probe: shell for keys and home; ssl rides in the host's one psql (`@@sql`). */
export function discoveryProbe(isPostgres: boolean, pgUser: string): ProbeSpec {
  const lines = ['echo @@hostkeys', 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null'];
  if (isPostgres) lines.push('echo @@home', `getent passwd ${shellQuote(pgUser)} | cut -d: -f6`);
  lines.push('echo @@end');
  const sh = lines.join('\n') + '\n';
  return isPostgres ? { sh, sql: "current_setting('ssl')" } : { sh };
}

export function parseDiscovery(out: string): HostDiscovery {
  const section = (name: string): string => {
    const m = new RegExp(`@@${name}\\n([\\s\\S]*?)(?=\\n@@|$)`).exec(out);
    return m?.[1]?.trim() ?? '';
  };
  const hostKeys = section('hostkeys')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^(ssh-|ecdsa-)/.test(f[0] ?? ''))
    .map((f) => ({ type: f[0] ?? '', blob: f[1] ?? '' }));
  const home = section('home');
  const ssl = section('sql');
  return { hostKeys, postgresHome: home || undefined, pgSsl: ssl === '' ? undefined : ssl === 'on' };
}
