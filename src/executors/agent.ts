import type { Executor } from './executor.js'

/**
 * Agent pools are pulled from: handing a job over only makes it claimable (`POST /v1/agent/claim`),
 * and an agent learns of a cancel from its next heartbeat. Nothing to call, so nothing can fail.
 */
export const agentExecutor: Executor = {
  kind: 'agent',
  leadMs: 0,
  dispatch: async () => ({ ref: null }),
  cancel: async () => {}
}
