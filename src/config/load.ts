// loadCluster(): a TPA cluster directory → a validated, fully resolved ClusterSpec.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { buildHost, resolveClusterVars } from './hosts.js';
import { IssueList } from './issues.js';
import { normaliseInstances } from './normalise.js';
import { MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { checkSchema } from './schema-issues.js';
import { INSTANCE_KEYS } from './schema.js';
import type { ClusterSpec } from './types.js';
import { collectVarDefinitions } from './var-definitions.js';
import { checkSemantics } from './validate.js';

export interface LoadOptions {
  /** Refuse config files larger than this (default 1 MiB). */
  maxBytes?: number;
}

type Dict = Record<string, unknown>;

function fail(message: string, hint?: string): never {
  throw new ConfigError([hint ? { message, hint } : { message }]);
}

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** Read config.yml, refusing oversized files before reading them whole. */
async function readConfig(dir: string, maxBytes: number): Promise<{ file: string; text: string }> {
  const dirStat = await statOrUndefined(dir);
  if (!dirStat) fail(`cluster directory not found: ${dir}`);
  if (!dirStat.isDirectory()) fail(`not a directory: ${dir}`, 'pass the cluster directory that contains config.yml');
  const file = join(dir, 'config.yml');
  const fileStat = await statOrUndefined(file);
  if (!fileStat) fail(`${file}: file not found`, 'a TPA cluster directory has a config.yml at its top');
  if (!fileStat.isFile()) fail(`${file}: not a regular file`);
  if (fileStat.size > maxBytes) {
    throw new ConfigError([
      {
        message: `file is ${fileStat.size} bytes, more than the ${maxBytes}-byte limit; refusing to parse`,
        pos: { file, line: 1, col: 1 },
        key: 'config.yml',
      },
    ]);
  }
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    fail(`${file}: cannot read the file (${code})`);
  }
}

/** The controller's private key: relative paths are relative to the cluster directory. */
async function resolveKeyFile(data: Dict, absDir: string, issues: IssueList): Promise<string | undefined> {
  const clusterVars = (data['cluster_vars'] ?? {}) as Dict;
  const path = typeof data['ssh_key_file'] === 'string' ? ['ssh_key_file'] : ['cluster_vars', 'ssh_key_file'];
  const value = data['ssh_key_file'] ?? clusterVars['ssh_key_file'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    issues.at(path, 'ssh_key_file must be a path to a private key file');
    return undefined;
  }
  const abs = resolve(absDir, value);
  const st = await statOrUndefined(abs);
  if (!st || !st.isFile()) {
    issues.at(path, `ssh_key_file ${abs} does not exist or is not a file`, {
      hint: 'relative paths are resolved against the cluster directory',
    });
    return undefined;
  }
  return abs;
}

function asList(v: unknown): Dict[] {
  return Array.isArray(v) ? (v as Dict[]) : [];
}

/**
 * Load and validate `<dir>/config.yml`. Throws ConfigError (exit 5) listing every problem
 * found, each with `config.yml:LINE:COL`, the key path and a code frame.
 */
export async function loadCluster(dir: string, opts: LoadOptions = {}): Promise<ClusterSpec> {
  const { file, text } = await readConfig(dir, opts.maxBytes ?? MAX_CONFIG_BYTES);
  const { source, data } = parseConfigText(text, file);
  const issues = new IssueList(source);

  // Structure first: the semantic checks below rely on types being right.
  checkSchema(data, issues);
  issues.throwIfAny();

  const clusterName = data['cluster_name'] as string;
  const locations = asList(data['locations']);
  const instances = normaliseInstances({
    clusterName,
    instances: asList(data['instances']),
    instanceDefaults: (data['instance_defaults'] ?? {}) as Dict,
    locations,
    instanceKeys: new Set<string>(INSTANCE_KEYS),
  });
  const varDefinitions = collectVarDefinitions(data, source);
  checkSemantics({ instances, locations, varDefinitions }, issues);

  const absDir = resolve(dir);
  const sshKeyFile = await resolveKeyFile(data, absDir, issues);
  issues.throwIfAny();

  const clusterVars = (data['cluster_vars'] ?? {}) as Dict;
  const sharedVars = resolveClusterVars(clusterVars, source);
  const spec: ClusterSpec = {
    name: clusterName,
    dir: absDir,
    configFile: resolve(file),
    knownHostsFile: join(absDir, 'tpa_known_hosts'),
    clusterVars,
    hosts: instances.map((inst) => buildHost(inst, sharedVars, locations, source)),
    varDefinitions,
    configText: text,
  };
  if (sshKeyFile) spec.sshKeyFile = sshKeyFile;
  return spec;
}
