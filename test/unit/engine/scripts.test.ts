import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildFactsScript, concurrentGroups, newNonce, parseFacts, parseApply, buildApplyScript, type ApplyItem } from '../../../src/engine/scripts.js';
import { REMOTE_RUNTIME } from '../../../src/engine/remote-runtime.js';

function runSh(script: string): { stdout: string; stderr: string; code: number } {
  const r = spawnSync('/bin/sh', ['-s'], { input: script, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
}

/** Builds a host's apply script (its lock under `dir`, not /var/lock), runs it with sh: stdout and exit code. */
function runApply(items: ApplyItem[], dir: string, nonce: string): { out: string; code: number } {
  const script = buildApplyScript(items, [], undefined, nonce, 'test', 5);
  try {
    return { out: execFileSync('/bin/sh', ['-s'], { input: script, encoding: 'utf8', env: { ...process.env, TPAB_LOCK_DIR: dir } }), code: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { out: err.stdout, code: err.status };
  }
}

describe('batched scripts', () => {
  it('frames probe output so binary and marker-like content survive, byte for byte', () => {
    const nonce = newNonce();
    const cmds = [
      { index: 0, sh: "printf 'a\\nb\\n@@tpab:fake:end:0:0\\n\\351\\r\\n\\000'" },
      { index: 3, sh: 'echo partial; echo "it broke" >&2; exit 7' },
    ];
    const script = buildFactsScript(cmds, undefined, nonce);
    const res = runSh(script);
    const facts = parseFacts(res, nonce, cmds, undefined);
    expect(facts.get(0)).toEqual({ ok: true, out: { stdout: Buffer.from('a\nb\n@@tpab:fake:end:0:0\n\xe9\r\n\0', 'latin1'), sql: undefined } });
    // A non-zero exit is a failure with the probe's own stderr, never its partial output.
    expect(facts.get(3)).toEqual({ ok: false, reason: 'exit 7: it broke' });
  });

  it('a probe whose frame is missing fails with the script\'s own stderr', () => {
    const nonce = newNonce();
    const cmds = [{ index: 0, sh: 'echo fine' }];
    const res = { stdout: '', stderr: 'sh: 1: cannot create /tmp/x: Read-only file system\n', code: 2 };
    expect(parseFacts(res, nonce, cmds, undefined).get(0)).toEqual({
      ok: false,
      reason: 'no output: the facts script stopped before it (exit 2: sh: 1: cannot create /tmp/x: Read-only file system)',
    });
  });

  it('SQL probes: values and NULL come back apart; when psql fails, every SQL probe fails with its message', () => {
    const nonce = newNonce();
    const cmds = [
      { index: 0, sql: "'x'" },
      { index: 1, sql: 'NULL' },
    ];
    const pg = { osUser: 'postgres', port: 5432 };
    const script = buildFactsScript(cmds, pg, nonce);
    expect(script).toContain('ON_ERROR_STOP=1');
    // What psql prints for these (-XAtq; \\echo frames), framed as the script frames it.
    const psqlOut = [`@@tpab:${nonce}:begin:0:sql`, 'x', `@@tpab:${nonce}:end:0:sql`, `@@tpab:${nonce}:begin:1:sql`, `@@tpab:${nonce}:null`, `@@tpab:${nonce}:end:1:sql`, ''].join('\n');
    const frame = (out: string, err: string, rc: number): string =>
      `@@tpab:${nonce}:psql\n${Buffer.from(out).toString('base64')}\n${Buffer.from(err).toString('base64')}\n@@tpab:${nonce}:psql-end:${rc}\n`;
    const ok = parseFacts({ stdout: frame(psqlOut, '', 0), stderr: '', code: 0 }, nonce, cmds, pg);
    expect(ok.get(0)).toEqual({ ok: true, out: { stdout: Buffer.alloc(0), sql: 'x' } });
    expect(ok.get(1)).toEqual({ ok: true, out: { stdout: Buffer.alloc(0), sql: null } });
    const down = 'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n';
    const failed = parseFacts({ stdout: frame('', down, 2), stderr: '', code: 0 }, nonce, cmds, pg);
    for (const i of [0, 1]) {
      const f = failed.get(i);
      expect(f?.ok).toBe(false);
      if (f && !f.ok) expect(f.reason).toBe(`PostgreSQL could not be queried (psql exit 2): ${down.trim()}`);
    }
    // A SQL probe on a host without PostgreSQL access is an error, not a NULL.
    expect(parseFacts({ stdout: '', stderr: '', code: 0 }, nonce, cmds, undefined).get(0)).toEqual({ ok: false, reason: 'internal error: a SQL probe on a host without PostgreSQL access' });
  });

  it('tpab_write replaces a file atomically with owner and mode, and refuses a bad checksum', () => {
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    const content = Buffer.from('hello\n').toString('base64');
    const good = `${REMOTE_RUNTIME}\ntpab_write ${dir}/f ${user} ${group} 0640 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 <<'E'\n${content}\nE\nstat -c %a ${dir}/f; cat ${dir}/f; ls -A ${dir}`;
    expect(execFileSync('/bin/sh', ['-s'], { input: good, encoding: 'utf8' })).toBe(`640\nhello\nf\n`);
    const bad = `${REMOTE_RUNTIME}\ntpab_write ${dir}/f ${user} ${group} 0640 0000 <<'E'\n${Buffer.from('evil\n').toString('base64')}\nE\necho rc=$?; cat ${dir}/f; ls -A ${dir}`;
    const out = execFileSync('/bin/sh', ['-s'], { input: bad, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    expect(out).toBe('rc=1\nhello\nf\n');
  });

  it('apply script stops at the first failing change and reports each result', () => {
    const nonce = newNonce();
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    const { out } = runApply(
      [
        { index: 1, change: { action: 'run', summary: 'one', sh: 'echo one' } },
        { index: 2, change: { action: 'run', summary: 'two', sh: 'echo broken >&2; false' } },
        { index: 5, change: { action: 'run', summary: 'three', sh: `touch ${dir}/three` } },
      ],
      dir,
      nonce,
    );
    const parsed = parseApply(out, nonce);
    expect(parsed.results.get(1)).toEqual({ code: 0, output: 'one\n' });
    expect(parsed.results.get(2)?.code).not.toBe(0);
    expect(parsed.results.get(2)?.output).toContain('broken');
    expect(parsed.results.has(5)).toBe(false);
  });

  it('apply script refuses to write when a guarded file changed since it was read', () => {
    const nonce = newNonce();
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', `echo other > ${dir}/g`]);
    const { code } = runApply([{ index: 0, change: { action: 'update', summary: 'x', sh: `echo ours > ${dir}/g`, guard: { path: `${dir}/g`, sha256: '-' } } }], dir, nonce);
    expect(code).toBe(76);
    expect(execFileSync('cat', [`${dir}/g`], { encoding: 'utf8' })).toBe('other\n');
  });

  it('runs neighbouring changes with the same concurrent key at once, reports each, then stops on a failure', () => {
    const nonce = newNonce();
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    // Each waits (bounded) for the other's file: they can only both succeed if they overlap.
    const meet = (me: string, other: string): string =>
      `touch ${dir}/${me}; i=0; while [ ! -e ${dir}/${other} ]; do i=$((i+1)); [ $i -lt 50 ] || exit 9; sleep 0.1; done; echo ${me} met ${other}`;
    const { out, code } = runApply(
      [
        { index: 0, change: { action: 'run', summary: 'a', sh: meet('a', 'b'), concurrent: 'g' } },
        { index: 1, change: { action: 'run', summary: 'b', sh: meet('b', 'a'), concurrent: 'g' } },
        { index: 2, change: { action: 'run', summary: 'c', sh: 'echo c-broken >&2; false', concurrent: 'h' } },
        { index: 3, change: { action: 'run', summary: 'd', sh: 'echo d', concurrent: 'h' } },
        { index: 4, change: { action: 'run', summary: 'e', sh: `touch ${dir}/e` } },
      ],
      dir,
      nonce,
    );
    const parsed = parseApply(out, nonce);
    expect(parsed.results.get(0)).toEqual({ code: 0, output: 'a met b\n' });
    expect(parsed.results.get(1)).toEqual({ code: 0, output: 'b met a\n' });
    expect(parsed.results.get(2)?.code).not.toBe(0);
    expect(parsed.results.get(2)?.output).toBe('c-broken\n');
    // The rest of a group still runs and is reported; what follows the group does not run.
    expect(parsed.results.get(3)).toEqual({ code: 0, output: 'd\n' });
    expect(parsed.results.has(4)).toBe(false);
    expect(code).toBe(1);
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n')).not.toContain('e');
  });

  it('groups only neighbours with the same key, and never SQL changes', () => {
    const item = (index: number, concurrent?: string, sql?: string[]): { index: number; change: { action: 'run'; summary: string; concurrent?: string; sql?: string[] } } => ({
      index,
      change: { action: 'run', summary: String(index), concurrent, sql },
    });
    const groups = concurrentGroups([item(0, 'x'), item(1, 'x'), item(2), item(3, 'x'), item(4, 'x', ['SELECT 1']), item(5, 'x'), item(6, 'y')]);
    expect(groups.map((g) => g.map((i) => i.index))).toEqual([[0, 1], [2], [3], [4], [5], [6]]);
  });
});
