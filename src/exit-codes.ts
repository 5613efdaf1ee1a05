// Exit codes shared by every command (documented in --help and the README).
export const ExitCode = {
  /** Success; for `plan`: no changes pending. */
  Ok: 0,
  /** Internal error (a bug in tpa-barman). */
  Internal: 1,
  /** A host failed a step; for `plan`: changes pending. */
  HostFailure: 2,
  /** Refused: a conflict with another cluster, or a lock is held. */
  Refused: 3,
  /** A host could not be reached (connect, host key or authentication failure). */
  Unreachable: 4,
  /** Usage error or invalid configuration; nothing was changed or contacted. */
  Usage: 5,
  /** Interrupted by Ctrl-C. */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0    success (plan: nothing would change)
  1    internal error
  2    a host failed (plan: changes pending)
  3    refused: conflict with another cluster, or lock held
  4    a host was unreachable (connection, host key or authentication)
  5    usage error or invalid configuration (nothing contacted)
  130  interrupted`;
