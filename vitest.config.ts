import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The e2e tests spawn the CLI; two cores are shared, so keep the pool small.
    maxWorkers: 2,
  },
});
