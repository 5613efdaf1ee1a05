// ssh through bastions (ssh_config's ProxyJump): the controller connects to the first
// hop, opens a direct-tcpip channel (ssh2's forwardOut) from it to the next hop or the
// target, and speaks ssh to the target over that channel. Every hop's host key is
// verified like any host's, against its own known_hosts files; the target's is verified
// as always, under its own names. Hosts behind the same chain of hops share one
// connection to each hop while any of them is connected (so a deploy to N hosts through
// one bastion makes one bastion connection, not N).
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { UnreachableError } from '../errors.js';
import type { ConnectOptions, SshTarget } from './connection.js';
import { connectClient } from './ssh-client.js';

/** One hop, as the inventory resolved it from ssh_config. */
export interface JumpHop {
  /** As written in ProxyJump (for messages and known_hosts lookups by alias). */
  spec: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  /** Where the hop's host key is looked up; unset: the target's files. */
  knownHostsFiles?: string[];
}

interface Bastion {
  client: Promise<Client>;
  /** Tunnels currently open through this hop (its own and those of hops behind it). */
  users: number;
  parent?: Bastion;
}

const bastions = new Map<string, Bastion>();

function chainKey(hops: readonly JumpHop[]): string {
  return hops.map((h) => `${h.user}@${h.address}:${h.port}`).join(' > ');
}

function forwardOut(client: Client, address: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

function release(b: Bastion | undefined): void {
  for (let cur = b; cur; cur = cur.parent) {
    cur.users--;
    if (cur.users === 0) {
      for (const [k, v] of bastions) if (v === cur) bastions.delete(k);
      void cur.client.then((c) => c.end(), () => undefined);
    }
  }
}

/** The (shared) connection to the last hop of `hops`, counted as one more user of each. */
function acquire(hops: readonly JumpHop[], opts: ConnectOptions): Bastion {
  const key = chainKey(hops);
  const existing = bastions.get(key);
  if (existing) {
    for (let cur: Bastion | undefined = existing; cur; cur = cur.parent) cur.users++;
    return existing;
  }
  const hop = hops[hops.length - 1] as JumpHop;
  const parent = hops.length > 1 ? acquire(hops.slice(0, -1), opts) : undefined;
  const target: SshTarget = { name: hop.spec, address: hop.address, port: hop.port, user: hop.user, privateKeyFile: hop.privateKeyFile };
  const hopOpts: ConnectOptions = { ...opts, knownHostsFiles: hop.knownHostsFiles ?? opts.knownHostsFiles };
  const client = (async (): Promise<Client> => {
    const sock = parent ? await forwardOut(await parent.client, hop.address, hop.port) : undefined;
    const c = await connectClient(target, hopOpts, sock);
    c.on('close', () => {
      if (bastions.get(key)?.client === client) bastions.delete(key);
    });
    return c;
  })();
  const b: Bastion = { client, users: 1, parent };
  // A parent's count was raised by acquire() above; this hop's own count is b.users.
  bastions.set(key, b);
  client.catch(() => {
    if (bastions.get(key) === b) bastions.delete(key);
  });
  return b;
}

/**
 * A stream to `address:port` through `hops`, for the target's ssh2 `sock`, and the
 * function that gives the hops back when the target's connection ends.
 */
export async function tunnel(targetName: string, hops: readonly JumpHop[], address: string, port: number, opts: ConnectOptions): Promise<{ sock: Duplex; done: () => void }> {
  const b = acquire(hops, opts);
  const last = hops[hops.length - 1] as JumpHop;
  let client: Client;
  try {
    client = await b.client;
  } catch (err) {
    release(b);
    const e = err as Error & { hint?: string };
    throw new UnreachableError(targetName, `through bastion ${last.spec}: ${e.message.replace(/^[^:]+: /, '')}`, e.hint);
  }
  try {
    const sock = await forwardOut(client, address, port);
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      release(b);
    };
    sock.once('close', done);
    return { sock, done };
  } catch (err) {
    release(b);
    const msg = (err as Error).message;
    throw new UnreachableError(
      targetName,
      `bastion ${last.spec} (${last.address}:${last.port}) could not open a connection to ${address}:${port}: ${msg}`,
      /prohibited/i.test(msg) ? 'the bastion\'s sshd must allow TCP forwarding (AllowTcpForwarding yes)' : `check that ${last.spec} reaches ${address}:${port}`,
    );
  }
}

/** Bastion connections open right now, by chain (for tests and -vvv). */
export function openBastions(): string[] {
  return [...bastions.keys()];
}
