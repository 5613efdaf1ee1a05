// Issue 19: `npm pack` gives a tarball that `npm install -g` installs into a prefix;
// the installed `tpa-barman` works from any directory: --version, completion, the man
// page, a command that reads a cluster directory, and the JSON Schemas it documents.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../support/lab.js';
import { expectDocument } from '../support/schema.js';

describe('the packed tarball installed with npm install -g into a temporary prefix', () => {
  let tmp: string;
  let bin: string;
  const pkg = (): string => join(tmp, 'prefix', 'lib', 'node_modules', 'tpa-barman');

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tpab-pack-'));
    const pack = await run('npm', ['pack', '--pack-destination', tmp], { timeoutMs: 300_000 });
    expect(pack.code, pack.stderr.slice(-3000)).toBe(0);
    const tarballs = readdirSync(tmp).filter((f) => /^tpa-barman-.*\.tgz$/.test(f));
    expect(tarballs).toHaveLength(1);
    // The npm cache filled by `npm ci` serves the dependencies; the registry is asked only for what is missing.
    const install = await run('npm', ['install', '-g', '--prefix', join(tmp, 'prefix'), '--no-audit', '--no-fund', '--prefer-offline', join(tmp, tarballs[0] ?? '')], {
      timeoutMs: 600_000,
      cwd: tmp,
    });
    expect(install.code, install.stderr.slice(-3000)).toBe(0);
    bin = join(tmp, 'prefix', 'bin', 'tpa-barman');
  }, 900_000);
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('tpa-barman --version and completion bash work from another directory, with a PATH of the prefix only', async () => {
    const env = { PATH: `${join(tmp, 'prefix', 'bin')}:${process.env.PATH ?? ''}` };
    const version = await run('tpa-barman', ['--version'], { cwd: '/', env });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const completion = await run(bin, ['completion', 'bash'], { cwd: '/' });
    expect(completion.code, completion.stderr).toBe(0);
    expect(completion.stdout).toContain('complete -F _tpa_barman tpa-barman');
    const check = await run('bash', ['-n'], { input: completion.stdout });
    expect(check.code, check.stderr).toBe(0);
  });

  it('the man page is installed under share/man; the schemas and only built code are in the package', async () => {
    expect(existsSync(join(tmp, 'prefix', 'share', 'man', 'man1', 'tpa-barman.1'))).toBe(true);
    const man = await run('man', ['-l', '-P', 'cat', join(tmp, 'prefix', 'share', 'man', 'man1', 'tpa-barman.1')], { env: { MANWIDTH: '100' } });
    expect(man.code, man.stderr).toBe(0);
    expect(man.stdout).toContain('EXIT STATUS');
    expect(readdirSync(join(pkg(), 'src', 'report', 'schemas'))).toContain('run.schema.json');
    expect(existsSync(join(pkg(), 'dist', 'src', 'cli.js'))).toBe(true);
    expect(existsSync(join(pkg(), 'test'))).toBe(false);
    expect(existsSync(join(pkg(), 'dist', 'bench'))).toBe(false);
  });

  it('the installed tool reads a cluster directory and prints a valid document', async () => {
    const dir = join(REPO_ROOT, 'test', 'fixtures', 'config', 'good', 'two-barman-servers');
    const r = await run(bin, ['inventory', dir, '--json'], { cwd: '/' });
    expect(r.code, r.stderr).toBe(0);
    expectDocument(r.stdout, 0, ['inventory'], 'installed inventory');
    const list = await run(bin, ['plan', dir, '--list-tasks', '--json'], { cwd: '/' });
    expect(list.code, list.stderr).toBe(0);
    expectDocument(list.stdout, 0, ['list-tasks'], 'installed plan --list-tasks');
  });
});
