// TPA cluster directories are often git repositories: the plain-text passwords in
// secrets/ and the private keys in keys/ must not be one `git add -A` away from a
// commit. When a deploy has written them and nothing ignores them yet, a .gitignore is
// written next to them (never into the user's own .gitignore).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const IGNORES = {
  secrets: { probe: 'barman_password', text: '# Written by tpa-barman: passwords in plain text. Never commit them.\n*\n!.gitignore\n' },
  keys: { probe: 'id_barman', text: '# Written by tpa-barman: private ssh keys. Never commit them (the .pub files are fine).\n*\n!*.pub\n!.gitignore\n' },
} as const;

/** Whether git (if this is a work tree) already ignores `path`. */
function gitIgnores(clusterDir: string, path: string): boolean {
  const r = spawnSync('git', ['-C', clusterDir, 'check-ignore', '-q', '--no-index', path], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/** Write <dir>/secrets/.gitignore and <dir>/keys/.gitignore where they are missing and nothing ignores the files. */
export async function ensureSecretsIgnored(clusterDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [sub, { probe, text }] of Object.entries(IGNORES)) {
    const dir = join(clusterDir, sub);
    if (!existsSync(dir) || existsSync(join(dir, '.gitignore'))) continue;
    if (gitIgnores(clusterDir, join(sub, probe))) continue;
    await writeFile(join(dir, '.gitignore'), text, { flag: 'wx', mode: 0o644 }).then(
      () => written.push(join(dir, '.gitignore')),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  return written;
}
