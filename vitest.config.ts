import { defineConfig } from 'vitest/config';

// Two projects: fast pure unit tests, and integration tests that drive the real
// Docker lab (real sshd, PostgreSQL 15, Barman). Integration files run one at a
// time because each brings up its own lab and the machine has 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
          maxConcurrency: 1,
        },
      },
    ],
  },
});
