// The real TPA cluster directories in <shared>/tpa-configs (see its README): data that is
// not ours, read in place and never copied into the repository. Found next to the
// checkout (../shared, as on CI) or above a worktree; TPA_CONFIGS_DIR overrides.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './lab.js';

export function tpaConfigsDir(): string {
  const fromEnv = process.env['TPA_CONFIGS_DIR'];
  if (fromEnv) return fromEnv;
  for (let d = dirname(REPO_ROOT); ; d = dirname(d)) {
    const candidate = join(d, 'shared', 'tpa-configs');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
    if (dirname(d) === d) break;
  }
  throw new Error(`shared/tpa-configs not found above ${REPO_ROOT}: set TPA_CONFIGS_DIR to the directory with the real TPA configs`);
}

/** The seven configs of shared/tpa-configs, by directory name. */
export const TPA_CONFIGS = [
  'efmdemo-epas-bare-witness-barman',
  'tpa-docs-baremetal-tags-2018',
  'tpa-docs-configure-m1-aws-speedy',
  'tpa-netfixture-m1-aws-1',
  'tpaconf-m1-bare-repmgr-pg16',
  'tpaconf-m1-docker-patroni-pg17',
  'tpaconf-pgd-ao-bare-pge16',
] as const;

/** The ones whose addresses only exist after `tpaexec provision`. */
export const PROVISIONED_CONFIGS: ReadonlySet<string> = new Set(['tpa-docs-configure-m1-aws-speedy', 'tpa-netfixture-m1-aws-1', 'tpaconf-m1-docker-patroni-pg17']);
