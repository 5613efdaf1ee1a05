// `tpa-barman test CLUSTER`: run the Barman checks everywhere and say plainly what fails.
import { join } from 'node:path';
import { loadCluster } from '../config/load.js';
import { ExitCode } from '../exit-codes.js';
import { makeColors } from '../report/style.js';
import { connectOptions, defaultForks, type ConnectionFlags } from './common.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { verifyBarman } from '../../playbooks/barman/verify.js';

export interface TestFlags extends ConnectionFlags {
  json?: boolean;
  color?: boolean;
}

export async function runTest(dir: string, flags: TestFlags, out = process.stdout, err = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  const model = resolveBarman(cluster);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(cluster.dir, 'test', stamp);
  const verdicts = await verifyBarman(cluster, model, { ...connectOptions(cluster, flags), readOnly: true }, outDir, defaultForks(model.barmanHosts.length, flags));
  const rows = verdicts.flatMap((v) =>
    v.reachable
      ? v.servers.map((s) => ({ server: s.server, host: v.host, ok: s.checks.every((c) => c.ok), failing: s.checks.filter((c) => !c.ok).map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)) }))
      : [{ server: '-', host: v.host, ok: false, failing: [`unreachable: ${v.error ?? ''}`] }],
  );
  const failed = rows.filter((r) => !r.ok).length + verdicts.filter((v) => v.reachable && v.checkExit !== 0 && v.servers.every((s) => s.checks.every((c) => c.ok))).length;
  if (flags.json) {
    out.write(`${JSON.stringify({ cluster: cluster.name, output_dir: outDir, ok: failed === 0, servers: rows }, null, 2)}\n`);
  } else {
    const c = makeColors(err, flags.color);
    const w1 = Math.max(6, ...rows.map((r) => r.server.length));
    const w2 = Math.max(4, ...rows.map((r) => r.host.length));
    err.write(`${'SERVER'.padEnd(w1)}  ${'HOST'.padEnd(w2)}  STATUS  FAILING CHECKS\n`);
    for (const r of rows) err.write(`${r.server.padEnd(w1)}  ${r.host.padEnd(w2)}  ${r.ok ? c.green('OK    ') : c.red('FAILED')}  ${r.failing.join('; ')}\n`);
    err.write(`\nRaw outputs: ${outDir}\n`);
    err.write(failed === 0 ? c.green(`All ${rows.length} Barman servers pass their checks.\n`) : c.red(`${failed} failing.\n`));
  }
  if (verdicts.some((v) => !v.reachable)) return ExitCode.Unreachable;
  return failed === 0 ? ExitCode.Ok : ExitCode.HostFailure;
}
