// The command-line contract, in-process and without a connection: every option a command
// offers parses and means something, selections that select nothing exit 5 before any
// connection, every --json document (errors too) matches its JSON Schema, config.yml
// outside the cluster directory or not text is refused unshown, and the exit-code table,
// completions and man page come from the same definitions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/commands/main.js';
import { bashCompletion, zshCompletion } from '../../../src/commands/completion.js';
import { manPage } from '../../../src/commands/man-page.js';
import { playTags } from '../../../src/commands/list.js';
import { buildProgram, COMMANDS, DEPLOY_TAGS, DETACH_TAGS } from '../../../src/commands/program.js';
import { loadCluster } from '../../../src/config/load.js';
import { EXIT_CODE_TABLE, exitCodesMarkdown } from '../../../src/exit-codes.js';
import { DOCUMENT_KINDS } from '../../../src/report/json.js';
import { barmanPlay } from '../../../playbooks/barman/deploy.js';
import { BARMAN_HOST_DEFAULTS, BARMAN_SERVER_DEFAULTS, DEFAULT_BARMAN_DEFAULTS, POSTGRES_DEFAULTS, TOLERATED_BARMAN_VARS } from '../../../playbooks/barman/defaults.js';
import { detachPlay } from '../../../playbooks/barman/detach.js';
import { resolveBarman } from '../../../playbooks/barman/inventory.js';
import { expectDocument, SCHEMA_DIR, schemaValidators } from '../../support/schema.js';
import { REPO_ROOT } from '../../support/lab.js';
import { captureStreams } from '../../support/streams.js';

const GOOD = join(import.meta.dirname, '../../fixtures/config/good');
const SINGLE = join(GOOD, 'single-primary');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tpab-cli-'));
  temps.push(d);
  return d;
}

async function cli(...words: string[]): Promise<{ code: number; out: string; err: string }> {
  const s = captureStreams();
  const code = await runCli(['node', 'tpa-barman', ...words], { out: s.out, err: s.err });
  return { code, ...s.text() };
}

describe('JSON Schemas', () => {
  it('one schema per document kind, each compiles (ajv strict), with schema_version in the header', () => {
    const files = readdirSync(SCHEMA_DIR).sort();
    expect(files).toEqual([...DOCUMENT_KINDS.map((k) => `${k}.schema.json`), 'common.schema.json'].sort());
    expect([...schemaValidators().keys()].sort()).toEqual([...DOCUMENT_KINDS].sort());
    const common = JSON.parse(readFileSync(join(SCHEMA_DIR, 'common.schema.json'), 'utf8')) as { definitions: { header: { required: string[] } } };
    expect(common.definitions.header.required).toEqual(['schema_version', 'document', 'command', 'ok', 'exit_code', 'cluster']);
  });

  it('a document missing a required field, or with a wrong type, is rejected', () => {
    const v = schemaValidators().get('list-hosts');
    const good = { schema_version: 1, document: 'list-hosts', command: 'plan', ok: true, exit_code: 0, cluster: 'c', play: 'barman', hosts: ['pg1'] };
    expect(v?.(good)).toBe(true);
    expect(v?.({ ...good, hosts: 'pg1' })).toBe(false);
    expect(v?.({ ...good, schema_version: undefined })).toBe(false);
    expect(v?.({ ...good, exit_code: 42 })).toBe(false);
    expect(v?.({ ...good, document: 'run' })).toBe(false);
  });
});

