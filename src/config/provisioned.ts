// Reading what `tpaexec provision` writes into a cluster directory's inventory/:
//   inventory/00-<cluster_name>   INI: `[tag_Cluster_<name>]`, then one line per host,
//                                 `<Name> ansible_host=<ip> node=<n> platform=<p>` (docker:
//                                 `<Name> ansible_connection=docker node=<n> platform=docker`)
//   inventory/host_vars/<Name>/   YAML files (01-instance_vars.yml: the instance's addresses,
//                                 location, role, volumes... and its vars)
// (platforms/common/inventory/{inventory.j2,write.yml}). Ansible also reads
// host_vars/<Name>.yml; both are read here, files of a directory in name order.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { isFqdn, isHostname } from './checks/net.js';
import { IssueCollector } from './issues.js';
import { codeFrame } from './frame.js';
import { parseConfigText } from './parse.js';
import { readClusterText } from './safe-text.js';
import type { ConfigSource } from './source.js';
import type { SourcePos } from './types.js';

/** One host line of the static inventory. */
export interface InventoryHost {
  name: string;
  /** key=value pairs of the line (ansible_host, node, platform, ansible_connection, ...). */
  vars: Record<string, string>;
  pos: SourcePos;
}

/** A host variable read from host_vars, with where it was set. */
export interface HostVar {
  value: unknown;
  pos: SourcePos;
  file: string;
}

export interface ProvisionedInventory {
  /** inventory/00-<cluster_name> */
  file: string;
  hosts: Map<string, InventoryHost>;
  /** Host name → variable → value, from host_vars (later files override earlier ones). */
  hostVars: Map<string, Map<string, HostVar>>;
  /** The text of every file read, for code frames. */
  texts: Map<string, string>;
}

const MAX_FILE_BYTES = 1024 * 1024;

