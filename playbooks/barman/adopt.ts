// Clusters deployed by an older TPA (or by hand) already have passwords for barman and
// streaming_barman in ~barman/.pgpass, and no copy in our cluster directory. Rotating
// them would be a needless change to working backups: adopt them instead — but only
// when they really authenticate, i.e. match the role's stored SCRAM verifier.
import { ToolError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { openSession, type Connector, type ScriptResult, type Session } from '../../src/transport/connector.js';
import { parsePgpassLine } from '../../src/postgres/pgpass.js';
import { scramVerifierMatches } from '../../src/postgres/scram.js';
import { quoteLiteral } from '../../src/postgres/sql.js';
import { shellQuote } from '../../src/util/shell.js';
import { psqlCommand } from '../../src/engine/scripts.js';
import type { BarmanModel } from './model.js';
import { pgAccessFor } from './pg-access.js';

export type AdoptableUser = 'barman' | 'streaming_barman';

export interface Adopted {
  user: AdoptableUser;
  password: string;
  from: string;
}

async function withConnection<T>(connector: Connector, fn: (c: Session) => Promise<T>): Promise<T> {
  const conn = await openSession(connector, { readOnly: true });
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** What a read printed; a read that failed stops the deploy (it must not pass for "nothing there"). */
function checked(host: string, what: string, r: ScriptResult): string {
  if (r.code === 0) return r.stdout;
  const tail = r.stderr.trim().split('\n').slice(-6).join('\n');
  throw new ToolError(`${host}: could not ${what} (exit ${r.code})${tail ? `: ${tail}` : ''}`, ExitCode.HostFailure, `nothing was changed; fix this on ${host} and re-run`);
}

export async function adoptPasswords(model: BarmanModel, users: AdoptableUser[], connectorOf: (host: string) => Connector): Promise<Adopted[]> {
  if (users.length === 0) return [];
  const pgHosts = new Set(model.postgresHosts.map((p) => p.name));
  const candidates = new Map<AdoptableUser, { password: string; from: string }>();
  for (const b of model.barmanHosts) {
    const text = await withConnection(connectorOf(b.name), async (c) => {
      const f = shellQuote(`${b.home}/.pgpass`);
      const r = await c.runScript(`if [ -e ${f} ]; then cat -- ${f}; fi\n`, { readOnly: true, label: 'read .pgpass' });
      return checked(b.name, `read ${b.home}/.pgpass`, r);
    });
    for (const line of text.split('\n')) {
      const e = parsePgpassLine(line);
      if (!e || !pgHosts.has(e.host)) continue;
      const user = e.user as AdoptableUser;
      if (users.includes(user) && !candidates.has(user)) candidates.set(user, { password: e.password, from: `${b.name}:${b.home}/.pgpass` });
    }
  }
  const primary = model.postgresHosts.find((p) => p.isPrimary);
  if (!primary || candidates.size === 0) return [];
  const verifiers = await withConnection(connectorOf(primary.name), async (c) => {
    const names = [...candidates.keys()].map((u) => quoteLiteral(u)).join(', ');
    const r = await c.runScript(
      `cd / && ${psqlCommand(pgAccessFor(primary), "-XAtq -v ON_ERROR_STOP=1 -F '|'")} <<'EOF'\nSELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (${names});\nEOF\n`,
      { readOnly: true, label: 'read role verifiers' },
    );
    return checked(primary.name, 'read the role verifiers (psql)', r);
  });
  const adopted: Adopted[] = [];
  for (const line of verifiers.split('\n')) {
    const [user, verifier] = line.split('|') as [AdoptableUser, string | undefined];
    const cand = candidates.get(user);
    if (cand && verifier?.startsWith('SCRAM-SHA-256$') && scramVerifierMatches(verifier, cand.password)) {
      adopted.push({ user, password: cand.password, from: cand.from });
    }
  }
  return adopted;
}
