// Typed facts. A probe declares what it runs on a host and how its output becomes a
// typed value; resources receive that value, never raw strings.
//
// API (issue #15):
//   interface Probe<T> { name; sh?; sql?; parse(out: ProbeOutput): T }
//   shProbe(name, sh, parse(stdout: Buffer))        POSIX sh, run as root; stdout is the fact, byte for byte
//   sqlProbe(name, sql, parse(value: string|null))  one text value, run as the PostgreSQL superuser
//   sqlJsonProbe(name, sql, shape)                  the value is a JSON object (or NULL), checked against shape
//   NO_PROBE                                        reads nothing (handlers)
//
// The runner batches every probe of a host into one facts script (all SQL in one psql)
// and runs each distinct probe once: probes with the same name, sh and sql are the same
// probe (build them with the same factory and arguments). A probe FAILS, and its host
// is in error (never planned with a made-up value), when its sh exits non-zero, when its
// output frame is missing, when its SQL errors or PostgreSQL cannot be reached, or when
// parse throws. The error names the host, the probe and the tail of its stderr (or
// PostgreSQL's own message). So a probe's sh must exit 0 for every state it can
// describe (absent, empty...) and non-zero only when it could not look.
// parse must throw when the output does not make sense; its message is shown to the
// user, so it must not quote the output (it may hold secrets).

export interface ProbeOutput {
  /** What the sh part printed on stdout, byte for byte; empty when the probe has no sh. */
  stdout: Buffer;
  /** The SQL part's value: text, null for SQL NULL; undefined when the probe has no SQL. */
  sql: string | null | undefined;
}

export interface Probe<T> {
  /** What it reads, for errors: `file /etc/hosts`, `role barman`. */
  readonly name: string;
  /** POSIX sh, run as root with stdin closed, in its own subshell. */
  readonly sh?: string;
  /** An expression or scalar subquery giving one text value, e.g. `(SELECT ...)`. */
  readonly sql?: string;
  parse(out: ProbeOutput): T;
}

/** A probe's output did not make sense. The message is shown; it never quotes the output. */
export class ProbeParseError extends Error {
  override name = 'ProbeParseError';
}

/** Identity of a probe on a host: equal keys are run and parsed once. */
export function probeKey(p: Probe<unknown>): string {
  return `${p.name}\0${p.sh ?? ''}\0${p.sql ?? ''}`;
}

/** What a probe's command is: probes with equal commands share one run. */
export function commandKey(p: Probe<unknown>): string {
  return `${p.sh ?? ''}\0${p.sql ?? ''}`;
}

export function shProbe<T>(name: string, sh: string, parse: (stdout: Buffer) => T): Probe<T> {
  return { name, sh, parse: (out) => parse(out.stdout) };
}

export function sqlProbe<T>(name: string, sql: string, parse: (value: string | null) => T): Probe<T> {
  return {
    name,
    sql,
    parse: (out) => {
      if (out.sql === undefined) throw new ProbeParseError('no SQL result');
      return parse(out.sql);
    },
  };
}

/** Reads nothing: for handlers and commands that always run. */
export const NO_PROBE: Probe<undefined> = { name: 'nothing', parse: () => undefined };

/** The stdout of a shell probe as text, one line per state word: `running`, `absent`... */
export function oneWord<W extends string>(stdout: Buffer, words: readonly W[]): W {
  const text = stdout.toString('utf8').trim();
  const found = words.find((w) => w === text);
  if (found === undefined) throw new ProbeParseError(`expected one of ${words.join(', ')}`);
  return found;
}

export function parseCount(stdout: Buffer): number {
  const text = stdout.toString('utf8').trim();
  if (!/^\d+$/.test(text)) throw new ProbeParseError('expected a count');
  return Number(text);
}

// -------------------------------------------------------------------------------------
// JSON values from SQL, checked field by field (no unchecked casts).

export type JsonField = 'boolean' | 'number' | 'string' | 'string|null' | 'string[]|null';
type FieldValue<F extends JsonField> = F extends 'boolean'
  ? boolean
  : F extends 'number'
    ? number
    : F extends 'string'
      ? string
      : F extends 'string|null'
        ? string | null
        : string[] | null;
export type JsonShape = Record<string, JsonField>;
export type JsonOf<S extends JsonShape> = { [K in keyof S]: FieldValue<S[K]> };

function fieldOk(v: unknown, f: JsonField): boolean {
  switch (f) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'string[]|null':
      return v === null || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  }
}

/** Parse a JSON object of the given shape; throws ProbeParseError (without the text) otherwise. */
export function parseJsonObject<S extends JsonShape>(text: string, shape: S): JsonOf<S> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProbeParseError(`not valid JSON (${text.length} characters)`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ProbeParseError('expected a JSON object');
  const rec = doc as Record<string, unknown>;
  for (const [key, f] of Object.entries(shape)) {
    if (!fieldOk(rec[key], f)) throw new ProbeParseError(`field ${key}: expected ${f}`);
  }
  return rec as JsonOf<S>;
}

/** One JSON object per host (or SQL NULL: nothing there). */
export function sqlJsonProbe<S extends JsonShape>(name: string, sql: string, shape: S): Probe<JsonOf<S> | null> {
  return sqlProbe(name, sql, (value) => (value === null ? null : parseJsonObject(value, shape)));
}
