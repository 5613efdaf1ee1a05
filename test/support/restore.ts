// Restore drill: recover a backup from a Barman host onto a PostgreSQL host of the lab,
// start it as a throw-away instance on another port, and run a query on it.
import type { Lab } from './lab.js';

export async function restoreAndQuery(
  lab: Lab,
  opts: { barmanHost: string; server: string; pgHost: string; backupId: string; sql: string; /** point-in-time recovery to this timestamp, then promote */ targetTime?: string },
): Promise<string> {
  const dest = '/var/lib/postgresql/restore-drill';
  const ctl = `${lab.pg.binDir}/pg_ctl -D ${dest}`;
  await lab.exec(opts.pgHost, `runuser -u postgres -- ${ctl} -m immediate stop >/dev/null 2>&1; rm -rf ${dest}`);
  const target = opts.targetTime === undefined ? '' : `--target-time '${opts.targetTime}' --target-action promote `;
  const rec = await lab.exec(
    opts.barmanHost,
    `runuser -u barman -- barman recover --no-get-wal ${target}--remote-ssh-command 'ssh -q postgres@${opts.pgHost}' ${opts.server} ${opts.backupId} ${dest}`,
  );
  if (rec.code !== 0) throw new Error(`barman recover failed:\n${rec.stdout}${rec.stderr}`);
  const started = await lab.exec(
    opts.pgHost,
    [
      `cd ${dest}`,
      // Debian keeps postgresql.conf and pg_hba.conf in /etc, and a TPA-layout copy's own
      // postgresql.conf would listen on the live server's port: give the copy its own.
      `printf "port = 5499\\nlisten_addresses = ''\\nunix_socket_directories = '/tmp'\\n" > postgresql.conf`,
      `printf 'local all all trust\\n' > pg_hba.conf`,
      'chown postgres:postgres postgresql.conf pg_hba.conf',
      `runuser -u postgres -- ${ctl} -l ${dest}/drill.log -w -t 120 start >/dev/null`,
      `runuser -u postgres -- psql -XAt -h /tmp -p 5499 -d postgres -c "${opts.sql}"`,
    ].join(' && '),
  );
  await lab.exec(opts.pgHost, `runuser -u postgres -- ${ctl} -m fast stop >/dev/null 2>&1 || true`);
  if (started.code !== 0) {
    const log = await lab.exec(opts.pgHost, `tail -20 ${dest}/drill.log`);
    throw new Error(`restored copy did not answer:\n${started.stdout}${started.stderr}\n${log.stdout}`);
  }
  return started.stdout.trim();
}
