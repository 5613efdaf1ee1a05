// The --json contract: every command prints exactly one JSON document on stdout, for
// every outcome. Each document starts with the same header and is described by a JSON
// Schema in src/report/schemas/<document>.schema.json (tests validate every document
// they produce against it).
//
// For a new command: pick (or add) a DocumentKind, build the body, and print it with
// writeDocument(out, header(kind, command, exitCode, cluster), body). Errors thrown
// before or during the command become an `error` document in cli.ts (errorDocument);
// commands never print error JSON themselves.
import { ConfigError, SelectionError, ToolError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

/** Bumped when a field changes meaning or goes away; new fields do not bump it. */
export const SCHEMA_VERSION = 1;

export type DocumentKind = 'run' | 'list-hosts' | 'list-tasks' | 'ping' | 'test' | 'status' | 'inventory' | 'graph' | 'restore-test' | 'restore' | 'error';

export const DOCUMENT_KINDS: readonly DocumentKind[] = ['run', 'list-hosts', 'list-tasks', 'ping', 'test', 'status', 'inventory', 'graph', 'restore-test', 'restore', 'error'];

export interface DocumentHeader {
  schema_version: number;
  /** Which schema describes the document (src/report/schemas/<document>.schema.json). */
  document: DocumentKind;
  command: string;
  /** exit_code === 0. */
  ok: boolean;
  exit_code: number;
  /** The cluster's name; null in an error document and for a graph of several clusters. */
  cluster: string | null;
}

export function header(document: DocumentKind, command: string, exitCode: number, cluster: string | null): DocumentHeader {
  return { schema_version: SCHEMA_VERSION, document, command, ok: exitCode === ExitCode.Ok, exit_code: exitCode, cluster };
}

export function writeDocument(out: NodeJS.WritableStream, head: DocumentHeader, body: object): void {
  out.write(`${JSON.stringify({ ...head, ...body }, null, 2)}\n`);
}

export type ErrorKind = 'config' | 'usage' | 'selection' | 'refused' | 'unreachable' | 'interrupted' | 'internal';

export interface ErrorIssue {
  message: string;
  file?: string;
  line?: number;
  col?: number;
  key?: string;
  hint?: string;
}

function errorKind(err: unknown): ErrorKind {
  if (err instanceof ConfigError) return 'config';
  if (err instanceof SelectionError) return 'selection';
  if (err instanceof ToolError) {
    switch (err.exitCode) {
      case ExitCode.Usage:
        return 'usage';
      case ExitCode.Refused:
        return 'refused';
      case ExitCode.Unreachable:
        return 'unreachable';
      case ExitCode.Interrupted:
        return 'interrupted';
      default:
        return 'internal';
    }
  }
  return 'internal';
}

/** The `error` document of a command that could not run (code frames are for humans only). */
export function errorDocument(command: string, err: unknown, exitCode: number): object {
  const message = err instanceof ConfigError ? (err.issues[0]?.message ?? err.message) : err instanceof Error ? err.message : String(err);
  const issues: ErrorIssue[] =
    err instanceof ConfigError
      ? err.issues.map((i) => ({
          message: i.message,
          ...(i.pos ? { file: i.pos.file, line: i.pos.line, col: i.pos.col } : {}),
          ...(i.key ? { key: i.key } : {}),
          ...(i.hint ? { hint: i.hint } : {}),
        }))
      : [];
  const hint = err instanceof ToolError ? err.hint : undefined;
  const selection = err instanceof SelectionError ? { selection: { option: err.option, asked: err.asked, available: err.available } } : {};
  return { ...header('error', command, exitCode, null), error: { kind: errorKind(err), message, ...(hint ? { hint } : {}), issues, ...selection } };
}
