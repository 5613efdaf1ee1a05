// `tpa-barman test`: what TPA's `tpaexec test` does for Barman — `barman check all` and
// `barman diagnose` as the barman user on every Barman host, outputs kept, a verdict.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { parseCheckOutput, type CheckReport } from '../../src/util/check-report.js';
import { openSession, type Connector, type Session } from '../../src/transport/connector.js';
import { shellQuote } from '../../src/util/shell.js';
import type { BarmanModel } from './model.js';

export interface HostVerdict {
  host: string;
  reachable: boolean;
  checkExit?: number;
  diagnoseExit?: number;
  servers: CheckReport[];
  error?: string;
}

/** Which Barman hosts, and which of the two commands (default: all, both). */
export interface VerifyScope {
  hosts?: ReadonlySet<string>;
  check?: boolean;
  diagnose?: boolean;
}

export async function verifyBarman(model: BarmanModel, connectorOf: (host: string) => Connector, outDir: string, forks: number, scope: VerifyScope = {}): Promise<HostVerdict[]> {
  const limit = pLimit(forks);
  return Promise.all(
    model.barmanHosts.filter((b) => !scope.hosts || scope.hosts.has(b.name)).map((b) =>
      limit(async (): Promise<HostVerdict> => {
        let conn: Session | undefined;
        try {
          conn = await openSession(connectorOf(b.name), { readOnly: true });
          const u = shellQuote(b.user);
          const check = scope.check === false ? undefined : await conn.runScript(`cd / && runuser -u ${u} -- /usr/bin/barman check all 2>&1\n`, { readOnly: true, label: 'barman check all', timeoutMs: 300_000 });
          const diag = scope.diagnose === false ? undefined : await conn.runScript(`cd / && runuser -u ${u} -- /usr/bin/barman diagnose 2>&1\n`, { readOnly: true, label: 'barman diagnose', timeoutMs: 300_000 });
          const dir = join(outDir, b.name);
          await mkdir(dir, { recursive: true });
          if (check) await writeFile(join(dir, 'barman-check.txt'), check.stdout);
          if (diag) await writeFile(join(dir, 'barman-diagnose.txt'), diag.stdout);
          return { host: b.name, reachable: true, checkExit: check?.code, diagnoseExit: diag?.code, servers: check ? parseCheckOutput(check.stdout) : [] };
        } catch (err) {
          return { host: b.name, reachable: false, servers: [], error: (err as Error).message };
        } finally {
          conn?.close();
        }
      }),
    ),
  );
}
