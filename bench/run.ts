// `npm run bench`: every benchmark in turn.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const b of ['inventory-500.js', 'engine-noop.js']) {
  process.stderr.write(`\n== ${b}\n`);
  execFileSync('node', [join(here, b)], { stdio: 'inherit' });
}
