import { describe, expect, it } from 'vitest';
import { contentOwner, parseMark, withoutMarkerLines } from '../../../src/engine/ownership.js';
import { ClaimCheckResource } from '../../../src/engine/resources/claim.js';
import { FileRemovalResource } from '../../../src/engine/resources/file-removal.js';
import { parseFileState, sha256, type FileState } from '../../../src/engine/resources/file-state.js';
import { FileResource } from '../../../src/engine/resources/file.js';
import { LineRemovalResource, LinesResource, editLines, lineConflicts, removeOwnedLines, type LinesSpec } from '../../../src/engine/resources/lines.js';
import { PackagesResource, parsePackageState } from '../../../src/engine/resources/packages.js';

/** The fact of an existing file, from what its probe prints (see fileProbe). */
function fileFact(content: string, attrs = 'root root 644'): FileState {
  return parseFileState('/x', Buffer.from(`${attrs} ${Buffer.byteLength(content)}\n${content}`));
}
const NO_FILE: FileState = parseFileState('/x', Buffer.from('ABSENT\n'));

describe('markers', () => {
  it('parse owner, claim and the bare line for each style we write', () => {
    expect(parseMark('10.0.0.1 pg1 # tpa-barman:alpha host=pg1')).toEqual({ owner: 'alpha', claim: 'host=pg1', bare: '10.0.0.1 pg1' });
    expect(parseMark('pg1,10.0.0.1 ssh-ed25519 AAAA tpa-barman:alpha host=pg1')).toEqual({ owner: 'alpha', claim: 'host=pg1', bare: 'pg1,10.0.0.1 ssh-ed25519 AAAA' });
    expect(parseMark('ssh-ed25519 AAAA postgres@alpha tpa-barman:alpha')).toEqual({ owner: 'alpha', claim: undefined, bare: 'ssh-ed25519 AAAA postgres@alpha' });
    expect(parseMark('# tpa-barman:alpha pgpass=pg1:*:*:barman')).toEqual({ owner: 'alpha', claim: 'pgpass=pg1:*:*:barman', bare: '' });
    expect(parseMark('# Managed by tpa-barman -- local changes will be overwritten')).toBeUndefined();
    expect(parseMark('10.0.0.1 pg1')).toBeUndefined();
  });
  it('find a file owner and compare contents without marker lines', () => {
    const a = '; Managed by tpa-barman\n; tpa-barman:alpha\n[barman]\nx = 1\n';
    expect(contentOwner(a)).toBe('alpha');
    expect(contentOwner('[barman]\n')).toBeUndefined();
    expect(withoutMarkerLines(a)).toBe(withoutMarkerLines(a.replace('alpha', 'beta')));
  });
});

