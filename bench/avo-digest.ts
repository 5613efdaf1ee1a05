// Per-host state digest for the correctness gate of bench/ansible-vs-ours.ts: read-only,
// through `docker exec` (not ssh, so it never shows in the sshd counts). Lists every
// managed path with type, owner, group, mode and content; every file under /etc with
// owner, group and mode; users and groups; dpkg state; whether cron runs; and on
// PostgreSQL hosts the catalog: roles and attributes, password verifiers, memberships,
// function ACLs, database ACLs, replication slots, settings in effect.
//
// Normalised on the controller, so that two labs compare equal when the tools left
// them in the same state: lab IP addresses → {ip:<instance>}, the lab subnet → {net},
// ssh host key blobs → {hostkey:<instance>}, passwords → {secret:<name>}, the cluster's
// key pairs → {key:<user>} and "the private key of keys/id_<user>" (a resumed run may
// have new ones), SCRAM verifiers → whether they verify the cluster's password (the
// salt is random). Left out, because they differ from run to run whatever the tool does:
// Barman's own runtime files under the Barman home (server directories, lock files),
// log file contents, timestamps, and each tool's bookkeeping (tpa-barman's
// /var/lock/tpa-barman.*, Ansible's ~root/.ansible).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseScramVerifier, scramVerifierMatches } from '../src/postgres/scram.js';
import { execAll, type Lab, type LabHost } from './avo-lab.js';

export interface HostDigest {
  host: string;
  sha256: string;
  /** The normalised text the digest is taken over (for a diff when two differ). */
  text: string;
}

const PG_PACKAGES = ['barman-cli', 'rsync', 'postgresql-15', 'python3-psycopg2'];
const BARMAN_PACKAGES = ['barman', 'barman-cli', 'python3-barman', 'rsync', 'postgresql-client-15', 'pigz', 'cron'];

