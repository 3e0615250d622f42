import { defineConfig } from 'vitest/config';

/**
 * Four projects. The integration suite runs twice, once per database: embedded PGlite and the
 * real PostgreSQL server (TEST_DATABASE_URL, default postgres://root@127.0.0.1:5432/test).
 * A database that cannot be reached fails the run; nothing is skipped.
 */
const integration = ['test/integration/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The MP3 encoder's WebAssembly module, provided as the Node entries provide it.
    setupFiles: ['test/support/lame.ts'],
    // Three on two cores: much of the suite waits on PostgreSQL, child processes and timers
    // (measured: 455 s against 543 s with two; four made process-spawning tests time out).
    maxWorkers: 3,
    reporters: ['default', './test/support/completeness-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'pglite',
          include: integration,
          env: { CALLTRAIL_TEST_DB: 'pglite' },
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: integration,
          env: { CALLTRAIL_TEST_DB: 'postgres' },
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Several `calltrail serve` processes on one PostgreSQL database: PostgreSQL only (PGlite
          // belongs to one process), one file at a time.
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          env: { CALLTRAIL_TEST_DB: 'postgres' },
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // A real headless Chromium (Debian's, /usr/bin/chromium) against the service as a process.
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // README's shell blocks in order, in a scratch directory: the service, wrangler dev, curl.
          // Once (no database matrix): its blocks choose their own databases.
          name: 'readme',
          include: ['test/readme/**/*.test.ts'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'workerd',
          include: ['test/workerd/**/*.test.ts'],
          env: { CALLTRAIL_TEST_DB: 'postgres' },
          globalSetup: ['test/support/global-setup.ts'],
          // One wrangler at a time is plenty on two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
