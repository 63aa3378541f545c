import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs in-process code only (the operator, the oracle in DuckDB, readers, the
 * log, fault planning) and is quick; `process` spawns the CLI, brokers and servers. `npm test` runs
 * both; `npm run test:unit` the first alone, for a quick loop while editing.
 */
const UNIT = [
  'test/core/**/*.test.ts',
  'test/scenario/**/*.test.ts',
  'test/batch/merge.test.ts',
  'test/differential/**/*.test.ts',
  'test/engine/operator.test.ts',
  'test/engine/score.test.ts',
  'test/engine/string-table.test.ts',
  'test/replay/faults.test.ts',
  'test/sources/**/*.test.ts',
  'test/transport/log.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The process tests spawn the CLI; two cores are shared, so keep the pool small.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'process', include: ['test/**/*.test.ts'], exclude: UNIT } },
    ],
  },
});
