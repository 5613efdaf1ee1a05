// `tpa-barman ping CLUSTER`: can we reach every host, is its key the one we know, and
// does become work? Exits 4 if a host cannot be reached, 6 if sudo fails on one.
import pLimit from 'p-limit';
import { loadCluster } from '../config/load.js';
import { hostSelected } from '../engine/selection.js';
import { ExitCode } from '../exit-codes.js';
import { ToolError } from '../errors.js';
import { header, writeDocument } from '../report/json.js';
import { checkLimit } from './selection-check.js';
import { openSession } from '../transport/connector.js';
import { makeColors } from '../report/style.js';
import { resolveBarman } from '../../playbooks/barman/inventory.js';
import { connectOptions, connectors, defaultForks, type ConnectionFlags } from './common.js';

export interface PingFlags extends ConnectionFlags {
  json?: boolean;
  color?: boolean;
  verbose?: number;
  limit?: string[];
}

interface PingRow {
  host: string;
  address: string;
  user: string;
  reachable: boolean;
  host_key: 'ok' | 'refused' | 'unknown';
  sudo: 'ok' | 'failed' | 'not needed' | 'unknown';
  ms: number;
  error?: string;
  hint?: string;
}

export async function runPing(dir: string, flags: PingFlags, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const cluster = await loadCluster(dir);
  // The whole configuration is checked, as for every command: a broken one is reported before any connection.
  resolveBarman(cluster);
  checkLimit(flags.limit, cluster.hosts.map((h) => h.name));
  const hosts = cluster.hosts.filter((h) => hostSelected({ limit: flags.limit }, h.name));
  const limit = pLimit(defaultForks(hosts.length, flags));
  const connectorOf = connectors(cluster, flags);
  const opts = connectOptions(cluster, flags);
  const rows = await Promise.all(
    hosts.map((h) =>
      limit(async (): Promise<PingRow> => {
        const row: PingRow = { host: h.name, address: `${h.connectAddress}:${h.ssh.port}`, user: h.ssh.user, reachable: false, host_key: 'unknown', sudo: 'unknown', ms: 0 };
        const t0 = Date.now();
        try {
          const conn = await openSession(connectorOf(h.name), { readOnly: true });
          row.reachable = true;
          row.host_key = 'ok';
          try {
            if (!conn.becomesRoot) {
              row.sudo = 'not needed';
            } else {
              const r = await conn.runScript('true\n', { readOnly: true, label: 'sudo -n true' });
              row.sudo = r.code === 0 ? 'ok' : 'failed';
              if (r.code !== 0) row.error = r.stderr.trim();
            }
          } catch (e) {
            row.sudo = 'failed';
            row.error = (e as Error).message;
            row.hint = e instanceof ToolError ? e.hint : undefined;
          } finally {
            conn.close();
          }
        } catch (e) {
          row.error = (e as Error).message;
          row.hint = e instanceof ToolError ? e.hint : undefined;
          if (/HOST KEY|host key/.test(row.error)) row.host_key = 'refused';
        }
        row.ms = Date.now() - t0;
        return row;
      }),
    ),
  );
  const bad = rows.filter((r) => !r.reachable || r.host_key !== 'ok' || r.sudo === 'failed');
  const exitCode = rows.some((r) => !r.reachable) ? ExitCode.Unreachable : bad.length > 0 ? ExitCode.ReadFailure : ExitCode.Ok;
  if (flags.json) {
    writeDocument(out, header('ping', 'ping', exitCode, cluster.name), {
      hosts: rows,
      unreachable: rows.filter((r) => !r.reachable).map((r) => ({ host: r.host, error: r.error ?? 'not reached', ...(r.hint ? { hint: r.hint } : {}) })),
    });
  } else {
    const c = makeColors(err, flags.color);
    const w = Math.max(...rows.map((r) => r.host.length), 4);
    for (const r of rows) {
      const good = r.reachable && r.host_key === 'ok' && r.sudo !== 'failed';
      const mark = good ? c.green('ok  ') : c.red('FAIL');
      err.write(`${mark} ${r.host.padEnd(w)}  ${r.user}@${r.address}  reachable=${r.reachable ? 'yes' : 'no'}  host_key=${r.host_key}  sudo=${r.sudo}  ${c.dim(`${r.ms} ms`)}\n`);
      if ((flags.verbose ?? 0) >= 1) err.write(c.dim(`     known hosts: ${opts.knownHostsFiles.join(', ')}; key: ${cluster.sshKeyFile ?? 'ssh-agent'}; timeout ${opts.connectTimeoutMs / 1000} s\n`));
      if (r.error) err.write(`     ${c.red(r.error)}\n`);
      if (r.hint) err.write(`     ${c.yellow(`hint: ${r.hint}`)}\n`);
    }
    err.write(bad.length === 0 ? c.green(`\nAll ${rows.length} hosts reachable.\n`) : c.red(`\n${bad.length} of ${rows.length} hosts failed.\n`));
  }
  return exitCode;
}
