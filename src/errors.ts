// The errors every layer may raise, and the shape of a configuration problem they carry.
// This module sits at the bottom: it imports nothing from the layers above it.
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** A position in a source file, 1-based, for error messages like config.yml:12:5. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem found in a cluster directory. */
export interface ConfigIssue {
  message: string;
  /** The offending key path, e.g. `instances[2].vars.backup_name`. */
  key?: string;
  pos?: SourcePos;
  /** A short excerpt of the file around pos, already formatted. */
  frame?: string;
  hint?: string;
}

/** An error that carries the exit code the CLI should end with. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid cluster directory or usage: raised before any connection is opened. */
export class ConfigError extends ToolError {
  constructor(readonly issues: ConfigIssue[]) {
    super(ConfigError.summarise(issues), ExitCode.Usage);
  }

  static summarise(issues: ConfigIssue[]): string {
    return issues
      .map((i) => {
        const where = i.pos ? `${i.pos.file}:${i.pos.line}:${i.pos.col}: ` : '';
        const key = i.key ? ` (${i.key})` : '';
        const hint = i.hint ? `\n  hint: ${i.hint}` : '';
        const frame = i.frame ? `\n${i.frame}` : '';
        return `${where}${i.message}${key}${hint}${frame}`;
      })
      .join('\n');
  }
}

/** A host could not be reached or failed its host-key check / authentication. */
export class UnreachableError extends ToolError {
  constructor(
    readonly host: string,
    message: string,
    hint?: string,
  ) {
    super(`${host}: ${message}`, ExitCode.Unreachable, hint);
  }
}

/** Refused before any change: conflict with another cluster, or a lock is held. */
export class RefusedError extends ToolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Refused, hint);
  }
}

/** A --limit, --tags or --skip-tags that selects nothing: names what was asked and what exists. */
/** What the available values of a selecting option are called in the hint. */
const SELECTION_WORDS: Readonly<Record<string, string>> = { '--limit': 'hosts', '--server': 'servers', '--barman': 'Barman hosts' };

export class SelectionError extends ToolError {
  constructor(
    readonly option: string,
    readonly asked: readonly string[],
    readonly available: readonly string[],
    message: string,
  ) {
    super(message, ExitCode.Usage, available.length > 0 ? `${SELECTION_WORDS[option] ?? 'tags'}: ${available.join(', ')}` : undefined);
  }
}
