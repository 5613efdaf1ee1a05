// What barman_role needs so a NOSUPERUSER `barman` passes `barman check` and can back up
// (TPA roles/postgres/config/final/tasks/barman_role.yml; Barman's has_backup_privileges).

export interface BarmanRoleGrants {
  /** Function signatures as regprocedure text, for GRANT EXECUTE ON FUNCTION. */
  functions: string[];
  /** Predefined roles barman_role is made a member of. */
  roles: string[];
}

/**
 * The grants for a PostgreSQL major version. PostgreSQL 15 renamed the backup functions
 * (pg_backup_start/stop) and added pg_checkpoint (for `barman switch-wal --force` on
 * Barman >= 3.9). Versions before 10 are refused: Barman needs a superuser there, and
 * pg_switch_wal / pg_read_all_settings do not exist.
 */
export function barmanRoleGrants(pgVersion: number): BarmanRoleGrants {
  if (!Number.isInteger(pgVersion) || pgVersion < 10) {
    throw new RangeError(`PostgreSQL ${pgVersion} is not supported: a non-superuser Barman needs PostgreSQL 10 or later`);
  }
  const backup =
    pgVersion >= 15
      ? ['pg_catalog.pg_backup_start(text, boolean)', 'pg_catalog.pg_backup_stop(boolean)']
      : [
          'pg_catalog.pg_start_backup(text, boolean, boolean)',
          'pg_catalog.pg_stop_backup()',
          'pg_catalog.pg_stop_backup(boolean, boolean)',
        ];
  return {
    functions: [...backup, 'pg_catalog.pg_switch_wal()', 'pg_catalog.pg_create_restore_point(text)'],
    roles: ['pg_read_all_settings', 'pg_read_all_stats', ...(pgVersion >= 15 ? ['pg_checkpoint'] : [])],
  };
}
