// Debian packages present (optionally pinned). One probe for the whole list.
import type { Conflict } from '../ownership.js';
import { ProbeParseError, shProbe, type Probe } from '../probe.js';
import type { Change, Resource } from '../resource.js';
import { shellQuote } from '../../util/shell.js';

export interface PackageWant {
  name: string;
  /** apt version; `*` wildcards allowed (e.g. `3.4*`). */
  version?: string;
  /** The repository that provides it when the distribution does not (named in the error). */
  from?: string;
}

export interface PackageState {
  /** Installed (dpkg status `ii`) packages and their versions. */
  installed: Map<string, string>;
  /** apt's candidate version of each package, where it has one. */
  candidate: Map<string, string>;
  /** apt has package lists (without them, candidates are unknown until apt-get update). */
  haveLists: boolean;
}

function versionMatches(installed: string, want: string): boolean {
  const re = new RegExp(`^${want.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(installed);
}

export class PackagesResource implements Resource<PackageState> {
  readonly kind = 'package';
  readonly id: string;
  readonly tags: readonly string[];
  constructor(
    readonly packages: PackageWant[],
    tags: string[],
    /**
     * Set on a host others depend on: a pinned version that differs from the installed
     * one is a conflict (with this reason), not an upgrade or downgrade.
     */
    private readonly keepInstalledVersions?: string,
  ) {
    this.id = `package:${packages.map((p) => p.name).join(',')}`;
    this.tags = tags;
  }

  probe(): Probe<PackageState> {
    const names = this.packages.map((p) => shellQuote(p.name)).join(' ');
    // dpkg-query exits 1 for a package it does not know (not installed): a state, not a
    // failure. Anything else, and a failing apt-cache, is a failed probe.
    const sh = [
      `command -v dpkg-query >/dev/null || { echo 'dpkg-query not found: tpa-barman manages Debian packages (dpkg, apt)' >&2; exit 1; }`,
      `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${names}; _rc=$?; [ "$_rc" -le 1 ] || exit "$_rc"`,
      'echo @@policy',
      `_pol=$(LANG=C apt-cache policy ${names}) || exit $?`,
      `printf '%s\\n' "$_pol" | awk '/^[^ ]/{p=$1} /Candidate:/{print p"\\t"$2}'`,
      'echo @@lists',
      'for _l in /var/lib/apt/lists/*_Packages*; do [ -e "$_l" ] && { echo yes; break; }; done; true',
    ].join('\n');
    return shProbe(`packages ${this.packages.map((p) => p.name).join(' ')}`, sh, parsePackageState);
  }

  conflicts(state: PackageState): Conflict[] {
    const installed = state.installed;
    const out: Conflict[] = [];
    // Not installed and not installable: say which package and where it comes from, before
    // anything changes (apt-get would fail half-way with "Unable to locate package").
    if (state.haveLists) {
      for (const p of this.packages) {
        const c = state.candidate.get(p.name);
        if (installed.has(p.name) || (c !== undefined && c !== '(none)')) continue;
        out.push({
          message: `package ${p.name} is not installed and this host's apt sources do not provide it`,
          hint: p.from ? `${p.name} comes from ${p.from}: add that repository on this host (see the README), then deploy again` : `add an apt repository that provides ${p.name}, then deploy again`,
        });
      }
    }
    if (this.keepInstalledVersions === undefined) return out;
    for (const p of this.packages) {
      const v = installed.get(p.name);
      if (p.version !== undefined && v !== undefined && !versionMatches(v, p.version)) {
        out.push({ message: `${p.name} ${v} is installed, this cluster wants ${p.version}: ${this.keepInstalledVersions}` });
      }
    }
    return out;
  }

  plan(state: PackageState): Change | null {
    const { installed, candidate } = state;
    const missing = this.packages.filter((p) => {
      const v = installed.get(p.name);
      return v === undefined || (p.version !== undefined && !versionMatches(v, p.version));
    });
    if (missing.length === 0) return null;
    const args = missing.map((p) => shellQuote(p.version ? `${p.name}=${p.version}` : p.name)).join(' ');
    const apt = `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=120 ${args}`;
    return {
      action: 'install',
      summary: `install ${missing.map((p) => `${p.name}${p.version ? `=${p.version}` : ''}`).join(' ')}`,
      details: missing.map((p) => `+ ${p.name} ${p.version ?? candidate.get(p.name) ?? '(candidate unknown)'}${installed.has(p.name) ? ` (installed ${installed.get(p.name)})` : ''}`),
      // Offline first (pre-downloaded .debs); refresh the lists only if that fails.
      sh: `export DEBIAN_FRONTEND=noninteractive\n${apt} || { apt-get update -q && ${apt}; }`,
      slow: true,
    };
  }
}

export function parsePackageState(out: Buffer): PackageState {
  const text = out.toString('utf8');
  const at = text.indexOf('@@policy\n');
  if (at < 0) throw new ProbeParseError('no apt-cache policy section');
  const installed = new Map<string, string>();
  for (const line of text.slice(0, at).split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status?.startsWith('ii') && version) installed.set(name, version);
  }
  const listsAt = text.indexOf('@@lists\n', at);
  const candidate = new Map<string, string>();
  for (const line of text.slice(at + '@@policy\n'.length, listsAt < 0 ? undefined : listsAt).split('\n')) {
    const [name, version] = line.split('\t');
    if (name && version) candidate.set(name.replace(/:$/, ''), version);
  }
  const haveLists = listsAt >= 0 && text.slice(listsAt + '@@lists\n'.length).trim() === 'yes';
  return { installed, candidate, haveLists };
}
