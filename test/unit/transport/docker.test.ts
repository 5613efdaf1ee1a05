// The docker-exec connector against a stand-in `docker` CLI (a shell script that runs the
// script itself, or fails as docker does): what it runs, and how failures read.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerExecConnector } from '../../../src/transport/docker.js';
import { openSession, ReadOnlyViolation } from '../../../src/transport/connector.js';
import { UnreachableError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tpa-barman-fake-docker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake docker: `inspect` answers from $dir/state-<container>; `exec` logs its argv and runs the script. */
const fake = join(dir, 'docker');
writeFileSync(
  fake,
  `#!/bin/sh
log=${dir}/argv
case "$1" in
inspect) c="$6"; [ -f ${dir}/state-$c ] || { echo "Error: No such container: $c" >&2; exit 1; }; cat ${dir}/state-$c ;;
exec) printf '%s\\n' "$*" >> $log; shift 5; exec "$@" ;;
*) exit 2 ;;
esac
`,
);
chmodSync(fake, 0o755);
writeFileSync(join(dir, 'state-pg1'), 'true\n');
writeFileSync(join(dir, 'state-stopped'), 'false\n');

describe('DockerExecConnector', () => {
  it('runs the script on stdin of /bin/sh -s as root in the container, one exec per script', async () => {
    const session = await openSession(new DockerExecConnector('pg1', 'pg1', fake), { readOnly: false });
    const r = await session.runScript('echo hello; echo oops >&2; exit 3', { readOnly: true, label: 'probe' });
    expect(r).toEqual({ stdout: 'hello\n', stderr: 'oops\n', code: 3 });
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toBe('exec -i -u root pg1 /bin/sh -s\n');
    expect(session.counters).toMatchObject({ connections: 1, channels: 1, bytesOut: 33, bytesIn: 11 });
    session.close();
  });

  it('keeps plan mode read-only', async () => {
    const session = await openSession(new DockerExecConnector('pg1', 'pg1', fake), { readOnly: true });
    await expect(session.runScript('touch /x', { readOnly: false, label: 'change' })).rejects.toBeInstanceOf(ReadOnlyViolation);
  });

  it('names a missing or stopped container, and a missing docker CLI, as unreachable', async () => {
    await expect(new DockerExecConnector('pg9', 'pg9', fake).connect()).rejects.toThrow('pg9: docker container pg9 not found (Error: No such container: pg9)');
    await expect(new DockerExecConnector('s', 'stopped', fake).connect()).rejects.toThrow('docker container stopped is not running');
    const err = await new DockerExecConnector('x', 'x', join(dir, 'no-such-docker')).connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).message).toContain('cannot run');
    expect((err as UnreachableError).hint).toContain('docker CLI');
  });
});
