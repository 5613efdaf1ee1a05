// Clusters deployed by an older TPA (or by hand) already have passwords for barman and
// streaming_barman in ~barman/.pgpass, and no copy in our cluster directory. Rotating
// them would be a needless change to working backups: adopt them instead — but only
// when they really authenticate, i.e. match the role's stored SCRAM verifier.
import type { ClusterSpec } from '../../src/config/types.js';
import { HostConnection, type ConnectOptions } from '../../src/transport/connection.js';
import { parsePgpassLine } from '../../src/postgres/pgpass.js';
import { scramVerifierMatches } from '../../src/postgres/scram.js';
import { quoteLiteral } from '../../src/postgres/sql.js';
import { shellQuote } from '../../src/util/shell.js';
import type { BarmanModel } from './model.js';

export type AdoptableUser = 'barman' | 'streaming_barman';

export interface Adopted {
  user: AdoptableUser;
  password: string;
  from: string;
}

async function withConnection<T>(cluster: ClusterSpec, name: string, opts: ConnectOptions, fn: (c: HostConnection) => Promise<T>): Promise<T | undefined> {
  const h = cluster.hosts.find((x) => x.name === name);
  if (!h) return undefined;
  const conn = await HostConnection.open({ name: h.name, address: h.connectAddress, port: h.ssh.port, user: h.ssh.user, privateKeyFile: cluster.sshKeyFile }, opts);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

export async function adoptPasswords(cluster: ClusterSpec, model: BarmanModel, users: AdoptableUser[], opts: ConnectOptions): Promise<Adopted[]> {
  if (users.length === 0) return [];
  const pgHosts = new Set(model.postgresHosts.map((p) => p.name));
  const candidates = new Map<AdoptableUser, { password: string; from: string }>();
  for (const b of model.barmanHosts) {
    const text = await withConnection(cluster, b.name, { ...opts, readOnly: true }, async (c) => {
      const r = await c.runScript(`cat ${shellQuote(`${b.home}/.pgpass`)} 2>/dev/null || true\n`, { readOnly: true, label: 'read .pgpass' });
      return r.stdout;
    });
    for (const line of (text ?? '').split('\n')) {
      const e = parsePgpassLine(line);
      if (!e || !pgHosts.has(e.host)) continue;
      const user = e.user as AdoptableUser;
      if (users.includes(user) && !candidates.has(user)) candidates.set(user, { password: e.password, from: `${b.name}:${b.home}/.pgpass` });
    }
  }
  const primary = model.postgresHosts.find((p) => p.isPrimary);
  if (!primary || candidates.size === 0) return [];
  const verifiers = await withConnection(cluster, primary.name, { ...opts, readOnly: true }, async (c) => {
    const names = [...candidates.keys()].map((u) => quoteLiteral(u)).join(', ');
    const r = await c.runScript(
      `cd / && runuser -u ${shellQuote(primary.user)} -- psql -XAtq -p ${primary.port} -d postgres -F '|' <<'EOF'\nSELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (${names});\nEOF\n`,
      { readOnly: true, label: 'read role verifiers' },
    );
    return r.stdout;
  });
  const adopted: Adopted[] = [];
  for (const line of (verifiers ?? '').split('\n')) {
    const [user, verifier] = line.split('|') as [AdoptableUser, string | undefined];
    const cand = candidates.get(user);
    if (cand && verifier?.startsWith('SCRAM-SHA-256$') && scramVerifierMatches(verifier, cand.password)) {
      adopted.push({ user, password: cand.password, from: cand.from });
    }
  }
  return adopted;
}
