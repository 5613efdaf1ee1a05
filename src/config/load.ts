// loadCluster(): a TPA cluster directory → a validated, fully resolved ClusterSpec.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { readClusterText, type ClusterText } from './safe-text.js';
import { buildHost, resolveClusterVars } from './hosts.js';
import { IssueList } from './issues.js';
import { normaliseInstances, type NormalInstance } from './normalise.js';
import { applyInventory, applySshConfig } from './connection.js';
import { configKeyUse } from './key-use.js';
import { InventoryIssues, readProvisionedInventory } from './provisioned.js';
import { parseSshConfig } from './ssh-config.js';
import { MAX_CONFIG_BYTES, parseConfigText } from './parse.js';
import { checkSchema } from './schema-issues.js';
import type { ClusterSpec } from './types.js';
import { collectVarDefinitions } from './var-definitions.js';
import { checkSemantics } from './validate.js';
import { expandHome } from './paths.js';
import { showValue } from './printable.js';

export interface LoadOptions {
  /** Refuse config files larger than this (default 1 MiB). */
  maxBytes?: number;
  /**
   * Whether ssh_key_file must exist (default true). Commands that never connect
   * (inventory, graph, --list-tasks) pass false: a cluster directory copied from another
   * machine still resolves, and `inventory` shows the key as missing.
   */
  requireKeyFile?: boolean;
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
  let read: ClusterText;
  try {
    read = await readClusterText(dir, file, 'YAML text file');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    fail(`${file}: cannot read the file (${code})`);
  }
  if ('problem' in read) fail(read.problem, read.hint);
  return { file, text: read.text };
}

/**
 * The controller's private key, as ssh would find it: `~/` is the user's home, a
 * relative path is relative to the cluster directory (where TPA runs ssh), and the
 * file may live anywhere.
 */
async function resolveKeyFile(data: Dict, absDir: string, issues: IssueList, required: boolean): Promise<{ path: string; missing: boolean } | undefined> {
  const clusterVars = (data['cluster_vars'] ?? {}) as Dict;
  const path = typeof data['ssh_key_file'] === 'string' ? ['ssh_key_file'] : ['cluster_vars', 'ssh_key_file'];
  const value = data['ssh_key_file'] ?? clusterVars['ssh_key_file'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    issues.at(path, 'ssh_key_file must be a path to a private key file');
    return undefined;
  }
  const expanded = expandHome(value);
  if (expanded.problem) {
    issues.at(path, `ssh_key_file ${showValue(value)}: ${expanded.problem}`);
    return undefined;
  }
  const abs = resolve(absDir, expanded.path);
  const st = await statOrUndefined(abs);
  const missing = !st || !st.isFile();
  if (missing && required) {
    issues.at(path, `ssh_key_file ${abs} does not exist or is not a file`, {
      hint: 'a relative path is resolved against the cluster directory, and ~/ is your home directory',
    });
    return undefined;
  }
  return { path: abs, missing };
}

/** A deployed instance may not depend on one TPA leaves out of the inventory. */
function checkSkippedReferences(deployed: NormalInstance[], skipped: NormalInstance[], issues: IssueList): void {
  const gone = new Set(skipped.map((i) => i.name));
  for (const inst of deployed) {
    for (const key of ['backup', 'upstream']) {
      const f = inst.fields.get(key);
      const names = typeof f?.value === 'string' ? [f.value] : Array.isArray(f?.value) ? f.value : [];
      for (const n of names) {
        if (f && gone.has(String(n))) issues.at(f.path, `${key} ${showValue(n)} is provision_only: true, so it is not deployed`, { hint: 'TPA leaves provision_only instances out of the inventory' });
      }
    }
  }
}

/**
 * The provisioned inventory and ssh_config, over what config.yml says. Problems in those
 * files are reported with their own file:line, and config.yml problems they reveal
 * (an aws instance not provisioned) with config.yml's.
 */
async function applyConnectionFiles(spec: ClusterSpec, deployed: NormalInstance[], skipped: ReadonlySet<string>, configIssues: IssueList): Promise<void> {
  const texts = new Map<string, string>();
  const issues = new InventoryIssues(texts);
  const inventory = await readProvisionedInventory(spec.dir, spec.name, issues, texts);
  if (inventory) spec.inventoryFile = inventory.file;
  const byName = new Map(deployed.map((i) => [i.name, i]));
  applyInventory(
    { hosts: spec.hosts, instances: byName, inventory, skipped, clusterName: spec.name, inventoryLabel: `inventory/00-${spec.name}` },
    issues,
    (inst, message, hint) => configIssues.at(inst.path, message, { hint }),
  );
  const sshConfigPath = join(spec.dir, 'ssh_config');
  const st = await statOrUndefined(sshConfigPath);
  if (st?.isFile()) {
    if (st.size > MAX_CONFIG_BYTES) {
      issues.add(`file is ${st.size} bytes, more than the ${MAX_CONFIG_BYTES}-byte limit; refusing to parse`, { pos: { file: sshConfigPath, line: 1, col: 1 } });
    } else {
      const read = await readClusterText(spec.dir, sshConfigPath);
      if ('problem' in read) {
        issues.add(read.problem, { hint: read.hint });
      } else {
        texts.set(sshConfigPath, read.text);
        const cfg = parseSshConfig(read.text, sshConfigPath, issues);
        applySshConfig(spec.hosts, cfg, spec.dir, issues);
        spec.sshConfigFile = sshConfigPath;
        if (cfg.ignored.length > 0) spec.sshConfigIgnored = cfg.ignored;
      }
    }
  }
  // config.yml's own problems first, then the other files'.
  const all = [...configIssues.issues, ...issues.issues];
  if (all.length > 0) throw new ConfigError(all);
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
    topLevel: data,
  });
  const varDefinitions = collectVarDefinitions(data, source);
  checkSemantics({ data, instances, locations, varDefinitions }, issues);

  const absDir = resolve(dir);
  const sshKey = await resolveKeyFile(data, absDir, issues, opts.requireKeyFile ?? true);
  issues.throwIfAny();

  const clusterVars = (data['cluster_vars'] ?? {}) as Dict;
  const sharedVars = resolveClusterVars(clusterVars, source);
  const deployed = instances.filter((inst) => inst.fields.get('provision_only')?.value !== true);
  const skipped = instances.filter((inst) => !deployed.includes(inst));
  checkSkippedReferences(deployed, skipped, issues);
  issues.throwIfAny();

  const ctx = { clusterVars: sharedVars, locations, source, clusterHasPemServer: instances.some((i) => i.roles.includes('pem-server')) };
  const hosts = deployed.map((inst) => buildHost(inst, ctx));
  const spec: ClusterSpec = {
    name: clusterName,
    dir: absDir,
    configFile: resolve(file),
    knownHostsFile: join(absDir, 'tpa_known_hosts'),
    clusterVars,
    hosts,
    varDefinitions,
    configText: text,
    configKeys: configKeyUse(data),
  };
  if (sshKey) {
    spec.sshKeyFile = sshKey.path;
    if (sshKey.missing) spec.sshKeyMissing = true;
  }
  if (skipped.length > 0) spec.skippedInstances = skipped.map((i) => ({ name: i.name, reason: 'provision_only: true (TPA leaves it out of the inventory)' }));
  await applyConnectionFiles(spec, deployed, new Set(skipped.map((i) => i.name)), issues);
  return spec;
}
