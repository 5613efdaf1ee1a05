// `npm run gen:validator`: rewrite the generated config.yml validator (see validator-code.ts).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_VALIDATOR, configValidatorCode } from './validator-code.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
writeFileSync(join(root, GENERATED_VALIDATOR), configValidatorCode());
process.stdout.write(`wrote ${GENERATED_VALIDATOR}\n`);