describe('line ownership', () => {
  const hosts = (owner: string, entries: Array<{ match: string; line: string; claim?: string }>, path = '/etc/hosts'): LinesSpec => ({
    path,
    owner: 'root',
    group: 'root',
    mode: '0644',
    entries,
    matchMode: 'contains',
    insert: 'bottom',
    tags: [],
    markedBy: owner,
  });
  const hostLine = (owner: string, name: string, ip: string) => ({ match: `# tpa-barman:${owner} host=${name}`, line: `${ip} ${name} # tpa-barman:${owner} host=${name}` });

  it('never matches or rewrites another owner\'s line, even one our match text would hit', () => {
    const before = '127.0.0.1 localhost\nssh-ed25519 KEY postgres@beta tpa-barman:beta\n';
    const after = editLines(before, [{ match: 'KEY', line: 'ssh-ed25519 KEY postgres@alpha tpa-barman:alpha' }], 'contains', 'bottom', 'alpha');
    expect(after).toBe(`${before}ssh-ed25519 KEY postgres@alpha tpa-barman:alpha\n`);
    // without an owner the old behaviour stands: the line is replaced
    expect(editLines(before, [{ match: 'KEY', line: 'new KEY' }], 'contains', 'bottom')).toBe('127.0.0.1 localhost\nnew KEY\n');
  });

  it('adopts an unmarked line (a cluster deployed before markers, or by TPA)', () => {
    const after = editLines('10.0.0.1 pg1\n', [{ match: '10.0.0.1 pg1', line: '10.0.0.1 pg1 # tpa-barman:alpha host=pg1' }], 'prefix', 'bottom', 'alpha');
    expect(after).toBe('10.0.0.1 pg1 # tpa-barman:alpha host=pg1\n');
  });

  it('a claim another owner holds with different content is a conflict; the same content is not', () => {
    const file = '10.0.0.1 pg1 # tpa-barman:alpha host=pg1\n10.0.0.9 barman1 # tpa-barman:alpha host=barman1\n';
    expect(lineConflicts(file, hosts('beta', [hostLine('beta', 'barman1', '10.0.0.9')]))).toEqual([]);
    const c = lineConflicts(file, hosts('beta', [hostLine('beta', 'pg1', '10.0.5.1'), hostLine('beta', 'barman1', '10.0.0.9')]));
    expect(c).toHaveLength(1);
    expect(c[0]?.owner).toBe('alpha');
    expect(c[0]?.message).toContain('host=pg1 belongs to cluster alpha');
    expect(c[0]?.message).toContain('10.0.0.1 pg1');
    // the owner itself never conflicts with its own lines
    expect(lineConflicts(file, hosts('alpha', [hostLine('alpha', 'pg1', '10.0.5.1')]))).toEqual([]);
  });

  it('claims of unmarked data lines (.pgpass) are held by a comment line, written with the line', () => {
    const spec: LinesSpec = {
      ...hosts('alpha', [{ match: 'pg1:*:*:barman:', line: 'pg1:*:*:barman:secretA', claim: 'pgpass=pg1:*:*:barman' }], '/var/lib/barman/.pgpass'),
      matchMode: 'prefix',
      secret: true,
    };
    const r = new LinesResource(spec);
    const created = r.plan(NO_FILE);
    expect(created?.sh).toBeDefined();
    const content = 'other:*:*:x:y\n# tpa-barman:alpha pgpass=pg1:*:*:barman\npg1:*:*:barman:secretA\n';
    expect(editLines('other:*:*:x:y\n', [{ match: '# tpa-barman:alpha pgpass=pg1:*:*:barman', line: '# tpa-barman:alpha pgpass=pg1:*:*:barman' }, { match: 'pg1:*:*:barman:', line: 'pg1:*:*:barman:secretA' }], 'prefix', 'bottom', 'alpha')).toBe(content);
    expect(r.plan(fileFact(content))).toBeNull();
    // beta wants the same name with its own password: a conflict that never shows the secret
    const beta = new LinesResource({ ...spec, markedBy: 'beta', entries: [{ match: 'pg1:*:*:barman:', line: 'pg1:*:*:barman:secretB', claim: 'pgpass=pg1:*:*:barman' }] });
    const c = beta.conflicts(fileFact(content, 'barman barman 600'));
    expect(c.map((x) => x.message)).toEqual(['/var/lib/barman/.pgpass: pgpass=pg1:*:*:barman belongs to cluster alpha']);
    expect(JSON.stringify(c)).not.toContain('secret');
  });

  it('removal takes only the owner\'s lines, and a claimed data line only when nobody else claims it', () => {
    const content = [
      '127.0.0.1 localhost',
      '# tpa-barman:alpha pgpass=pg1:*:*:barman',
      'pg1:*:*:barman:a',
      '# tpa-barman:beta pgpass=pg9:*:*:barman',
      'pg9:*:*:barman:b',
      '10.0.0.1 pg1 # tpa-barman:alpha host=pg1',
      '10.0.0.2 pg9 # tpa-barman:beta host=pg9',
      '',
    ].join('\n');
    const claimedData = [
      { match: 'pg1:*:*:barman:', claim: 'pgpass=pg1:*:*:barman' },
      { match: 'pg9:*:*:barman:', claim: 'pgpass=pg9:*:*:barman' },
    ];
    const { after, removed } = removeOwnedLines(content, { path: 'x', markedBy: 'alpha', claimedData, tags: [] });
    expect(after).toBe('127.0.0.1 localhost\n# tpa-barman:beta pgpass=pg9:*:*:barman\npg9:*:*:barman:b\n10.0.0.2 pg9 # tpa-barman:beta host=pg9\n');
    expect(removed).toHaveLength(3);
    const onlyHosts = removeOwnedLines(content, { path: 'x', markedBy: 'alpha', select: (m) => m.claim === 'host=pg1', tags: [] });
    expect(onlyHosts.removed).toEqual(['10.0.0.1 pg1 # tpa-barman:alpha host=pg1']);
    const r = new LineRemovalResource({ path: '/etc/hosts', markedBy: 'gamma', tags: [] });
    expect(r.plan(fileFact(content))).toBeNull();
    const plan = new LineRemovalResource({ path: '/etc/hosts', markedBy: 'alpha', tags: [], secret: true, claimedData }).plan(fileFact(content));
    expect(plan?.action).toBe('remove');
    expect(plan?.details).toEqual(['- # tpa-barman:alpha pgpass=pg1:*:*:barman', '- (secret line)', '- (secret line)']);
    expect(plan?.guard?.sha256).toBe(sha256(content));
  });
});