describe('options: defined once, accepted where they mean something', () => {
  it('ping --limit, status -v, test --tags: parsed (a selection error, not an unknown option)', async () => {
    for (const words of [
      ['ping', SINGLE, '--limit', 'nomatch', '-v'],
      ['status', SINGLE, '-v', '--limit', 'nomatch'],
      ['test', SINGLE, '-vv', '--tags', 'bogus'],
      ['status', SINGLE, '--tags', 'bogus'],
      ['plan', SINGLE, '--diff', '--no-restart', '--limit', 'nomatch'],
      ['deploy', SINGLE, '--check', '--diff', '--keep-going', '--tags', 'bogus'],
      ['detach', SINGLE, '--check', '--tags', 'first-backup'],
    ]) {
      const r = await cli(...words, '--json');
      expect(r.code, words.join(' ')).toBe(5);
      const doc = expectDocument(r.out, 5, ['error'], words.join(' '));
      expect((doc['error'] as { kind: string }).kind, `${words.join(' ')}: ${r.err}`).toBe('selection');
    }
  });

  it('inventory --no-color, graph --no-color and graph --json run; plan --diff --list-hosts runs', async () => {
    const inv = await cli('inventory', SINGLE, '--no-color');
    expect(inv.code, inv.err).toBe(0);
    expect(inv.out).not.toContain('\u001b[');
    const colour = await cli('--color', 'inventory', SINGLE);
    expect(colour.out).toContain('\u001b[1m');
    const g = await cli('graph', SINGLE, '--no-color');
    expect(g.code, g.err).toBe(0);
    expect(g.out).toMatch(/^flowchart LR/);
    const gj = await cli('graph', SINGLE, '--json');
    expect(gj.code, gj.err).toBe(0);
    expectDocument(gj.out, 0, ['graph'], 'graph --json');
    const gf = await cli('graph', SINGLE, '--format', 'json');
    expect(gf.out).toBe(gj.out);
    const p = await cli('plan', SINGLE, '--diff', '--list-hosts', '--json');
    expect(p.code, p.err).toBe(0);
    expect(expectDocument(p.out, 0, ['list-hosts'], 'plan --list-hosts')['hosts']).toEqual(['barman1', 'pg1']);
  });

  it('detach offers neither --override-global-config nor --no-restart; inventory takes no --limit', async () => {
    for (const words of [
      ['detach', SINGLE, '--override-global-config'],
      ['detach', SINGLE, '--no-restart'],
      ['inventory', SINGLE, '--limit', 'pg1'],
      ['plan', SINGLE, '--keep-going'],
    ]) {
      const r = await cli(...words, '--json');
      expect(r.code, words.join(' ')).toBe(5);
      expect(r.err).toMatch(/unknown option/);
      const doc = expectDocument(r.out, 5, ['error'], words.join(' '));
      expect(doc['command']).toBe(words[0]);
      expect((doc['error'] as { kind: string }).kind).toBe('usage');
    }
  });

  it('every command has --help, and its help lists exactly the options it was given', async () => {
    const { program } = buildProgram('0.0.0');
    for (const spec of COMMANDS) {
      const r = await cli(spec.name, '--help');
      expect(r.code, spec.name).toBe(0);
      const cmd = program.commands.find((c) => c.name() === spec.name);
      expect(cmd?.options.length, spec.name).toBe(spec.options.length);
      for (const o of cmd?.options ?? []) expect(r.out, `${spec.name} ${o.flags}`).toContain(o.flags);
      if (spec.tags) expect(r.out.replace(/\s+/g, ' ')).toContain(`(${spec.tags.join(', ')})`);
    }
  });

  it('the tag lists offered are exactly the tags of the plays (deploy, detach)', async () => {
    const deploy = new Set<string>();
    const detach = new Set<string>();
    for (const name of readdirSync(GOOD)) {
      const cluster = await loadCluster(join(GOOD, name));
      const model = resolveBarman(cluster);
      playTags(barmanPlay(cluster, model, {}, {})).forEach((t) => deploy.add(t));
      if (model.barmanHosts.length > 0) playTags(detachPlay(cluster, model, undefined)).forEach((t) => detach.add(t));
    }
    expect([...deploy].sort()).toEqual([...DEPLOY_TAGS]);
    expect([...detach].sort()).toEqual([...DETACH_TAGS]);
  });
});

