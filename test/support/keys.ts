// A key pair as ssh2's faulty ed25519 generator makes about 1 time in 256: the public
// key lost its leading zero byte (mscdex/ssh2 issues 1390, 1513), and OpenSSH cannot
// load the private key.
import ssh2 from 'ssh2';

export function ssh2BrokenPair(comment = 'barman@old'): { private: string; public: string } {
  for (let i = 0; i < 20_000; i++) {
    const p = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (Buffer.from(p.public.split(' ')[1] ?? '', 'base64').readUInt32BE(15) !== 32) return p;
  }
  throw new Error('ssh2 produced no short key in 20,000 tries');
}
