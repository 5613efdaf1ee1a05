// The cluster's `ssh_config` (written by `tpaexec provision`, often edited by hand to add
// a bastion), read as OpenSSH reads it for `ssh -F ssh_config <Name>`:
//   - `Host` blocks match the alias (the instance Name) against their patterns
//     (`*`, `?`, `!negation`); options before the first Host apply to every host;
//   - for each option the first value obtained wins (so TPA's leading `Host *` block
//     supplies Port, IdentityFile and UserKnownHostsFile to every host);
//   - IdentityFile accumulates; relative paths are relative to the cluster directory
//     (TPA runs ssh from there), `~` is the user's home.
// Options that change where or how we connect and that we cannot honour (Match,
// Include, ProxyCommand) are refused, naming the line, rather than silently ignored.
import { userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { IssueCollector } from './issues.js';
import { expandHome } from './paths.js';
import type { SourcePos } from './types.js';

/** Options tpa-barman honours; every other option is read and ignored. */
export const HONOURED_SSH_OPTIONS = ['host', 'hostname', 'user', 'port', 'identityfile', 'userknownhostsfile', 'proxyjump'] as const;

/** Options whose meaning we cannot reproduce: refusing is safer than connecting elsewhere. */
const REFUSED_SSH_OPTIONS: Readonly<Record<string, string>> = {
  match: 'Match blocks are not supported; use Host blocks',
  include: 'Include is not supported; put the options in this file',
  proxycommand: 'ProxyCommand is not supported; use ProxyJump',
};

interface Line {
  keyword: string;
  /** The keyword as written, for messages. */
  written: string;
  args: string[];
  pos: SourcePos;
}

interface Block {
  patterns: string[];
  lines: Line[];
}

export interface SshConfigFile {
  file: string;
  blocks: Block[];
  /** Options present in the file that tpa-barman reads no value from (for `inventory`). */
  ignored: string[];
}

/** One resolved setting and the line it came from. */
export interface SshSetting<T> {
  value: T;
  pos: SourcePos;
}

/** What ssh_config says about one host alias. */
export interface SshHostConfig {
  hostName?: SshSetting<string>;
  user?: SshSetting<string>;
  port?: SshSetting<number>;
  identityFiles: Array<SshSetting<string>>;
  knownHostsFiles?: SshSetting<string[]>;
  /** The ProxyJump line's hops, `none` already removed. */
  proxyJump?: SshSetting<string[]>;
}

/** Split a line into keyword and arguments, honouring "double quotes" and `key=value`. */
function splitLine(text: string): { words: Array<{ w: string; col: number }>; error?: string } {
  const words: Array<{ w: string; col: number }> = [];
  let i = 0;
  let first = true;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length || text[i] === '#') break;
    const col = i + 1;
    let w = '';
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return { words, error: 'unbalanced quote' };
      w = text.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < text.length && !/\s/.test(text[i] as string) && !(first && text[i] === '=')) w += text[i++];
    }
    words.push({ w, col });
    // `Keyword=value` and `Keyword = value`
    if (first) {
      while (i < text.length && /\s/.test(text[i] as string)) i++;
      if (text[i] === '=') i++;
      first = false;
    }
  }
  return { words };
}

/** Parse the file; problems go to `issues` with file:line:col. */
export function parseSshConfig(text: string, file: string, issues: IssueCollector): SshConfigFile {
  const blocks: Block[] = [{ patterns: ['*'], lines: [] }];
  const ignored = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const { words, error } = splitLine(raw);
    const pos = (col: number): SourcePos => ({ file, line: i + 1, col });
    if (error) {
      issues.add(`ssh_config: ${error}`, { pos: pos(1) });
      return;
    }
    const [kw, ...args] = words;
    if (!kw) return;
    const keyword = kw.w.toLowerCase();
    const refused = REFUSED_SSH_OPTIONS[keyword];
    if (refused) {
      issues.add(`ssh_config: ${refused}`, { pos: pos(kw.col), hint: 'tpa-barman reads ssh_config itself; it never runs ssh' });
      return;
    }
    if (args.length === 0) {
      issues.add(`ssh_config: ${kw.w} needs a value`, { pos: pos(kw.col) });
      return;
    }
    if (keyword === 'host') {
      blocks.push({ patterns: args.map((a) => a.w), lines: [] });
      return;
    }
    if (!(HONOURED_SSH_OPTIONS as readonly string[]).includes(keyword)) ignored.add(kw.w);
    (blocks[blocks.length - 1] as Block).lines.push({ keyword, written: kw.w, args: args.map((a) => a.w), pos: pos(args[0]?.col ?? kw.col) });
  });
  return { file, blocks, ignored: [...ignored] };
}