describe('selections that select nothing exit 5, naming what was asked and what exists, before any connection', () => {
  it.each(['plan', 'deploy', 'test', 'status', 'ping', 'detach'])('%s --limit nomatch', async (command) => {
    const t0 = Date.now();
    const r = await cli(command, SINGLE, '--limit', 'nomatch', '--json', '--connect-timeout', '1');
    expect(r.code).toBe(5);
    expect(Date.now() - t0).toBeLessThan(2000);
    const doc = expectDocument(r.out, 5, ['error'], command);
    expect(doc['error']).toMatchObject({ kind: 'selection', selection: { option: '--limit', asked: ['nomatch'], available: expect.arrayContaining(['pg1', 'barman1']) } });
    expect(r.err).toContain('"nomatch" matches no host');
    expect(r.err).toMatch(/hint: hosts: (barman1, pg1|pg1, barman1)/);
  });

  it.each(['plan', 'deploy', 'test', 'status', 'detach'])('%s --tags bogus', async (command) => {
    const r = await cli(command, SINGLE, '--tags', 'bogus', '--json');
    expect(r.code).toBe(5);
    const doc = expectDocument(r.out, 5, ['error'], command);
    expect(doc['error']).toMatchObject({ kind: 'selection', selection: { option: '--tags', asked: ['bogus'] } });
    expect(r.err).toContain('no task has the tag bogus');
    expect(r.err).toMatch(/hint: tags: \w/);
  });

  it('--skip-tags of an unknown tag, a --limit typo among good names, an exclusion of nothing, and an empty combination', async () => {
    expect((await cli('plan', SINGLE, '--skip-tags', 'first-bakup')).err).toContain('--skip-tags first-bakup: no task has the tag first-bakup');
    expect((await cli('plan', SINGLE, '--limit', 'pg1,pgg1')).err).toContain('"pgg1" matches no host');
    expect((await cli('plan', SINGLE, '--limit', '*,!pg9')).err).toContain('the exclusion !pg9 matches no host');
    const empty = await cli('deploy', SINGLE, '--limit', 'pg1', '--tags', 'first-backup', '--json');
    expect(empty.code).toBe(5);
    expect(empty.err).toContain('--limit pg1 --tags first-backup selects no task on any host');
    expectDocument(empty.out, 5, ['error'], 'empty selection');
    // Listing flags obey the same rule.
    expect((await cli('deploy', SINGLE, '--list-tasks', '--tags', 'bogus')).code).toBe(5);
  });
});