async function exists(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

export class InventoryIssues extends IssueCollector {
  constructor(texts: ReadonlyMap<string, string>) {
    super((pos) => {
      const text = texts.get(pos.file);
      return text === undefined ? undefined : codeFrame(text, pos.line, pos.col);
    });
  }
}

/** Ansible INI values: bare words, or '...' / "..." quoted. */
function unquote(v: string): string {
  const m = /^(['"])(.*)\1$/.exec(v);
  return m ? (m[2] ?? '') : v;
}

/** `name k=v k="v w"` → tokens, keeping quoted values whole. */
function tokens(line: string): Array<{ text: string; col: number }> {
  const out: Array<{ text: string; col: number }> = [];
  const re = /(?:[^\s'"]+|'[^']*'|"[^"]*")+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ text: m[0], col: m.index + 1 });
  return out;
}

/** Parse the static inventory file; host lines of every plain [group] section are read. */
export function parseInventoryIni(text: string, file: string, issues: IssueCollector): Map<string, InventoryHost> {
  const hosts = new Map<string, InventoryHost>();
  let section: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const pos = (col: number): SourcePos => ({ file, line: i + 1, col });
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      return;
    }
    // [group:vars] and [group:children] hold no hosts of ours.
    if (section === undefined || section.includes(':')) return;
    const [first, ...rest] = tokens(trimmed);
    if (!first) return;
    const indent = line.length - trimmed.length;
    const vars: Record<string, string> = {};
    for (const t of rest) {
      const eq = t.text.indexOf('=');
      if (eq <= 0) {
        issues.add(`expected key=value after the host name, not ${JSON.stringify(t.text)}`, { pos: pos(indent + t.col) });
        continue;
      }
      vars[t.text.slice(0, eq)] = unquote(t.text.slice(eq + 1));
    }
    const name = first.text;
    // Names become paths (host_vars/<Name>/): only what TPA allows as an instance Name.
    if (!isHostname(name) && !isFqdn(name)) {
      issues.add(`invalid host name ${JSON.stringify(name)}`, { pos: pos(indent + first.col) });
      return;
    }
    if (hosts.has(name)) {
      issues.add(`host ${name} is listed twice`, { pos: pos(indent + first.col) });
      return;
    }
    hosts.set(name, { name, vars, pos: pos(indent + first.col) });
  });
  return hosts;
}

/** host_vars YAML may hold Ansible Vault values (`!vault |`): opaque to us, never parsed. */
const HOST_VARS_TAGS = ['!vault', '!unsafe'];

/** `label` names the file in messages (its path). */
async function readHostVarsFile(dir: string, path: string, label: string, into: Map<string, HostVar>, texts: Map<string, string>, issues: IssueCollector): Promise<void> {
  const st = await stat(path);
  if (st.size > MAX_FILE_BYTES) {
    issues.add(`file is ${st.size} bytes, more than the ${MAX_FILE_BYTES}-byte limit; refusing to parse`, { pos: { file: label, line: 1, col: 1 } });
    return;
  }
  const read = await readClusterText(dir, path);
  if ('problem' in read) {
    issues.add(read.problem, { hint: read.hint });
    return;
  }
  const text = read.text;
  texts.set(label, text);
  if (text.trim() === '' || /^---\s*$/.test(text.trim())) return;
  let parsed: { source: ConfigSource; data: Record<string, unknown> };
  try {
    parsed = parseConfigText(text, label, { allowTags: HOST_VARS_TAGS });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const issue of e.issues) issues.add(issue.message, issue.pos ? { pos: issue.pos } : {});
    return;
  }
  for (const [key, value] of Object.entries(parsed.data)) {
    into.set(key, { value, pos: parsed.source.locate([key], 'key'), file: label });
  }
}

/** The variables Ansible would load for one host from inventory/host_vars. */
async function readHostVars(dir: string, host: string, texts: Map<string, string>, issues: IssueCollector): Promise<Map<string, HostVar>> {
  const vars = new Map<string, HostVar>();
  const base = join(dir, 'inventory', 'host_vars');
  for (const ext of ['.yml', '.yaml']) {
    const f = join(base, host + ext);
    if ((await exists(f)) === 'file') await readHostVarsFile(dir, f, f, vars, texts, issues);
  }
  const hostDir = join(base, host);
  if ((await exists(hostDir)) === 'dir') {
    const names = (await readdir(hostDir)).filter((n) => !n.startsWith('.') && /^[^.]+$|\.(ya?ml|json)$/.test(n)).sort();
    for (const n of names) {
      const f = join(hostDir, n);
      if ((await exists(f)) === 'file') await readHostVarsFile(dir, f, f, vars, texts, issues);
    }
  }
  return vars;
}

/**
 * The provisioned inventory of `dir`, or undefined when `tpaexec provision` has not
 * written one (no inventory/00-<cluster_name>).
 */
export async function readProvisionedInventory(dir: string, clusterName: string, issues: IssueCollector, texts: Map<string, string>): Promise<ProvisionedInventory | undefined> {
  const file = join(dir, 'inventory', `00-${clusterName}`);
  const label = file;
  if ((await exists(file)) !== 'file') return undefined;
  const st = await stat(file);
  if (st.size > MAX_FILE_BYTES) {
    issues.add(`file is ${st.size} bytes, more than the ${MAX_FILE_BYTES}-byte limit; refusing to parse`, { pos: { file: label, line: 1, col: 1 } });
    return undefined;
  }
  const read = await readClusterText(dir, file);
  if ('problem' in read) {
    issues.add(read.problem, { hint: read.hint });
    return undefined;
  }
  const text = read.text;
  texts.set(label, text);
  const hosts = parseInventoryIni(text, label, issues);
  const hostVars = new Map<string, Map<string, HostVar>>();
  for (const name of hosts.keys()) hostVars.set(name, await readHostVars(dir, name, texts, issues));
  return { file: label, hosts, hostVars, texts };
}
