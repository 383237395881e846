import { defineConfig } from 'vitest/config'

// PGlite boots in 3-5 s per instance; two workers keep the 2-core machines busy without thrashing.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2
  }
})
