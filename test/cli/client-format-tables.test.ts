import { describe, expect, test } from 'vitest'
import type { JobDetailBody, ReportBody, ZoneBody } from '../../src/cli/client/api-types.js'
import { jobText } from '../../src/cli/client/format-job.js'
import { reportText } from '../../src/cli/client/format-report.js'
import { zonesText } from '../../src/cli/client/zones.js'

type Sums = ReportBody['totals'][number]
const sums = (o: Partial<Sums>): Sums => ({
  signal: 'average', gas: 'co2e', factorType: 'lifecycle', energyKwh: 10, gpuEnergyKwh: 9, hostEnergyKwh: 1, actualGrams: 1_000, marketGrams: null,
  expectedGrams: 900, expectedJobs: 1, baselineGrams: 4_000, avoidedGrams: 3_000, avoidedJobs: 1, embodiedGrams: null, jobs: 1,
  provisionalJobs: 0, measuredJobs: 0, estimatedJobs: 1, sources: [], ...o
})

describe('reportText', () => {
  test('one line per period, group and signal; never summed across signals; notes what is not final', () => {
    const marginal = { signal: 'marginal' as const, gas: 'co2' as const, factorType: 'marginal' as const }
    const report: ReportBody = {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      groupBy: 'month,zone',
      units: { emissions: 'g', energy: 'kWh' },
      jobsWithoutLedger: 1,
      provisionalJobs: 2,
      rows: [
        { periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z', group: { zone: 'DE' }, ...sums({}) },
        { periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z', group: { zone: null }, ...sums({ ...marginal, baselineGrams: null, avoidedGrams: null, jobs: 2 }) }
      ],
      totals: [sums({}), sums({ ...marginal, baselineGrams: null, avoidedGrams: null, jobs: 2 })]
    }
    expect(reportText(report)).toBe([
      'emissions 2026-11-01 00:00Z → 2026-12-01 00:00Z, by month,zone; actual is location-based, avoided = baseline − actual',
      'PERIOD   ZONE    FIGURES       ENERGY  ACTUAL   BASELINE  AVOIDED         JOBS',
      '2026-11  DE      average CO2e  10 kWh  1.00 kg  4.00 kg   3.00 kg (75 %)  1',
      '2026-11  (none)  marginal CO2  10 kWh  1.00 kg  –         –               2',
      'total            average CO2e  10 kWh  1.00 kg  4.00 kg   3.00 kg (75 %)  1',
      'total            marginal CO2  10 kWh  1.00 kg  –         –               2',
      '2 jobs still provisional (partly on forecasts)',
      '1 job ran but has no ledger yet: not counted',
      ''
    ].join('\n'))
  })
})

const zone = (o: Partial<Omit<ZoneBody, 'forecast'>> & { forecast?: Partial<ZoneBody['forecast']> }): ZoneBody => ({
  name: 'DE', provider: 'entsoe', signal: 'average', gas: 'co2e', factorType: 'lifecycle', pools: ['h100-de'], refreshMinutes: 30, chain: [],
  ...o,
  forecast: { fetchedAt: null, ageSeconds: null, horizonEnd: null, lastError: null, answeredBy: null, source: null, signal: null, gas: null, factorType: null, version: null, ...o.forecast }
})
const member = (provider: string, lastError: string | null, lastErrorAt: string | null) =>
  ({ provider, region: null, signal: 'marginal' as const, lastSuccessAt: null, lastErrorAt, lastError })

describe('zonesText', () => {
  test('a chain shows its providers in order and the newest error any of them gave; a zone without a forecast says so', () => {
    const chained = zone({
      name: 'US-CAL-CISO', provider: 'watttime', pools: [],
      chain: [member('watttime', 'HTTP 500', '2026-11-23T09:00:00Z'), member('csv', 'file not found', '2026-11-23T09:30:00Z')],
      forecast: { ageSeconds: 3_900, horizonEnd: '2026-11-25T10:00:00.000Z', answeredBy: 'csv' }
    })
    expect(zonesText([chained, zone({ forecast: { lastError: 'forecast: timeout' } })])).toBe([
      'ZONE         PROVIDER        SIGNAL   POOLS    FORECAST AGE  HORIZON END        ANSWERED BY  LAST ERROR',
      'US-CAL-CISO  watttime → csv  average  –        1 h 5 min     2026-11-25 10:00Z  csv          csv: file not found',
      'DE           entsoe          average  h100-de  none yet      –                  –            forecast: timeout',
      ''
    ].join('\n'))
  })
})

describe('jobText', () => {
  test('a job without a plan, runs or ledger says so in each section', () => {
    const job = {
      id: 'j1', name: 'n', state: 'pending', gpus: 1, durationMinutes: 90, deadline: '2026-11-24T08:00:00.000Z', notBefore: null, interruptible: true,
      minSegmentMinutes: 30, pools: ['a', 'b'], zones: [], preferredPool: null, sciUnit: 'job', risk: 'neutral', wattsPerGpu: null, energyKwh: null,
      command: ['sh', '-c', 'echo hi'], payload: null, labels: {}, submittedAt: '2026-11-23T10:00:00.000Z', updatedAt: '2026-11-23T10:00:00.000Z',
      plan: null, work: null, estimate: null, events: [], runs: [], segments: [], ledger: null
    } satisfies JobDetailBody
    expect(jobText(job)).toBe([
      'job j1 pending: n',
      '  1 GPU × 1h30m · deadline 2026-11-24 08:00Z · submitted 2026-11-23 10:00Z · pools a, b · interruptible · command sh -c "echo hi"',
      'plan', '  none',
      'runs', '  none yet',
      'ledger', '  none yet (it is computed once a run has started)',
      'events', '  none',
      ''
    ].join('\n'))
  })
})

describe('jobText of a risk-averse work job', () => {
  test('says the duration was estimated from its work, and that it plans on the p90', () => {
    const job = {
      id: 'j2', name: 'w', state: 'pending', gpus: 1, durationMinutes: 474, deadline: '2026-11-24T08:00:00.000Z', notBefore: null, interruptible: false,
      minSegmentMinutes: 30, pools: [], zones: [], preferredPool: null, sciUnit: 'job', risk: 'averse', wattsPerGpu: null, energyKwh: null,
      command: ['train'], payload: null, labels: {}, submittedAt: '2026-11-23T10:00:00.000Z', updatedAt: '2026-11-23T10:00:00.000Z',
      plan: null, work: { parameters: 7e9, samples: 52_000, seqLen: 512, epochs: 2, method: 'lora' }, estimate: null, events: [], runs: [], segments: [], ledger: null
    } satisfies JobDetailBody
    expect(jobText(job).split('\n')[1]).toBe('  1 GPU × 7h54m (estimated from its work) · deadline 2026-11-24 08:00Z · submitted 2026-11-23 10:00Z · risk-averse (plans on the p90) · command train')
  })
})
