// Where a PostgreSQL instance keeps what the deploy edits, and how it is reloaded and
// restarted: from what the running server said (hba_file, its include directory, the
// service manager found on the host). Before discovery has run (--list-tasks) the paths
// are config.yml's, for display only.
import type { Resource } from '../../src/engine/resource.js';
import { handler } from '../../src/engine/resources/command.js';
import { describeManager, reloadScript, restartScript } from '../../src/engine/postgres-service.js';
import type { PostgresHostSpec } from './model.js';
import { pgAccessFor } from './pg-access.js';

export function hbaPath(p: PostgresHostSpec): string {
  return p.server?.facts.hbaFile ?? `${p.confDir}/pg_hba.conf`;
}

/**
 * Our include file for one setting (`tpa-barman-<slug>.conf`) in the last include
 * directory postgresql.conf reads; undefined when it reads none.
 */
export function settingPath(p: PostgresHostSpec, slug: string): string | undefined {
  if (!p.server) return `${p.confDir}/conf.d/tpa-barman-${slug}.conf`;
  return p.server.includeDir === undefined ? undefined : `${p.server.includeDir}/tpa-barman-${slug}.conf`;
}

/** Why settingPath is undefined, for the conflict that says so. */
export function noIncludeDirReason(p: PostgresHostSpec): string {
  return `PostgreSQL on ${p.name} reads no include directory (there is no include_dir in ${p.server?.facts.configFile ?? 'postgresql.conf'})`;
}

export interface HandlerIds {
  reload: string;
  restart: string;
}

/** The host's reload (pg_reload_conf()) and restart (through its service manager) handlers. */
export function postgresHandlers(p: PostgresHostSpec, ids: HandlerIds, tags: string[]): Resource[] {
  const pg = pgAccessFor(p);
  const m = p.server?.manager;
  return [
    handler({ id: ids.reload, tags, summary: 'reload PostgreSQL', details: ['SELECT pg_reload_conf()'], action: 'reload', run: reloadScript(pg) }),
    handler({
      id: ids.restart,
      tags,
      summary: 'restart PostgreSQL',
      details: [m ? `restart through ${describeManager(m)}` : 'through the service manager found on the host'],
      action: 'restart',
      // A host whose server was not read is never planned; the fallback only refuses.
      run: m && p.server ? restartScript(m, pg, `${p.server.home}/tpa-barman-pg_ctl.log`) : `echo 'how PostgreSQL runs on ${p.name} was not read: not restarting' >&2; exit 1`,
      slow: true,
    }),
  ];
}
