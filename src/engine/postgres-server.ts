// What a running PostgreSQL says about itself: its version, where its data and
// configuration are, its port, and the include directories its main configuration file
// reads. (listen_addresses, which the deploy may change, is read by its own setting's
// probe: discovery holds only what a deploy does not change, so a no-op re-run can
// reuse the last one.) Asked of the server (one SQL value, read as the
// local superuser), never assumed from a packaging layout.
import { ProbeParseError, parseJsonObject } from './probe.js';
import { hostDirname, normalHostPath } from '../util/host-path.js';

export interface PostgresServerFacts {
  /** server_version_num, e.g. 170012. */
  versionNum: number;
  /** The major version: 17 for 170012 (PostgreSQL 10 and later). */
  major: number;
  dataDirectory: string;
  hbaFile: string;
  configFile: string;
  port: number;
  clusterName: string;
  ssl: boolean;
  /** The server's own BINDIR (pg_config), where its pg_ctl and psql are. */
  binDir: string;
  /**
   * Absolute paths of the include_dir directives of the main configuration file, in the
   * order it reads them (relative ones resolved against that file's directory).
   */
  includeDirs: string[];
}

// include_dir takes a quoted string ('' is an escaped quote) or a bare word; a `#`
// starts a comment, so a commented-out directive never matches (the match is anchored
// at the start of a line, with the 'n' flag making ^ match at every line).
const INCLUDE_DIR_RE = String.raw`^[ \t]*include_dir[ \t]*=?[ \t]*(?:'((?:[^']|'')*)'|([^ \t#'\r]+))`;

/**
 * One SQL expression giving the facts as a JSON object. Needs superuser (data_directory,
 * pg_config, pg_read_file): the engine's login to a PostgreSQL host is its superuser.
 */
export const SERVER_FACTS_SQL = [
  'json_build_object(',
  "  'server_version_num', current_setting('server_version_num')::int,",
  "  'data_directory', current_setting('data_directory'),",
  "  'hba_file', current_setting('hba_file'),",
  "  'config_file', current_setting('config_file'),",
  "  'port', current_setting('port')::int,",
  "  'cluster_name', current_setting('cluster_name'),",
  "  'ssl', current_setting('ssl'),",
  "  'bin_dir', (SELECT setting FROM pg_config WHERE name = 'BINDIR'),",
  "  'include_dirs', (SELECT coalesce(json_agg(coalesce(replace(m[1], '''''', ''''), m[2]) ORDER BY n), '[]'::json)",
  `     FROM regexp_matches(pg_read_file(current_setting('config_file')), '${INCLUDE_DIR_RE.replace(/'/g, "''")}', 'gn') WITH ORDINALITY AS t(m, n))`,
  ')',
].join('\n');

const SHAPE = {
  server_version_num: 'number',
  data_directory: 'string',
  hba_file: 'string',
  config_file: 'string',
  port: 'number',
  cluster_name: 'string',
  ssl: 'string',
  bin_dir: 'string',
  include_dirs: 'string[]|null',
} as const;

export function majorOf(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

/** A path as PostgreSQL resolves an include: relative to the including file's directory. */
export function resolveInclude(configFile: string, dir: string): string {
  return normalHostPath(dir.startsWith('/') ? dir : `${hostDirname(configFile)}/${dir}`);
}

/** The JSON the server gave, checked and typed. Throws ProbeParseError. */
export function parseServerFacts(text: string | null): PostgresServerFacts {
  if (text === null) throw new ProbeParseError('PostgreSQL returned no server facts');
  const raw = parseJsonObject(text, SHAPE);
  const includes = raw.include_dirs ?? [];
  if (raw.ssl !== 'on' && raw.ssl !== 'off') throw new ProbeParseError("PostgreSQL's ssl setting is neither on nor off");
  if (!Number.isInteger(raw.server_version_num) || raw.server_version_num < 100000) {
    throw new ProbeParseError('server_version_num is not that of PostgreSQL 10 or later');
  }
  return {
    versionNum: raw.server_version_num,
    major: majorOf(raw.server_version_num),
    dataDirectory: raw.data_directory,
    hbaFile: raw.hba_file,
    configFile: raw.config_file,
    port: raw.port,
    clusterName: raw.cluster_name,
    ssl: raw.ssl === 'on',
    binDir: raw.bin_dir,
    includeDirs: includes.map((d) => resolveInclude(raw.config_file, d)),
  };
}