function script(h: LabHost): string {
  const common = String.raw`
set -u
cd /
emit() {
  for p in "$@"; do
    if [ -L "$p" ]; then echo "@@link $p -> $(readlink "$p")"
    elif [ -d "$p" ]; then echo "@@dir $p $(stat -c '%U %G %a' -- "$p")"
    elif [ -f "$p" ]; then echo "@@file $p $(stat -c '%U %G %a' -- "$p")"; base64 -w0 -- "$p"; echo
    else echo "@@absent $p"; fi
  done
}
emit_tree() { # DIR: the directory and the files directly in it
  emit "$1"
  [ -d "$1" ] && find "$1" -mindepth 1 -maxdepth 1 | LC_ALL=C sort | while read -r f; do emit "$f"; done
}
echo @@etc
find /etc -xdev -path /etc/ssh -prune -o -printf '%y %U %G %m %p\n' 2>/dev/null | LC_ALL=C sort -k5
echo @@passwd
getent passwd barman postgres || true
getent group barman postgres || true
echo @@cron
if pgrep -x cron >/dev/null; then echo running; else echo 'not running'; fi
emit /etc/hosts
`;
  if (h.kind === 'barman') {
    return `${common}
echo @@dpkg
dpkg-query -W -f='\${Package} \${db:Status-Abbrev} \${Version}\\n' ${BARMAN_PACKAGES.join(' ')} 2>&1
emit /etc/barman.conf /etc/logrotate.d/barman
emit_tree /etc/barman.d
emit_tree /etc/cron.d
emit_tree /etc/tpa
emit /var/lib/barman /var/log/barman /var/lib/barman/.pgpass
emit_tree /var/lib/barman/.ssh
emit_tree /var/lib/barman/.postgresql
`;
  }
  return `${common}
echo @@dpkg
dpkg-query -W -f='\${Package} \${db:Status-Abbrev} \${Version}\\n' ${PG_PACKAGES.join(' ')} 2>&1
emit /var/lib/postgresql
emit_tree /var/lib/postgresql/.ssh
emit /etc/postgresql/15/main/pg_hba.conf /etc/postgresql/15/main/pg_ident.conf /etc/postgresql/15/main/postgresql.conf
emit_tree /etc/postgresql/15/main/conf.d
echo @@catalog
runuser -u postgres -- psql -XAtq -F '|' -d postgres <<'SQL'
SELECT 'role', rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil, rolpassword FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 2;
SELECT 'member', r.rolname, m.rolname, g.rolname, a.admin_option FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.grantor ORDER BY 2, 3;
SELECT 'fn-acl', p.oid::regprocedure, p.proacl FROM pg_proc p WHERE p.proacl IS NOT NULL ORDER BY 2::text;
SELECT 'db-acl', datname, datacl FROM pg_database ORDER BY 2;
SELECT 'slot', slot_name, slot_type, database, temporary FROM pg_replication_slots ORDER BY 2;
SELECT 'setting', name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'ssl', 'password_encryption', 'wal_level', 'max_wal_senders', 'max_replication_slots', 'archive_mode') ORDER BY 2;
SQL
`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Normaliser {
  text(s: string): string;
}

/** The cluster's key pairs (keys/id_<user>, keys/id_<user>.pub): user → private key text and public blob. */
function clusterKeys(dir: string): Map<string, { priv: string; blob: string }> {
  const out = new Map<string, { priv: string; blob: string }>();
  for (const f of readdirSync(join(dir, 'keys'))) {
    const m = /^id_(.+)\.pub$/.exec(f);
    if (!m?.[1]) continue;
    const blob = readFileSync(join(dir, 'keys', f), 'utf8').trim().split(/\s+/)[1] ?? '';
    out.set(m[1], { priv: readFileSync(join(dir, 'keys', `id_${m[1]}`), 'utf8'), blob });
  }
  return out;
}

function normaliser(lab: Lab, secrets: Map<string, string>, userKeys: Map<string, { priv: string; blob: string }>): Normaliser {
  const byIp = [...lab.hosts].sort((a, b) => b.ip.length - a.ip.length);
  const net = lab.subnet.replace(/\.0\/24$/, '.');
  const keys = [...lab.hostKeys].map(([ip, blob]) => ({ blob, name: lab.hosts.find((h) => h.ip === ip)?.instance ?? ip }));
  return {
    text(s: string): string {
      let out = s;
      for (const k of keys) out = out.split(k.blob).join(`{hostkey:${k.name}}`);
      for (const [user, k] of userKeys) if (k.blob) out = out.split(k.blob).join(`{key:${user}}`);
      for (const [name, value] of secrets) out = out.split(value).join(`{secret:${name}}`);
      for (const h of byIp) out = out.replace(new RegExp(`(?<![\\d.])${escapeRe(h.ip)}(?![\\d])`, 'g'), `{ip:${h.instance}}`);
      return out.split(net).join('{net}.');
    },
  };
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The normalised text of one host's raw digest output. */
function normalise(raw: string, n: Normaliser, secrets: Map<string, string>, userKeys: Map<string, { priv: string; blob: string }>): string {
  const out: string[] = [];
  const lines = raw.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const file = /^@@file (\S+) (.*)$/.exec(line);
    if (file) {
      const [, path = '', attrs = ''] = file;
      const content = Buffer.from(lines[i + 1] ?? '', 'base64').toString('utf8');
      i++;
      if (/-----BEGIN OPENSSH PRIVATE KEY-----/.test(content)) {
        const user = [...userKeys].find(([, k]) => k.priv === content)?.[0];
        out.push(`@@file ${path} ${attrs} ${user ? `the private key of keys/id_${user}` : `a private key, sha256 ${sha(content)}`}`);
        continue;
      }
      const body = n.text(content);
      out.push(`@@file ${path} ${attrs} ${Buffer.byteLength(body)} bytes sha256 ${sha(body)}`);
      for (const l of body.split('\n')) out.push(`  | ${l}`);
      continue;
    }
    const role = /^role\|([^|]*)\|(.*)\|([^|]*)$/.exec(line);
    if (role) {
      const [, name = '', attrs = '', verifier = ''] = role;
      let pw = verifier === '' ? 'no password' : 'not a SCRAM-SHA-256 verifier';
      const parsed = parseScramVerifier(verifier);
      if (parsed) {
        const matches = [...secrets].filter(([, value]) => scramVerifierMatches(verifier, value)).map(([k]) => k);
        pw = `SCRAM-SHA-256 iterations ${parsed.iterations}, verifies ${matches.length ? matches.join(',') : 'no known password'}`;
      }
      out.push(`role|${name}|${attrs}|${pw}`);
      continue;
    }
    out.push(n.text(line));
  }
  return out.join('\n');
}

export async function digestLab(lab: Lab): Promise<Map<string, HostDigest>> {
  const secrets = new Map<string, string>();
  for (const name of ['barman', 'streaming_barman']) {
    secrets.set(name, readFileSync(join(lab.dir, 'secrets', `${name}_password`), 'utf8').replace(/\n$/, ''));
  }
  const userKeys = clusterKeys(lab.dir);
  const n = normaliser(lab, secrets, userKeys);
  const raw = await execAll(lab.hosts, script);
  const out = new Map<string, HostDigest>();
  for (const h of lab.hosts) {
    const text = normalise(raw.get(h.instance) ?? '', n, secrets, userKeys);
    out.set(h.instance, { host: h.instance, sha256: sha(text), text });
  }
  return out;
}

/** The hosts whose digests differ, with a short unified-style excerpt of the first. */
export function compareDigests(a: Map<string, HostDigest>, b: Map<string, HostDigest>): { equal: boolean; differing: string[]; excerpt: string } {
  const differing = [...a.keys()].filter((h) => a.get(h)?.sha256 !== b.get(h)?.sha256);
  for (const h of b.keys()) if (!a.has(h) && !differing.includes(h)) differing.push(h);
  let excerpt = '';
  const first = differing[0];
  if (first) {
    const la = (a.get(first)?.text ?? '').split('\n');
    const lb = (b.get(first)?.text ?? '').split('\n');
    const sa = new Set(la);
    const sb = new Set(lb);
    const onlyA = la.filter((l) => !sb.has(l)).slice(0, 15);
    const onlyB = lb.filter((l) => !sa.has(l)).slice(0, 15);
    excerpt = [`host ${first}:`, ...onlyA.map((l) => `- ${l}`), ...onlyB.map((l) => `+ ${l}`)].join('\n');
  }
  return { equal: differing.length === 0, differing, excerpt };
}
