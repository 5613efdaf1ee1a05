// How the engine logs in to a host's PostgreSQL (peer authentication as its owner).
// Community PostgreSQL on Debian: `psql` on PATH is pg_wrapper, which finds the cluster
// by port. EDB's packages (EPAS, PGE) install no such wrapper and listen on their own
// socket directory: their psql from postgres_bin_dir, through that directory.
import type { PgAccess } from '../../src/engine/scripts.js';
import type { PostgresHostSpec } from './model.js';

const EDB_FLAVOURS: ReadonlySet<string> = new Set(['epas', 'edbpge']);

export function pgAccessFor(p: PostgresHostSpec): PgAccess {
  if (!EDB_FLAVOURS.has(p.flavour)) return { osUser: p.user, port: p.port };
  return { osUser: p.user, port: p.port, psql: `${p.binDir}/psql`, socketDir: p.socketDir };
}
