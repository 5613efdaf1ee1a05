GRANT EXECUTE ON FUNCTION pg_catalog.pg_start_backup(text, boolean, boolean) TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stop_backup() TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stop_backup(boolean, boolean) TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_restore_point(text) TO "barman_role";
GRANT "pg_read_all_settings" TO "barman_role";
GRANT "pg_read_all_stats" TO "barman_role";
