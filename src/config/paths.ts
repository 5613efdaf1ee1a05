// `~` in paths from config.yml and ssh_config, as ssh expands it.
import { homedir, userInfo } from 'node:os';

/** `~` and `~/x` become the user's home; `~user/x` only for the current user. */
export function expandHome(p: string): { path: string; problem?: string } {
  if (!p.startsWith('~')) return { path: p };
  const slash = p.indexOf('/');
  const who = p.slice(1, slash < 0 ? undefined : slash);
  const rest = slash < 0 ? '' : p.slice(slash);
  if (who === '' || who === userInfo().username) return { path: homedir() + rest };
  return { path: p, problem: `~${who} is another user's home directory; write the path out in full` };
}