describe('file ownership', () => {
  const mine = (content: string, shared = false) =>
    new FileResource({ path: '/etc/barman.conf', content, owner: 'root', group: 'root', mode: '0644', tags: [], markedBy: 'beta', shared: shared ? { override: 'global-config' } : undefined });
  const theirs = '; Managed\n; tpa-barman:alpha\n[barman]\nretention_policy = RECOVERY WINDOW OF 4 WEEKS\n';

  it('another owner\'s file is a conflict', () => {
    const c = mine('; Managed\n; tpa-barman:beta\n[barman]\n').conflicts(fileFact(theirs));
    expect(c).toEqual([{ message: '/etc/barman.conf belongs to cluster alpha', owner: 'alpha' }]);
    expect(mine('x').conflicts(NO_FILE)).toEqual([]);
  });

  it('shared: the same values under another marker are left alone; other values conflict with a diff and an override', () => {
    const same = theirs.replace('alpha', 'beta');
    expect(mine(same, true).conflicts(fileFact(theirs))).toEqual([]);
    expect(mine(same, true).plan(fileFact(theirs))).toBeNull();
    const other = same.replace('4 WEEKS', '2 WEEKS');
    const [c] = mine(other, true).conflicts(fileFact(theirs));
    expect(c?.override).toBe('global-config');
    expect(c?.message).toContain('set by cluster alpha');
    expect(c?.diff).toContain('-retention_policy = RECOVERY WINDOW OF 4 WEEKS');
    expect(c?.diff).toContain('+retention_policy = RECOVERY WINDOW OF 2 WEEKS');
    // overridden, the plan writes ours
    expect(mine(other, true).plan(fileFact(theirs))?.action).toBe('update');
  });

  it('removal: only our marked file; another owner\'s is a conflict; an unmarked one is left with a note', () => {
    const r = new FileRemovalResource({ path: '/etc/barman.d/pg1.conf', markedBy: 'alpha', setAsideTo: '/etc/barman.d/pg1.conf.detached', tags: [] });
    expect(r.plan(fileFact('; tpa-barman:alpha server=pg1\n[pg1]\n'))?.sh).toBe("mv -f /etc/barman.d/pg1.conf /etc/barman.d/pg1.conf.detached");
    expect(r.conflicts(fileFact('; tpa-barman:beta server=pg1\n'))[0]?.owner).toBe('beta');
    expect(r.plan(fileFact('; tpa-barman:beta server=pg1\n'))).toBeNull();
    expect(r.plan(fileFact('[pg1]\n'))).toBeNull();
    expect(r.notes(fileFact('[pg1]\n'))[0]).toContain('no tpa-barman marker');
    expect(r.plan(NO_FILE)).toBeNull();
  });

  it('a claim check conflicts only on another owner\'s file and never changes anything', () => {
    const r = new ClaimCheckResource('/etc/barman.d/pg1.conf.detached', 'beta', 'the kept backups of Barman server pg1', []);
    expect(r.conflicts(fileFact('; tpa-barman:alpha server=pg1\n'))[0]?.message).toBe('the kept backups of Barman server pg1 belong to cluster alpha (/etc/barman.d/pg1.conf.detached)');
    expect(r.conflicts(fileFact('; tpa-barman:beta server=pg1\n'))).toEqual([]);
    expect(r.plan()).toBeNull();
  });
});

describe('package versions on a shared host', () => {
  const fact = parsePackageState(Buffer.from('barman\tii \t3.4.0-1\nrsync\tii \t3.2.7-1\n@@policy\nbarman:\t3.4.0-1\n'));
  it('a pinned version other than the installed one is a conflict, not an upgrade', () => {
    const r = new PackagesResource([{ name: 'barman', version: '3.10*' }, { name: 'rsync' }], [], 'shared host');
    expect(r.conflicts(fact).map((c) => c.message)).toEqual(['barman 3.4.0-1 is installed, this cluster wants 3.10*: shared host']);
    expect(new PackagesResource([{ name: 'barman', version: '3.4*' }], [], 'shared host').conflicts(fact)).toEqual([]);
    expect(new PackagesResource([{ name: 'barman', version: '3.10*' }], []).conflicts(fact)).toEqual([]);
  });
});
