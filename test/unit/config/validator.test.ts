import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_VALIDATOR, configValidatorCode } from '../../../src/config/validator-code.js';
import { configValidator } from '../../../src/config/schema.js';

describe('the precompiled config.yml validator', () => {
  it('is what ajv compiles from CONFIG_SCHEMA today (else run `npm run gen:validator`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', '..', '..', GENERATED_VALIDATOR), 'utf8');
    expect(committed === configValidatorCode(), `${GENERATED_VALIDATOR} is out of date: run \`npm run gen:validator\``).toBe(true);
  });

  it('checks the ip format with the custom check (ajv has no built-in "ip")', () => {
    const validate = configValidator();
    const doc = (ip: string): unknown => ({ cluster_name: 'c', instances: [{ Name: 'a', node: 1, ip_address: ip }] });
    expect(validate(doc('10.0.0.1'))).toBe(true);
    expect(validate(doc('::1'))).toBe(true);
    expect(validate(doc('10.0.0.256'))).toBe(false);
    expect(validate.errors?.map((e) => [e.keyword, e.instancePath])).toEqual([['format', '/instances/0/ip_address']]);
  });
});