describe('config.yml that is not a text file inside the cluster directory is refused, unshown', () => {
  const SHADOW = 'root:$6$Secr3tSalt$T0pSecretHashValue:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n';

  it('a symlink to a file outside the cluster directory (a stand-in for /etc/shadow)', async () => {
    const outside = tempDir();
    const shadow = join(outside, 'shadow');
    writeFileSync(shadow, SHADOW, { mode: 0o600 });
    const dir = tempDir();
    symlinkSync(shadow, join(dir, 'config.yml'));
    for (const command of ['inventory', 'plan', 'graph', 'deploy']) {
      const r = await cli(command, dir, '--json');
      expect(r.code, command).toBe(5);
      expect(r.err).toContain('outside the cluster directory');
      for (const secret of ['Secr3tSalt', 'T0pSecret', 'root:', 'daemon']) expect(r.out + r.err, `${command}: ${secret}`).not.toContain(secret);
      expectDocument(r.out, 5, ['error'], command);
    }
  });

  it('the other files read from a cluster directory (ssh_config, the provisioned inventory) are held to the same rule', async () => {
    const outside = tempDir();
    const shadow = join(outside, 'shadow');
    writeFileSync(shadow, SHADOW, { mode: 0o600 });
    for (const [file, link] of [
      ['ssh_config', true],
      ['ssh_config', false],
      [join('inventory', '00-speedy'), true],
    ] as const) {
      const dir = tempDir();
      copyFileSync(join(SINGLE, 'config.yml'), join(dir, 'config.yml'));
      mkdirSync(join(dir, 'inventory'));
      if (link) symlinkSync(shadow, join(dir, file));
      else writeFileSync(join(dir, file), Buffer.concat([Buffer.from('Host pg1\n  User x\n'), Buffer.from([0x00, 0x1b]), Buffer.from('SECRETBYTES\n')]));
      const r = await cli('inventory', dir, '--json');
      expect(r.code, `${file}: ${r.err}`).toBe(5);
      expect(r.err).toContain(link ? 'outside the cluster directory' : 'not a text file');
      for (const secret of ['Secr3tSalt', 'T0pSecret', 'daemon', 'SECRETBYTES']) expect(r.out + r.err, `${file}: ${secret}`).not.toContain(secret);
      expect(r.err).not.toContain('\u001b');
      expectDocument(r.out, 5, ['error'], file);
    }
  });

  it('a symlink to another file inside the cluster directory is fine', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    copyFileSync(join(SINGLE, 'config.yml'), join(dir, 'conf', 'real.yml'));
    symlinkSync(join(dir, 'conf', 'real.yml'), join(dir, 'config.yml'));
    expect((await cli('inventory', dir)).code).toBe(0);
  });

  it('a binary file, or text with control characters, is refused without echoing a byte', async () => {
    const dir = tempDir();
    const binary = Buffer.concat([Buffer.from('cluster_name: x\n'), Buffer.from([0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x7f, 0xff, 0xfe]), Buffer.from('SECRETBYTES\n')]);
    writeFileSync(join(dir, 'config.yml'), binary);
    const r = await cli('inventory', dir);
    expect(r.code).toBe(5);
    expect(r.err).toContain('not a YAML text file (not valid UTF-8)');
    expect(r.err).not.toContain('SECRETBYTES');
    expect(r.err).not.toContain('\u001b');
    writeFileSync(join(dir, 'config.yml'), 'cluster_name: x\n# \u001b[2J cleared SECRETBYTES\ninstances: []\n');
    const c = await cli('inventory', dir, '--json');
    expect(c.code).toBe(5);
    expect(c.err).toContain('a control character U+001B on line 2');
    expect(c.out + c.err).not.toContain('SECRETBYTES');
    expectDocument(c.out, 5, ['error'], 'control character');
  });
});

