import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // two cores: keep workers few so timing-sensitive end-to-end tests are not starved
    maxWorkers: 2,
  },
});
