// Debian packages present (optionally pinned). One probe for the whole list.
import type { Conflict } from '../ownership.js';
import type { Change, Fact, ProbeSpec, Resource } from '../resource.js';
import { shellQuote } from '../../util/shell.js';

export interface PackageWant {
  name: string;
  /** apt version; `*` wildcards allowed (e.g. `3.4*`). */
  version?: string;
}

function versionMatches(installed: string, want: string): boolean {
  const re = new RegExp(`^${want.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(installed);
}

export class PackagesResource implements Resource {
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

  probe(): ProbeSpec {
    const names = this.packages.map((p) => shellQuote(p.name)).join(' ');
    return {
      sh: `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${names} 2>/dev/null; echo @@policy; LANG=C apt-cache policy ${names} 2>/dev/null | awk '/^[^ ]/{p=$1} /Candidate:/{print p"\\t"$2}'`,
    };
  }

  conflicts(fact: Fact): Conflict[] {
    if (this.keepInstalledVersions === undefined) return [];
    const installed = installedVersions(fact);
    const out: Conflict[] = [];
    for (const p of this.packages) {
      const v = installed.get(p.name);
      if (p.version !== undefined && v !== undefined && !versionMatches(v, p.version)) {
        out.push({ message: `${p.name} ${v} is installed, this cluster wants ${p.version}: ${this.keepInstalledVersions}` });
      }
    }
    return out;
  }

  plan(fact: Fact): Change | null {
    const policyPart = fact.sh.split('@@policy')[1] ?? '';
    const installed = installedVersions(fact);
    const candidate = new Map<string, string>();
    for (const line of policyPart.split('\n')) {
      const [name, version] = line.split('\t');
      if (name && version) candidate.set(name.replace(/:$/, ''), version);
    }
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

function installedVersions(fact: Fact): Map<string, string> {
  const installed = new Map<string, string>();
  for (const line of (fact.sh.split('@@policy')[0] ?? '').split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status?.startsWith('ii') && version) installed.set(name, version);
  }
  return installed;
}
