// Validates --json documents against the JSON Schemas shipped in src/report/schemas/
// (the contract scripts rely on). Every test that produces a --json document should pass
// it through expectDocument.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { expect } from 'vitest';
import { REPO_ROOT } from './lab.js';

export const SCHEMA_DIR = join(REPO_ROOT, 'src', 'report', 'schemas');

let validators: Map<string, ValidateFunction> | undefined;

/** document kind → compiled validator, for every <kind>.schema.json but common. */
export function schemaValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: true });
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
  for (const f of files) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
  validators = new Map();
  for (const f of files) {
    const kind = f.replace(/\.schema\.json$/, '');
    if (kind === 'common') continue;
    const id = (JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as { $id: string }).$id;
    const v = ajv.getSchema(id);
    if (!v) throw new Error(`schema ${f} did not compile`);
    validators.set(kind, v);
  }
  return validators;
}

export interface JsonDocument {
  schema_version: number;
  document: string;
  command: string;
  ok: boolean;
  exit_code: number;
  cluster: string | null;
  [key: string]: unknown;
}

/**
 * `stdout` is exactly one JSON document, valid against the schema its `document` names,
 * of one of the expected kinds, and its exit_code is `code`. Returns it, parsed.
 */
export function expectDocument(stdout: string, code: number, kinds: readonly string[], context = ''): JsonDocument {
  let doc: JsonDocument;
  try {
    doc = JSON.parse(stdout) as JsonDocument;
  } catch (e) {
    throw new Error(`${context}: stdout is not one JSON document (${(e as Error).message}):\n${stdout.slice(0, 2000)}`);
  }
  expect(kinds, `${context}: document kind`).toContain(doc.document);
  const validate = schemaValidators().get(doc.document);
  if (!validate) throw new Error(`${context}: no schema for document ${doc.document}`);
  const valid = validate(doc);
  expect(valid ? [] : validate.errors, `${context}: ${doc.document} document against its schema`).toEqual([]);
  expect(doc.exit_code, `${context}: exit_code in the document`).toBe(code);
  return doc;
}
