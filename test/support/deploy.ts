// `tpa-barman deploy DIR --json`, parsed: the recap, the changes and each host's counters.
import { cli } from './lab.js';

export interface DeployRecap {
  host: string;
  changed: number;
  failed: number;
  unreachable: number;
}

export interface DeployHostCounters {
  host: string;
  connections: number;
  execs: number;
}

export interface DeployDoc {
  recap: DeployRecap[];
  changes: Array<{ host: string; resource: string; status: string; error?: string }>;
  hosts: DeployHostCounters[];
}

/** Deploy (bounded, 15 min); an unparsable stdout leaves an empty document (the code shows why). */
export async function deployJson(dir: string, extra: readonly string[] = []): Promise<{ code: number; doc: DeployDoc; stderr: string }> {
  const r = await cli(['deploy', dir, '--json', ...extra], { timeoutMs: 900_000 });
  let doc: DeployDoc = { recap: [], changes: [], hosts: [] };
  try {
    doc = JSON.parse(r.stdout) as DeployDoc;
  } catch {
    /* leave empty; the code assertion will show stderr */
  }
  return { code: r.code, doc, stderr: r.stderr };
}
