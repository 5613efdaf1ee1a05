// Turn ajv errors into positioned, readable issues.
import type { IssueList } from './issues.js';
import type { PathSeg } from './keypath.js';
import { closest } from './checks/levenshtein.js';
import { showValue } from './printable.js';
import { INSTANCE_KEYS, configValidator, type SchemaError } from './schema.js';

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return `the string ${showValue(v)}`;
}

/** JSON pointer → path, with numeric segments where the data holds a list. */
function pointerToPath(pointer: string, data: unknown): PathSeg[] {
  if (pointer === '') return [];
  const path: PathSeg[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      path.push(i);
      cur = cur[i];
    } else {
      path.push(seg);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

function describe(err: SchemaError): string | undefined {
  const schema = err.parentSchema as { description?: unknown } | undefined;
  return typeof schema?.description === 'string' ? schema.description : undefined;
}

function report(err: SchemaError, data: unknown, issues: IssueList): void {
  const path = pointerToPath(err.instancePath, data);
  const hint = describe(err);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      issues.at([...path, String(params['missingProperty'])], `missing required key ${String(params['missingProperty'])}`);
      return;
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      issues.at([...path, key], `Unrecognised key ${key} (should it be under vars:?)`, {
        target: 'key',
        hint: () => {
          const suggestion = closest(key, INSTANCE_KEYS);
          return suggestion ? `did you mean ${suggestion}?` : undefined;
        },
      });
      return;
    }
    case 'type': {
      const wanted = String(params['type'])
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      issues.at(path, `must be ${wanted}, not ${typeOf(err.data)}`, { hint });
      return;
    }
    case 'format':
      issues.at(path, `${showValue(err.data)} is not an IPv4 or IPv6 address`, { hint });
      return;
    case 'pattern':
      issues.at(path, `invalid value ${showValue(err.data)}`, { hint });
      return;
    case 'minimum':
    case 'maximum':
      issues.at(path, `${showValue(err.data)} is out of range (${err.keyword} ${String(params['limit'])})`, { hint });
      return;
    case 'minItems':
    case 'minLength':
      issues.at(path, 'must not be empty', { hint });
      return;
    case 'maxItems':
      issues.at(path, `has more than ${String(params['limit'])} entries`, { hint });
      return;
    case 'maxProperties':
      issues.at(path, `has more than ${String(params['limit'])} keys`, { hint });
      return;
    case 'maxLength':
      issues.at(path, `is longer than ${String(params['limit'])} characters`, { hint });
      return;
    default:
      issues.at(path, err.message ?? `fails the ${err.keyword} check`, { hint });
  }
}

/** Validate the document's structure; every violation becomes an issue. */
export function checkSchema(data: unknown, issues: IssueList): void {
  const validate = configValidator();
  if (validate(data)) return;
  for (const err of validate.errors ?? []) report(err, data, issues);
}
