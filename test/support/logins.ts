// How many times the controller logged in to the lab hosts (sshd's "Accepted publickey
// for root" lines in the containers' logs): to prove a command connected nowhere.
import { run, type Lab } from './lab.js';

export async function controllerLogins(lab: Lab): Promise<number> {
  let n = 0;
  for (const h of lab.hosts) {
    const r = await run('docker', ['logs', h.container], { timeoutMs: 30_000 });
    n += (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('Accepted publickey for root ')).length;
  }
  return n;
}