describe('one table of exit codes', () => {
  it('codes are distinct and ascending; help shows them; the README has exactly this table', async () => {
    const codes = EXIT_CODE_TABLE.map((r) => r.code);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    expect(new Set(codes).size).toBe(codes.length);
    const help = await cli('--help');
    for (const r of EXIT_CODE_TABLE) expect(help.out).toContain(`  ${String(r.code).padEnd(4)} ${r.meaning}`);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(exitCodesMarkdown());
  });

  it('a usage error exits 5 and still prints one document with --json; --version exits 0', async () => {
    const r = await cli('deploy', '--json');
    expect(r.code).toBe(5);
    expect(r.err).toContain("missing required argument 'cluster-dir'");
    expectDocument(r.out, 5, ['error'], 'missing argument');
    const bare = await cli();
    expect(bare.code).toBe(5);
    expect(bare.err).toContain('Usage: tpa-barman');
    expect((await cli('help', 'plan')).code).toBe(0);
    const v = await cli('--version');
    expect(v.code).toBe(0);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('the README, for users first', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

  it('spells out every variable tpa-barman reads, in full (a search for any of them finds it)', () => {
    const names = [
      ...Object.keys(BARMAN_SERVER_DEFAULTS),
      ...Object.keys(DEFAULT_BARMAN_DEFAULTS),
      ...Object.keys(BARMAN_HOST_DEFAULTS),
      ...Object.keys(POSTGRES_DEFAULTS),
      ...TOLERATED_BARMAN_VARS,
      'postgres_bin_dir',
      'postgres_conf_dir',
      'cluster_ssh_port',
    ];
    for (const n of names) expect(readme, n).toContain(`\`${n}\``);
  });

  it('links every example directory, and every command is in its command table', () => {
    for (const e of readdirSync(join(REPO_ROOT, 'examples'))) expect(readme).toContain(`](examples/${e}/)`);
    for (const c of COMMANDS) expect(readme).toMatch(new RegExp(`^\\| \`${c.name}[ \`]`, 'm'));
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections.slice(0, 4)).toEqual(['Install', 'Point it at your TPA cluster', 'Supported systems', 'Examples']);
    expect(sections[sections.length - 1]).toBe('Working on tpa-barman');
  });
});

describe('completion and man page, from the same definitions', () => {
  const { program, hints } = buildProgram('0.0.0');

  /** Completions bash offers for a command line (the last word is being completed). */
  function bashComplete(words: string[]): string[] {
    const script = `${bashCompletion(program, hints)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=()
_tpa_barman; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash: commands, each command\'s options, tag lists after a comma, hosts from config.yml, format choices', () => {
    expect(bashComplete(['tpa-barman', ''])).toEqual(expect.arrayContaining(COMMANDS.map((c) => c.name)));
    expect(bashComplete(['tpa-barman', 'pl'])).toEqual(['plan']);
    expect(bashComplete(['tpa-barman', 'plan', '--no-'])).toEqual(expect.arrayContaining(['--no-restart', '--no-color']));
    expect(bashComplete(['tpa-barman', 'detach', '--'])).not.toContain('--override-global-config');
    expect(bashComplete(['tpa-barman', 'plan', SINGLE, '--tags', 'pgpass,fi'])).toEqual(['pgpass,first-backup']);
    expect(bashComplete(['tpa-barman', 'status', SINGLE, '--tags', ''])).toEqual(['backups', 'wal', 'schedule', 'config', 'checks', 'restore']);
    expect(bashComplete(['tpa-barman', 'deploy', SINGLE, '--limit', '']).sort()).toEqual(['barman1', 'pg1']);
    expect(bashComplete(['tpa-barman', 'graph', '--format', 's'])).toEqual(['svg']);
    expect(bashComplete(['tpa-barman', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(bashComplete(['tpa-barman', 'inventory', 'test/fixtures/config/good/sing'])).toEqual(['test/fixtures/config/good/single-primary']);
  });

  it('zsh: a spec for every option of every command; it loads and registers itself when zsh is there', () => {
    const script = zshCompletion(program, hints);
    for (const c of program.commands) {
      if (!COMMANDS.some((s) => s.name === c.name())) continue;
      expect(script).toContain(`        ${c.name()})`);
      for (const o of c.options) expect(script, `${c.name()} ${o.flags}`).toContain(o.long ?? '');
    }
    const zsh = spawnSync('zsh', ['--version'], { encoding: 'utf8' });
    if (zsh.error && process.env.CI !== 'true') return; // structure checked above; CI installs zsh (.ci/run)
    const dir = tempDir();
    writeFileSync(join(dir, '_tpa-barman'), script);
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -d ${dir}/zcompdump; source ${dir}/_tpa-barman; print -r -- $_comps[tpa-barman]`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('_tpa_barman');
  });

  it('the man page names every command, option and exit code, and groff renders it without warnings', () => {
    const page = manPage(program, new Date('2026-12-01T00:00:00Z'));
    expect(page).toMatch(/^\.TH TPA\\-BARMAN 1 "2026-12"/);
    for (const spec of COMMANDS) expect(page).toContain(`.B tpa\\-barman ${spec.name.replace(/-/g, '\\-')}`);
    for (const c of program.commands) for (const o of c.options) expect(page).toContain(`.B ${o.flags.replace(/-/g, '\\-')}`);
    for (const r of EXIT_CODE_TABLE) expect(page).toContain(`.TP\n.B ${r.code}\n`);
    const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
    if (groff.error && process.env.CI !== 'true') return; // groff is in man-db's dependencies on Debian, not everywhere
    expect(groff.stderr).toBe('');
  });
});