/** OpenSSH's pattern match: `*` any run, `?` one character, case-insensitive. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** A Host line matches when some pattern matches and no negated one does. */
function blockMatches(patterns: readonly string[], alias: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), alias)) return false;
    } else if (globMatch(p, alias)) matched = true;
  }
  return matched;
}

/** %h %p %r %n %u %d %% in paths and HostName, as ssh expands them. */
function expandTokens(value: string, t: { host: string; alias: string; port: number; user?: string }): string | undefined {
  let bad = false;
  const out = value.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'h':
        return t.host;
      case 'n':
        return t.alias;
      case 'p':
        return String(t.port);
      case 'r':
        return t.user ?? userInfo().username;
      case 'u':
        return userInfo().username;
      case 'd':
        return userInfo().homedir;
      default:
        bad = true;
        return '';
    }
  });
  return bad ? undefined : out;
}

function pathIn(dir: string, p: string): string | undefined {
  const e = expandHome(p);
  if (e.problem) return undefined;
  return isAbsolute(e.path) ? e.path : join(dir, e.path);
}

/** The settings ssh_config gives `alias`, as `ssh -F ssh_config alias` would use them. */
export function lookupSshConfig(cfg: SshConfigFile, alias: string, clusterDir: string, issues: IssueCollector): SshHostConfig {
  const first = new Map<string, Line>();
  const identityLines: Line[] = [];
  for (const b of cfg.blocks) {
    if (!blockMatches(b.patterns, alias)) continue;
    for (const l of b.lines) {
      if (l.keyword === 'identityfile') identityLines.push(l);
      else if (!first.has(l.keyword)) first.set(l.keyword, l);
    }
  }
  const out: SshHostConfig = { identityFiles: [] };
  const portLine = first.get('port');
  let port = 22;
  if (portLine) {
    const n = Number(portLine.args[0]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) issues.add(`ssh_config: Port must be 1 to 65535, not ${JSON.stringify(portLine.args[0])}`, { pos: portLine.pos });
    else {
      port = n;
      out.port = { value: n, pos: portLine.pos };
    }
  }
  const userLine = first.get('user');
  if (userLine) out.user = { value: userLine.args[0] as string, pos: userLine.pos };
  const hostLine = first.get('hostname');
  const host = hostLine ? expandTokens(hostLine.args[0] as string, { host: alias, alias, port, user: out.user?.value }) : undefined;
  if (hostLine && host === undefined) issues.add('ssh_config: HostName uses a %-token tpa-barman does not know', { pos: hostLine.pos });
  if (hostLine && host !== undefined) out.hostName = { value: host, pos: hostLine.pos };
  const tokens = { host: out.hostName?.value ?? alias, alias, port, user: out.user?.value };
  const resolvePath = (l: Line, raw: string): string | undefined => {
    const expanded = expandTokens(raw, tokens);
    const p = expanded === undefined ? undefined : pathIn(clusterDir, expanded);
    if (p === undefined) issues.add(`ssh_config: cannot read the path ${JSON.stringify(raw)} (unknown %-token, or ~user)`, { pos: l.pos });
    return p;
  };
  for (const l of identityLines) {
    if (l.args[0]?.toLowerCase() === 'none') continue;
    const p = resolvePath(l, l.args[0] as string);
    if (p !== undefined) out.identityFiles.push({ value: p, pos: l.pos });
  }
  const khLine = first.get('userknownhostsfile');
  if (khLine && khLine.args[0]?.toLowerCase() !== 'none') {
    const files = khLine.args.map((a) => resolvePath(khLine, a)).filter((p): p is string => p !== undefined);
    out.knownHostsFiles = { value: files, pos: khLine.pos };
  }
  const jumpLine = first.get('proxyjump');
  if (jumpLine && jumpLine.args[0]?.toLowerCase() !== 'none') {
    const hops = jumpLine.args.join(',').split(',').map((h) => h.trim()).filter(Boolean);
    out.proxyJump = { value: hops, pos: jumpLine.pos };
  }
  return out;
}

/** `[user@]host[:port]` of a ProxyJump hop (IPv6 hosts in brackets). */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } | undefined {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(spec);
  if (!m) return undefined;
  const out: { user?: string; host: string; port?: number } = { host: (m[2] as string).replace(/^\[|\]$/g, '') };
  if (m[1]) out.user = m[1];
  if (m[3]) {
    const port = Number(m[3]);
    if (port < 1 || port > 65535) return undefined;
    out.port = port;
  }
  return out;
}
