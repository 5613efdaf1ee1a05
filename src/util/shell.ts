// POSIX shell quoting for the command strings we send over SSH.
//
// ssh2's exec() takes one string that the remote login shell parses with `-c`, so every
// value that ends up in a command line goes through shellQuote(). Bulk data (file
// contents, SQL, secrets) never does: it travels on stdin.

/** Raised when a value cannot be represented safely in a shell word. */
export class ShellQuoteError extends Error {
  override name = 'ShellQuoteError';
}

// Words made only of these characters need no quoting in any POSIX shell (nor bash/zsh):
// no globbing, expansion, word splitting, assignment (`=`), tilde (`~`), comment (`#`)
// or cron (`%`) meaning. Everything else is single-quoted.
const BARE_WORD = /^[A-Za-z0-9_@+,./:-]+$/;
// A lone UTF-16 surrogate has no UTF-8 encoding: it would reach the remote side as U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Quote `s` as a single POSIX shell word: `'…'`, with each `'` written as `'\''`.
 * Strings made only of unambiguous characters are returned unchanged, and the empty
 * string becomes `''`. Throws on NUL (it cannot appear in an argv element) and on lone
 * surrogates (no byte representation).
 */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new ShellQuoteError('refusing to shell-quote a string containing NUL');
  if (LONE_SURROGATE.test(s)) {
    throw new ShellQuoteError('refusing to shell-quote a string containing a lone UTF-16 surrogate');
  }
  if (BARE_WORD.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Quote each argument with shellQuote() and join them with single spaces. */
export function shellJoin(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
