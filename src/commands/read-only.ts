// Read-only commands (status, ...): one connection per host, opened read-only, one script
// per host declared read-only, so the transport refuses anything else.
import pLimit from 'p-limit';
import type { ClusterSpec } from '../config/types.js';
import { ToolError } from '../errors.js';
import { openSession, type Session } from '../transport/connector.js';
import { connectors, defaultForks, type ConnectionFlags } from './common.js';

export { parseSections, sectionScript, type Section, type SectionOutput } from '../transport/sections.js';

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
  const connectorOf = connectors(cluster, flags);
  const outputs = await Promise.all(
    jobs.map((job) =>
      limit(async (): Promise<HostOutput> => {
        const spec = cluster.hosts.find((h) => h.name === job.host);
        if (!spec) return { host: job.host, reachable: false, error: 'not in the inventory' };
        let conn: Session | undefined;
        const t0 = Date.now();
        try {
          conn = await openSession(connectorOf(spec.name), { readOnly: true });
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

