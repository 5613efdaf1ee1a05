import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, knownKeyTypes, lookupName, parseKnownHosts, patternsMatch } from '../../../src/transport/known-hosts.js';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}
const A = blob('ssh-ed25519', 'key-a');
const B = blob('ssh-ed25519', 'key-b');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('accepts the matching key for a plain entry', () => {
    const e = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    expect(checkHostKey(e, ['10.0.0.1'], A).status).toBe('ok');
  });
  it('reports a changed key when the host is known with another key', () => {
    const e = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    const v = checkHostKey(e, ['10.0.0.1'], B);
    expect(v.status).toBe('changed');
  });
  it('reports unknown for a host without entries', () => {
    const e = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    expect(checkHostKey(e, ['10.0.0.2'], A).status).toBe('unknown');
  });
  it('matches hashed entries', () => {
    const e = parseKnownHosts(`${hashed('10.0.0.9')} ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    expect(checkHostKey(e, ['10.0.0.9'], A).status).toBe('ok');
    expect(checkHostKey(e, ['10.0.0.8'], A).status).toBe('unknown');
  });
  it('uses [host]:port for non-standard ports, and plain names on 22', () => {
    expect(lookupName('h', 22)).toBe('h');
    expect(lookupName('h', 2222)).toBe('[h]:2222');
    const e = parseKnownHosts(`[10.0.0.1]:2222 ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    expect(checkHostKey(e, [lookupName('10.0.0.1', 2222)], A).status).toBe('ok');
    expect(checkHostKey(e, [lookupName('10.0.0.1', 22)], A).status).toBe('unknown');
  });
  it('honours wildcards, negation and comma lists', () => {
    expect(patternsMatch('pg*,!pg9', 'pg1')).toBe(true);
    expect(patternsMatch('pg*,!pg9', 'pg9')).toBe(false);
    expect(patternsMatch('a,b,c', 'b')).toBe(true);
    expect(patternsMatch('a?', 'ab')).toBe(true);
    // Plain names (compared without a RegExp): whole, case-insensitive, dots literal.
    expect(patternsMatch('PG1.Example.com', 'pg1.example.com')).toBe(true);
    expect(patternsMatch('pg1', 'pg10')).toBe(false);
    expect(patternsMatch('10.0.0.1', '10.0.0.10')).toBe(false);
    expect(patternsMatch('10.0.0.1', '10a0b0c1')).toBe(false);
    expect(patternsMatch('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
    expect(patternsMatch('!10.0.0.1,10.0.0.*', '10.0.0.1')).toBe(false);
  });
  it('refuses revoked keys even if also listed as known', () => {
    const e = parseKnownHosts(`@revoked * ssh-ed25519 ${A.toString('base64')}\n10.0.0.1 ssh-ed25519 ${A.toString('base64')}\n`, 'k');
    expect(checkHostKey(e, ['10.0.0.1'], A).status).toBe('revoked');
  });
  it('lists the key types known for a host', () => {
    const e = parseKnownHosts(`h ssh-ed25519 ${A.toString('base64')}\nh ssh-rsa ${blob('ssh-rsa', 'x').toString('base64')}\n# comment\n`, 'k');
    expect(knownKeyTypes(e, ['h']).sort()).toEqual(['ssh-ed25519', 'ssh-rsa']);
  });
});
