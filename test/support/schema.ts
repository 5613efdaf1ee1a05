// Validates --json documents against the JSON Schemas shipped in src/report/schemas/
// (the contract scripts rely on). cli() in lab.ts checks every --json run with
// documentProblem; tests that want the parsed document use expectDocument.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { expect } from 'vitest';

export const SCHEMA_DIR = fileURLToPath(new URL('../../src/report/schemas/', import.meta.url));

let validators: Map<string, ValidateFunction> | undefined;

/** document kind → compiled validator, for every <kind>.schema.json but common. */
export function schemaValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: true });
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
  const schemas = files.map((f) => ({ kind: f.replace(/\.schema\.json$/, ''), schema: JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as { $id: string } }));
  for (const s of schemas) ajv.addSchema(s.schema);
  validators = new Map();
  for (const s of schemas) {
    if (s.kind === 'common') continue;
    const v = ajv.getSchema(s.schema.$id);
    if (!v) throw new Error(`schema ${s.kind}.schema.json did not compile`);
    validators.set(s.kind, v);
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
 * What is wrong with `stdout` as the one --json document of a run that exited `code`
 * (not one JSON document, no schema for its `document`, invalid against it, another
 * exit_code), or undefined when nothing is.
 */
export function documentProblem(stdout: string, code: number): string | undefined {
  let doc: JsonDocument;
  try {
    doc = JSON.parse(stdout) as JsonDocument;
  } catch (e) {
    return `stdout is not one JSON document (${(e as Error).message}): ${JSON.stringify(stdout.slice(0, 300))}`;
  }
  const kind = String(doc?.document);
  const validate = schemaValidators().get(kind);
  if (!validate) return `no schema for document ${JSON.stringify(doc?.document)} (src/report/schemas/)`;
  if (!validate(doc)) return `${kind} document invalid against its schema: ${JSON.stringify(validate.errors)}`;
  if (doc.exit_code !== code) return `exit_code ${doc.exit_code} in the document, but the process exited ${code}`;
  return undefined;
}

/** `stdout` is a valid document of one of the expected kinds, and its exit_code is `code`. Returns it, parsed. */
export function expectDocument(stdout: string, code: number, kinds: readonly string[], context = ''): JsonDocument {
  expect(documentProblem(stdout, code), context).toBeUndefined();
  const doc = JSON.parse(stdout) as JsonDocument;
  expect(kinds, `${context}: document kind`).toContain(doc.document);
  return doc;
}
