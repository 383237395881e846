import { defineConfig } from 'vitest/config'

// Two workers keep the 2-core machines busy without thrashing. Test files share their worker's
// process (isolate: false): loading fastify, PGlite and the routes again for each of 60 files
// was 40-45 % of the suite's CPU time. So a test file leaves no global state behind: no vi.mock,
// no process.env changes, every spy restored, every store, app and server it opens closed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    isolate: false
  }
})
