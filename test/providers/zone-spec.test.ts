import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { buildProviders } from '../../src/config.js'
import { ProviderChain } from '../../src/providers/chain.js'
import { issues, loadFile } from '../support/config.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid config file with one replay zone and one pool; tests add chain zones. */
function base (): Json {
  return {
    zones: { DE: { provider: 'replay', dataset: 'zones-2022' } },
    pools: [{ name: 'a100-de', zone: 'DE', gpuModel: 'A100-SXM4-80GB', gpuCount: 64, wattsPerGpu: 400, pue: 1.2, executor: { kind: 'agent' } }]
  }
}

describe('provider chains', () => {
  const SECRETS = { ELECTRICITYMAPS_TOKEN: 'em-s3cret-token', WATTTIME_USERNAME: 'wt-user', WATTTIME_PASSWORD: 'wt-pa55word' }
  /** base() with a GB zone whose chain names every provider once. */
  function chained (): Json {
    const file = base()
    file.zones.GB = {
      providers: [
        { provider: 'carbonintensity-uk', region: 'national', baseUrl: 'https://api.carbonintensity.org.uk' },
        { provider: 'electricitymaps', region: 'GB', emissionFactorType: 'direct' },
        { provider: 'watttime', region: 'UK' },
        { provider: 'energidataservice', region: 'DK1' },
        { provider: 'carbon-aware-sdk', region: 'uksouth', baseUrl: 'http://casdk:8080', signal: 'marginal' },
        { provider: 'csv', path: './lab-intensity.csv', signal: 'average' },
        { provider: 'replay', dataset: 'zones-2022', region: 'GB' }
      ],
      refreshMinutes: 15
    }
    return file
  }

  it('accepts an ordered chain, fills defaults and keeps secrets out of the config\'s JSON and printout', () => {
    const config = loadFile(chained(), SECRETS)
    expect(config.zones.GB).toEqual({
      refreshMinutes: 15,
      providers: [
        { provider: 'carbonintensity-uk', region: 'national', baseUrl: 'https://api.carbonintensity.org.uk' },
        { provider: 'electricitymaps', region: 'GB', emissionFactorType: 'direct', tokenEnv: 'ELECTRICITYMAPS_TOKEN' },
        { provider: 'watttime', region: 'UK', signalType: 'co2_moer', usernameEnv: 'WATTTIME_USERNAME', passwordEnv: 'WATTTIME_PASSWORD' },
        { provider: 'energidataservice', region: 'DK1' },
        { provider: 'carbon-aware-sdk', region: 'uksouth', baseUrl: 'http://casdk:8080', signal: 'marginal', gas: 'co2', factorType: 'marginal' },
        { provider: 'csv', path: expect.stringMatching(/lab-intensity\.csv$/), signal: 'average', gas: 'co2e', factorType: 'lifecycle' },
        { provider: 'replay', dataset: 'zones-2022', region: 'GB', horizonHours: 48 }
      ]
    })
    expect(config.secrets.get('WATTTIME_PASSWORD')).toBe('wt-pa55word')
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 })]) {
      for (const value of Object.values(SECRETS)) expect(text).not.toContain(value)
    }
  })

  it('defaults refreshMinutes to 30 and an Electricity Maps region to the zone name; reads overridden variables', () => {
    const file = base()
    file.zones.DE = { providers: [{ provider: 'electricitymaps', tokenEnv: 'EM_DE_TOKEN' }, { provider: 'replay', dataset: 'zones-2022' }] }
    const config = loadFile(file, { EM_DE_TOKEN: 'x' })
    expect(config.zones.DE).toEqual({
      refreshMinutes: 30,
      providers: [
        { provider: 'electricitymaps', region: 'DE', emissionFactorType: 'lifecycle', tokenEnv: 'EM_DE_TOKEN' },
        { provider: 'replay', dataset: 'zones-2022', region: 'DE', horizonHours: 48 }
      ]
    })
  })

  it('builds a ProviderChain with the members in order; its signal is the first one\'s', () => {
    const file = chained()
    file.zones.GB.providers.splice(2, 1, { provider: 'watttime', region: 'UK', usernameEnv: 'WT_U', passwordEnv: 'WT_P' })
    const config = loadFile(file, { ELECTRICITYMAPS_TOKEN: 't', WT_U: 'u', WT_P: 'p' })
    const gb = buildProviders(config, { loadCsv: () => 'start_utc,g_per_kwh\n2026-01-01T00:00Z,1\n2026-01-01T01:00Z,2\n' }).get('GB')
    expect(gb).toBeInstanceOf(ProviderChain)
    const chain = gb as ProviderChain
    expect(chain.members.map(m => [m.provider.id, m.region])).toEqual([
      ['carbonintensity-uk', 'national'], ['electricitymaps', 'GB'], ['watttime', 'UK'], ['energidataservice', 'DK1'],
      ['carbon-aware-sdk', 'uksouth'], ['csv', 'lab-intensity.csv'], ['replay', 'GB']
    ])
    expect(chain.signal).toBe('average')
    expect(chain.members.map(m => m.provider.signal)).toEqual(['average', 'average', 'marginal', 'average', 'marginal', 'average', 'average'])
  })

  it('names each missing secret variable and its entry, and never prints a secret that is set', () => {
    const found = issues(() => loadFile(chained(), { WATTTIME_USERNAME: 'wt-user' }))
    expect(found).toEqual([
      'GREENSHIFT_CONFIG ./x.json: zones.GB.providers[1] needs the environment variable ELECTRICITYMAPS_TOKEN, which is not set',
      'GREENSHIFT_CONFIG ./x.json: zones.GB.providers[2] needs the environment variable WATTTIME_PASSWORD, which is not set'
    ])
    expect(found.join('\n')).not.toContain('wt-user')
  })

  const cases: Array<[string, (gb: Json) => void, string]> = [
    ['bad emission factor', gb => { gb.providers[1].emissionFactorType = 'scope3' }, 'zones.GB.providers[1].emissionFactorType must be one of "lifecycle", "direct"'],
    ['bad WattTime signal', gb => { gb.providers[2].signalType = 'health_damage' }, 'zones.GB.providers[2].signalType must be one of "co2_moer", "co2_aoer"'],
    ['WattTime without region', gb => { delete gb.providers[2].region }, 'zones.GB.providers[2].region is required'],
    ['bad UK region', gb => { gb.providers[0].region = '18' }, 'zones.GB.providers[0].region "18" must be "national", a region id from 1 to 17'],
    ['bad price area', gb => { gb.providers[3].region = 'DK3' }, 'zones.GB.providers[3].region must be one of "DK1", "DK2"'],
    ['SDK without baseUrl', gb => { delete gb.providers[4].baseUrl }, 'zones.GB.providers[4].baseUrl is required'],
    ['non-http baseUrl', gb => { gb.providers[0].baseUrl = 'ftp://x' }, 'zones.GB.providers[0].baseUrl must be an absolute http:// or https:// URL'],
    ['unknown entry key', gb => { gb.providers[3].token = 'x' }, 'zones.GB.providers[3].token is not a known key (expected provider, region, baseUrl)'],
    ['unknown provider id', gb => { gb.providers[6].provider = 'entsoe' }, 'zones.GB.providers[6].provider must be one of "electricitymaps", "watttime"'],
    ['bad variable name', gb => { gb.providers[1].tokenEnv = 'EM TOKEN' }, 'zones.GB.providers[1].tokenEnv "EM TOKEN" is not an environment variable name'],
    ['refresh too fast', gb => { gb.refreshMinutes = 2 }, 'zones.GB.refreshMinutes must be an integer from 5 to 1440'],
    ['empty chain', gb => { gb.providers = [] }, 'zones.GB.providers must be an array of 1 to 8 providers'],
    ['provider beside providers', gb => { gb.provider = 'replay' }, 'zones.GB.provider is not a known key (expected providers, refreshMinutes)'],
    ['bad csv gas', gb => { gb.providers[5].gas = 'ch4' }, 'zones.GB.providers[5].gas must be one of "co2", "co2e"'],
    ['bad SDK factor type', gb => { gb.providers[4].factorType = 'scope3' }, 'zones.GB.providers[4].factorType must be one of "lifecycle", "direct", "marginal"'],
    ['a marginal signal with an average factor', gb => { gb.providers[4].factorType = 'lifecycle' }, 'zones.GB.providers[4].factorType "lifecycle" does not fit the marginal signal: use "marginal"'],
    ['an average signal with a marginal factor', gb => { gb.providers[5].factorType = 'marginal' }, 'zones.GB.providers[5].factorType "marginal" does not fit the average signal: use "lifecycle" or "direct"'],
    ['gas on a provider that states its own', gb => { gb.providers[1].gas = 'co2' }, 'zones.GB.providers[1].gas is not a known key']
  ]

  it('takes a csv or SDK source\'s gas and factor type from the config, and builds providers that state them', () => {
    const file = chained()
    Object.assign(file.zones.GB.providers[4], { gas: 'co2e', factorType: 'marginal' })
    Object.assign(file.zones.GB.providers[5], { gas: 'co2', factorType: 'direct' })
    file.zones.LAB = { provider: 'csv', path: './lab.csv', signal: 'marginal' }
    const config = loadFile(file, SECRETS)
    const gb = config.zones.GB as unknown as { providers: Json[] }
    expect(gb.providers[4]).toMatchObject({ signal: 'marginal', gas: 'co2e', factorType: 'marginal' })
    expect(gb.providers[5]).toMatchObject({ signal: 'average', gas: 'co2', factorType: 'direct' })
    expect(config.zones.LAB).toMatchObject({ signal: 'marginal', gas: 'co2', factorType: 'marginal' })
    const providers = buildProviders(config, { loadCsv: () => 'start_utc,g_per_kwh\n2026-01-05T00:00Z,100\n2026-01-05T01:00Z,50\n' })
    const chain = providers.get('GB') as ProviderChain
    expect(chain.members.map(m => [m.provider.id, m.provider.gas, m.provider.factorType])).toEqual([
      ['carbonintensity-uk', 'co2', 'direct'], ['electricitymaps', 'co2e', 'direct'], ['watttime', 'co2', 'marginal'], ['energidataservice', 'co2', 'direct'],
      ['carbon-aware-sdk', 'co2e', 'marginal'], ['csv', 'co2', 'direct'], ['replay', 'co2e', 'lifecycle']
    ])
    expect([chain.gas, chain.factorType]).toEqual(['co2', 'direct'])
    expect([providers.get('LAB')?.gas, providers.get('LAB')?.factorType]).toEqual(['co2', 'marginal'])
  })

  it.each(cases)('rejects %s with a path-named message', (_what, mutate, message) => {
    const file = chained()
    mutate(file.zones.GB)
    const found = issues(() => loadFile(file, SECRETS))
    expect(found).toHaveLength(1)
    expect(found[0]).toContain(`GREENSHIFT_CONFIG ./x.json: ${message}`)
  })
})
