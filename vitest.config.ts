import { defineConfig } from 'vitest/config';
import type { TestProjectConfiguration } from 'vitest/config';

// Projects: fast pure unit tests, then integration tests that drive the real Docker lab
// (real sshd, PostgreSQL, Barman), one project per kind of lab host. A project's kind
// reaches startLab() through TPA_BARMAN_LAB_KIND (test/support/lab.ts):
//   integration:bookworm      Debian 12, PostgreSQL 15, Barman 3.4, Debian's layout: every file
//   integration:trixie        Debian 13, PostgreSQL 17, Barman 3.13, Debian's layout: the core files
//   integration:bookworm-tpa  Debian 12 in TPA's layout (/opt/postgres/data, `postgres`): the core files
//   integration:trixie-tpa    Debian 13 in TPA's layout: the core files
// The core files (first deploy and no-op re-deploy, plan, migration, restore) run on every
// kind; the others once, on bookworm, where a few pick their kinds themselves
// (replicas.test.ts: bookworm and trixie; lab.test.ts: also trixie-tpa;
// postgres-server.test.ts: trixie-tpa).
// TPA_BARMAN_LAB_KIND=<kind> in the environment replaces all that with one project that
// runs every integration file on that kind.
// Test files run one at a time unless TPA_BARMAN_TEST_JOBS says otherwise (the machine
// has 2 cores, and each integration file brings up its own lab); .ci/run sets it to 2.
const CORE_FILES = ['barman-deploy', 'plan', 'migration', 'restore'].map((f) => `test/integration/${f}.test.ts`);
const ALL_FILES = ['test/integration/**/*.test.ts'];

const KIND_FILES: ReadonlyArray<readonly [kind: string, include: string[]]> = [
  ['bookworm', ALL_FILES],
  ['trixie', CORE_FILES],
  ['bookworm-tpa', CORE_FILES],
  ['trixie-tpa', CORE_FILES],
];

function integration(kind: string, include: string[]): TestProjectConfiguration {
  return {
    test: {
      name: `integration:${kind}`,
      include,
      env: { TPA_BARMAN_LAB_KIND: kind },
      testTimeout: 600_000,
      hookTimeout: 900_000,
      maxConcurrency: 1,
      // after the unit tests, so a 20 s unit timeout never competes with a lab
      sequence: { groupOrder: 1 },
    },
  };
}

const chosen = process.env.TPA_BARMAN_LAB_KIND?.trim();
const jobs = Number(process.env.TPA_BARMAN_TEST_JOBS ?? 1);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`TPA_BARMAN_TEST_JOBS=${process.env.TPA_BARMAN_TEST_JOBS}: expected a whole number ≥ 1`);

export default defineConfig({
  test: {
    maxWorkers: jobs,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      ...(chosen ? [integration(chosen, ALL_FILES)] : KIND_FILES.map(([kind, include]) => integration(kind, include))),
    ],
  },
});
