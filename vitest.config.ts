import { defineConfig } from 'vitest/config';

// Tests run from TypeScript sources: the `@sixgate/source` export condition
// points every workspace package at its src/index.ts, so no build is needed.
const conditions = ['@sixgate/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@sixgate/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test/conventions.test.ts', 'test/docs.test.ts'],
          environment: 'node',
          // Property tests and real-socket tests take a few seconds on a busy 2-core machine;
          // a timeout is a hang detector here, never a performance check.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Namespaces, TUN devices and servers: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
