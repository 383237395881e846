import { describe, expect, test } from 'vitest'
import { jobEnv, lookupUser, passEnvRefusal } from '../../src/agent/job-env.js'

const job = { id: 'job-1', attempt: 3, payload: { lr: 0.001 } }
const agentEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/agent',
  LANG: 'C.UTF-8',
  GREENSHIFT_AGENT_TOKEN: 'gsa_secret',
  GREENSHIFT_AGENT_NAME: 'rack-1',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  CUDA_VISIBLE_DEVICES: '0,1,2,3',
  HTTPS_PROXY: 'http://proxy:3128'
}

describe('jobEnv', () => {
  test('gives the job PATH, HOME, LANG, its GPUs and the GREENSHIFT_JOB_* values, nothing else of the agent', () => {
    expect(jobEnv({ job, gpus: [2, 3], env: agentEnv }, '/tmp/p')).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/agent',
      LANG: 'C.UTF-8',
      CUDA_VISIBLE_DEVICES: '2,3',
      GREENSHIFT_JOB_ID: 'job-1',
      GREENSHIFT_JOB_ATTEMPT: '3',
      GREENSHIFT_JOB_PAYLOAD: '{"lr":0.001}',
      GREENSHIFT_JOB_PROGRESS_FILE: '/tmp/p'
    })
  })

  test('adds the --pass-env names that are set; unset ones and the agent\'s own are left out whoever listed them', () => {
    const env = jobEnv({ job, gpus: null, env: agentEnv, passEnv: ['HTTPS_PROXY', 'NOT_SET', 'GREENSHIFT_AGENT_TOKEN', 'CUDA_VISIBLE_DEVICES'] }, '/tmp/p')
    expect(env.HTTPS_PROXY).toBe('http://proxy:3128')
    expect('NOT_SET' in env).toBe(false)
    expect(JSON.stringify(env)).not.toContain('gsa_secret')
    expect('CUDA_VISIBLE_DEVICES' in env).toBe(false) // no GPUs: the agent's own value is not passed on
  })

  test('a variable the agent lacks is absent, not empty; a null payload is "null"; --run-as gives the user\'s HOME', () => {
    const env = jobEnv({ job: { ...job, payload: undefined }, gpus: [], env: { PATH: '/bin' }, user: { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' } }, '/p')
    expect(env).toEqual({ PATH: '/bin', HOME: '/nonexistent', CUDA_VISIBLE_DEVICES: '', GREENSHIFT_JOB_ID: 'job-1', GREENSHIFT_JOB_ATTEMPT: '3', GREENSHIFT_JOB_PAYLOAD: 'null', GREENSHIFT_JOB_PROGRESS_FILE: '/p' })
  })
})

describe('passEnvRefusal', () => {
  test.each(['HTTPS_PROXY', 'NCCL_DEBUG', '_X', 'PATH'])('%s may be passed', name => {
    expect(passEnvRefusal(name)).toBeNull()
  })

  test.each([
    ['GREENSHIFT_AGENT_TOKEN', 'never gets the agent\'s own GREENSHIFT_* variables'],
    ['GREENSHIFT_AGENT_ANYTHING', 'GREENSHIFT_'],
    ['greenshift_agent_token', 'GREENSHIFT_'],
    ['GREENSHIFT_JOB_ID', 'set by the agent'],
    ['CUDA_VISIBLE_DEVICES', 'the job\'s GPUs'],
    ['A=B', 'is not an environment variable name'],
    ['', 'is not an environment variable name'],
    ['1X', 'is not an environment variable name']
  ])('%j is refused in one line', (name, message) => {
    const refusal = passEnvRefusal(name)
    expect(refusal).toContain(message)
    expect(refusal).not.toContain('\n')
  })
})

describe('lookupUser', () => {
  test('finds nobody, refuses root and an unknown user', () => {
    expect(lookupUser('nobody')).toMatchObject({ name: 'nobody', uid: expect.any(Number) as number, gid: expect.any(Number) as number })
    expect(lookupUser('root')).toContain('is root')
    expect(lookupUser('0')).toContain('is root')
    expect(lookupUser('no-such-user-here')).toContain('no such user')
  })
})
