// `npm run bench`: every benchmark in turn.
//   inventory-500     config loading and validation of a 500-instance cluster
//   engine-noop       a no-op 30-resource play on 1, 8 and 32 lab hosts
//   ansible-vs-ours   the Barman deploy, tpa-barman vs Ansible 2.14 (issue #10):
//                     first deploy, no-op, plan after drift on 1, 8 and 32 hosts
//                     (RUNS=, SIZES=, SCENARIOS=, ANSIBLE_STRATEGY=; see that file)
//   controller-cpu    tpa-barman alone: controller CPU per host, no-op and plan, 1/8/32 hosts
//   os-families       tpa-barman's first deploy and no-op on Debian 12 beside Debian 13, 1/8 hosts
//   keygen-openssh    10,000 generated key pairs, each checked by `ssh-keygen -y` (KEYS=n)
// BENCHES=name,name runs only those (default: all).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = ['inventory-500', 'engine-noop', 'ansible-vs-ours', 'controller-cpu', 'os-families', 'keygen-openssh'];
const chosen = (process.env.BENCHES ?? all.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const b of chosen) {
  if (!all.includes(b)) throw new Error(`unknown benchmark ${b} (one of ${all.join(', ')})`);
  process.stderr.write(`\n== ${b}\n`);
  execFileSync('node', [join(here, `${b}.js`)], { stdio: 'inherit' });
}
