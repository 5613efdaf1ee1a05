// What the Barman play needs to know about each host before it can say what it wants:
// host keys (for the peers' known_hosts), home directories, and on a PostgreSQL host
// what the running server says about itself (version, files, port, ssl) and how the
// host runs it (its service manager).
// A typed probe (src/engine/probe.ts): what it cannot read is a host error, never a default.
import { ProbeParseError, type Probe } from '../../src/engine/probe.js';
import { parseServerFacts, SERVER_FACTS_SQL, type PostgresServerFacts } from '../../src/engine/postgres-server.js';
import { parseServiceFacts, serviceFactsSh, type ServiceFacts } from '../../src/engine/postgres-service.js';
import { shellQuote } from '../../src/util/shell.js';

export interface HostDiscovery {
  hostKeys: Array<{ type: string; blob: string }>;
  /** The PostgreSQL OS user's home (PostgreSQL hosts only). */
  postgresHome?: string;
  /** PostgreSQL's `ssl` setting (PostgreSQL hosts only). */
  pgSsl?: boolean;
  /** What the running PostgreSQL says about itself (PostgreSQL hosts only). */
  server?: PostgresServerFacts;
  /** How the host runs PostgreSQL (PostgreSQL hosts only). */
  service?: ServiceFacts;
}

/** On a PostgreSQL host: its OS user and TPA's service name (postgres_service_name). */
export interface DiscoveryPostgres {
  user: string;
  serviceName: string;
}

/** The discovery probe: shell for keys, home and service; the server's facts ride in the host's one psql. */
export function discoveryProbe(pg: DiscoveryPostgres | undefined): Probe<HostDiscovery> {
  const lines = ['echo @@hostkeys', 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true'];
  if (pg) lines.push('echo @@home', `getent passwd ${shellQuote(pg.user)} | cut -d: -f6`, serviceFactsSh(pg.serviceName));
  lines.push('echo @@end');
  const sh = lines.join('\n') + '\n';
  if (!pg) return { name: 'discovery (host keys)', sh, parse: (out) => parseDiscovery(out.stdout.toString('utf8')) };
  return {
    name: 'discovery (host keys, home, PostgreSQL server and service)',
    sh,
    sql: SERVER_FACTS_SQL,
    parse: (out) => {
      const text = out.stdout.toString('utf8');
      const d = parseDiscovery(text);
      if (d.postgresHome === undefined) throw new ProbeParseError(`no home directory for the OS user ${pg.user} (getent passwd ${pg.user})`);
      if (out.sql === undefined) throw new ProbeParseError('no SQL result');
      const server = parseServerFacts(out.sql);
      return { ...d, pgSsl: server.ssl, server, service: parseServiceFacts(text) };
    },
  };
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
