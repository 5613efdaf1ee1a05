GRANT EXECUTE ON FUNCTION pg_catalog.pg_backup_start(text, boolean) TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_backup_stop(boolean) TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_switch_wal() TO "barman_role";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_restore_point(text) TO "barman_role";
GRANT "pg_read_all_settings" TO "barman_role";
GRANT "pg_read_all_stats" TO "barman_role";
GRANT "pg_checkpoint" TO "barman_role";
