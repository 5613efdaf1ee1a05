// One connection per host for commands that run a few long steps of their own on each
// host (restore-test, restore): hosts concurrently (up to --forks), steps in order on a
// host. Read-only sessions make the transport refuse any step not declared read-only.
import pLimit from 'p-limit';
import type { ClusterSpec } from '../config/types.js';
import { ToolError } from '../errors.js';
import { openSession, type Session } from '../transport/connector.js';
import { connectors, defaultForks, type ConnectionFlags } from './common.js';

export type SessionOutcome<T> = { host: string; reachable: true; value: T } | { host: string; reachable: false; error: string; hint?: string };

export async function withHostSessions<T>(
  cluster: ClusterSpec,
  hosts: readonly string[],
  flags: ConnectionFlags,
  readOnly: boolean,
  work: (conn: Session, host: string) => Promise<T>,
): Promise<Map<string, SessionOutcome<T>>> {
  const limit = pLimit(defaultForks(hosts.length, flags));
  const connectorOf = connectors(cluster, flags);
  const outcomes = await Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<SessionOutcome<T>> => {
        const spec = cluster.hosts.find((h) => h.name === host);
        if (!spec) return { host, reachable: false, error: `${host}: not in the inventory` };
        let conn: Session;
        try {
          conn = await openSession(connectorOf(spec.name), { readOnly });
        } catch (err) {
          const hint = err instanceof ToolError ? err.hint : undefined;
          return { host, reachable: false, error: err instanceof Error ? err.message : String(err), ...(hint ? { hint } : {}) };
        }
        try {
          return { host, reachable: true, value: await work(conn, host) };
        } finally {
          conn.close();
        }
      }),
    ),
  );
  return new Map(outcomes.map((o) => [o.host, o]));
}
