// A digest of what a deploy manages on a lab host: paths (name, owner, group, mode,
// sha256), installed packages, the barman user, and the PostgreSQL catalog state we touch
// (roles and passwords, memberships, function ACLs, slots, settings from files). Equal
// before and after a command means the command changed nothing there.

/** Managed paths on lab hosts; what changes by itself (backups, WAL, locks) is left out. */
export const MANAGED_PATHS = [
  '/etc/barman.conf',
  '/etc/barman.d',
  '/etc/cron.d',
  '/etc/tpa',
  '/etc/hosts',
  '/var/lib/barman/.pgpass',
  '/var/lib/barman/.ssh',
  '/var/lib/barman/.postgresql',
  '/var/lib/postgresql/.ssh',
  '/etc/postgresql',
];

export function digestScript(paths: readonly string[] = MANAGED_PATHS, prune: readonly string[] = []): string {
  const pruneExpr = ["-name '*.lock'", ...prune.map((p) => `-path ${p}`)].join(' -o ');
  return String.raw`for p in ${paths.join(' ')}; do
  [ -e "$p" ] && find "$p" \( ${pruneExpr} \) -prune -o \( -type f -o -type d \) -printf '%p %u %g %m\n' -exec sh -c 'test -f "$1" && sha256sum "$1" || true' sh {} \;
done 2>/dev/null | sort | sha256sum
dpkg-query -W -f='${'$'}{Package} ${'$'}{Version}\n' 2>/dev/null | sha256sum
getent passwd barman; getent group barman
if command -v psql >/dev/null && runuser -u postgres -- psql -XAtqc 'select 1' >/dev/null 2>&1; then
  runuser -u postgres -- psql -XAtq -c "select rolname, rolsuper, rolinherit, rolcanlogin, rolreplication, rolpassword from pg_authid order by 1" | sha256sum
  runuser -u postgres -- psql -XAtq -c "select roleid::regrole, member::regrole from pg_auth_members order by 1,2"
  runuser -u postgres -- psql -XAtq -c "select oid::regprocedure, proacl from pg_proc where proacl is not null and proname like 'pg_%' order by 1"
  runuser -u postgres -- psql -XAtq -c "select slot_name from pg_replication_slots order by 1"
  runuser -u postgres -- psql -XAtq -c "select sourcefile, name, setting from pg_file_settings order by 1, 2, 3"
fi`;
}
