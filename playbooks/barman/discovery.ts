// What the Barman play needs to know about each host before it can say what it wants:
// host keys (for the peers' known_hosts), home directories, PostgreSQL's ssl setting.
export interface HostDiscovery {
  hostKeys: Array<{ type: string; blob: string }>;
  postgresHome?: string;
  pgSsl?: boolean;
}

export function discoveryScript(isPostgres: boolean, pgUser: string, pgPort: number): string {
  const lines = ['echo @@hostkeys', 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null'];
  if (isPostgres) {
    lines.push(
      'echo @@home',
      `getent passwd ${pgUser} | cut -d: -f6`,
      'echo @@ssl',
      `cd / && runuser -u ${pgUser} -- psql -XAtq -p ${pgPort} -d postgres -c 'SHOW ssl' 2>/dev/null`,
    );
  }
  lines.push('echo @@end');
  return lines.join('\n') + '\n';
}

export function parseDiscovery(out: string): HostDiscovery {
  const section = (name: string): string => {
    const m = new RegExp(`@@${name}\\n([\\s\\S]*?)(?=\\n@@|$)`).exec(out);
    return m?.[1]?.trim() ?? '';
  };
  const hostKeys = section('hostkeys')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^(ssh-|ecdsa-)/.test(f[0] ?? ''))
    .map((f) => ({ type: f[0] ?? '', blob: f[1] ?? '' }));
  const home = section('home');
  const ssl = section('ssl');
  return { hostKeys, postgresHome: home || undefined, pgSsl: ssl === '' ? undefined : ssl === 'on' };
}
