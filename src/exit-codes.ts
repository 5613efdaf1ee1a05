// Exit codes: one table for every command. `--help`, the man page and the README's
// table are all generated from EXIT_CODE_TABLE (a unit test holds the README to it).
//
// 2 is the only code whose meaning depends on the command, always "what you asked
// about was found": for `plan` (and every --check) changes are pending and nothing
// failed, as `terraform plan -detailed-exitcode`; for `deploy`/`detach` a step failed on
// a host, as `ansible-playbook`; for `test`/`status` a check failed. A failure of a
// read-only command never exits 0 or 2: it has its own code (4, 6, 3, 5).
export const ExitCode = {
  /** Success; for `plan`: no changes pending; for `test`/`status`: every check passes. */
  Ok: 0,
  /** Internal error (a bug in tpa-barman). */
  Internal: 1,
  /** `deploy`, `detach`: a step failed on a host. */
  HostFailure: 2,
  /** `plan`, `deploy --check`, `detach --check`: changes pending, nothing failed. */
  ChangesPending: 2,
  /** `test`, `status`: a check failed or a problem was found. */
  ChecksFailed: 2,
  /** Refused before any change: a conflict with another cluster, or a lock is held. */
  Refused: 3,
  /** A host could not be reached (connect, host key or authentication failure). */
  Unreachable: 4,
  /** Usage error, invalid configuration, or a selection that matches nothing; nothing contacted. */
  Usage: 5,
  /** A read-only command reached a host but could not read it (a probe or script failed). */
  ReadFailure: 6,
  /** Interrupted by Ctrl-C. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ExitCodeRow {
  code: ExitCodeValue;
  meaning: string;
}

/** The documented table (help, man page, README). Rows are in code order. */
export const EXIT_CODE_TABLE: readonly ExitCodeRow[] = [
  { code: 0, meaning: 'success; plan and --check: nothing would change; test, status: every check passes' },
  { code: 1, meaning: 'internal error (a bug in tpa-barman; please report it)' },
  { code: 2, meaning: 'plan and --check: changes pending, nothing failed; deploy, detach: a step failed on a host; test, status: a check failed' },
  { code: 3, meaning: 'refused: a conflict with another cluster, or a lock is held; nothing was changed' },
  { code: 4, meaning: 'a host was unreachable (connection, host key or authentication); every other host was still tried' },
  { code: 5, meaning: 'usage error, invalid configuration, or --limit/--tags/--skip-tags selecting nothing; nothing was contacted' },
  { code: 6, meaning: 'plan, --check, status, ping: a host was reached but could not be read (a probe or script failed)' },
  { code: 130, meaning: 'interrupted (Ctrl-C): the steps in flight were finished, nothing else was started' },
];

export const EXIT_CODES_HELP = `Exit codes:\n${EXIT_CODE_TABLE.map((r) => `  ${String(r.code).padEnd(4)} ${r.meaning}`).join('\n')}`;

/** The README's exit-code table, in Markdown. */
export function exitCodesMarkdown(): string {
  return ['| code | meaning |', '|---|---|', ...EXIT_CODE_TABLE.map((r) => `| ${r.code} | ${r.meaning} |`)].join('\n');
}
