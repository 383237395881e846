import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { buildProviders, ConfigError, DEFAULT_CONFIG_JSON, loadConfig } from '../src/config.js'
import { CsvProvider } from '../src/providers/csv.js'
import { ReplayProvider } from '../src/providers/replay.js'
import { EXECUTOR_SECRETS, issues, loadFile } from './support/config.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/lab-intensity.csv', import.meta.url))
const KEY = 'gs_abcdefghijklmnopqrstuvwx'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid config file: two zones and three pools, one per executor kind. */
function base (): Json {
  return {
    zones: {
      DE: { provider: 'replay', dataset: 'zones-2022' },
      LAB: { provider: 'csv', path: './lab-intensity.csv', signal: 'average' }
    },
    pools: [
      { name: 'a100-de', zone: 'DE', gpuModel: 'A100-SXM4-80GB', gpuCount: 64, wattsPerGpu: 400, pue: 1.2, executor: { kind: 'agent' } },
      { name: 'lab-hook', zone: 'LAB', gpuModel: 'L4', gpuCount: 2, wattsPerGpu: 72, pue: 1.5, executor: { kind: 'webhook', url: 'https://lab.example/run', secretEnv: 'LAB_HOOK_SECRET' } },
      { name: 'slurm-de', zone: 'DE', gpuModel: 'H100', gpuCount: 8, wattsPerGpu: 700, pue: 1.1, executor: { kind: 'slurm', url: 'http://slurm:6820', partition: 'gpu', user: 'root', tokenEnv: 'SLURM_JWT' } }
    ],
    planning: { safetyMarginMinutes: 10, forecastHorizonHours: 48 }
  }
}

describe('loadConfig defaults', () => {
  const config = loadConfig({})

  it('fills every setting from the environment defaults', () => {
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: './.greenshift', logLevel: 'info', tickMs: 5000, scheduler: true, publicUrl: 'http://127.0.0.1:8080', agentTimeoutSeconds: 60 })
    expect(config.databaseUrl).toBeUndefined()
    expect(config.adminKey).toBeUndefined()
    expect(config.configPath).toBeUndefined()
    expect(config.planning).toEqual({ safetyMarginMinutes: 10, forecastHorizonHours: 48, retentionDays: 14, replanMinGrams: 50, replanMinPercent: 5 })
  })

  it('replays 2022 in at least seven zones and has pools of several GPU models in several zones', () => {
    expect(Object.keys(config.zones)).toEqual(expect.arrayContaining(['DE', 'FR', 'GB', 'PL', 'SE-SE3', 'ES', 'US-CAL-CISO']))
    for (const [zone, spec] of Object.entries(config.zones)) {
      expect(spec).toEqual({ provider: 'replay', dataset: 'zones-2022', region: zone, horizonHours: 48 })
    }
    expect(config.pools.length).toBeGreaterThanOrEqual(5)
    expect(new Set(config.pools.map(p => p.zone)).size).toBeGreaterThanOrEqual(4)
    expect(new Set(config.pools.map(p => p.gpuModel)).size).toBeGreaterThanOrEqual(3)
    expect(config.pools.find(p => p.name === 'h100-de')).toEqual({
      name: 'h100-de', zone: 'DE', gpuModel: 'H100-SXM5-80GB', gpuCount: 32, wattsPerGpu: 700, pue: 1.2, executor: { kind: 'agent' }, enabled: true, embodiedGPerGpuHour: null,
      hostWattsPerGpu: 0, idleWattsPerGpu: 0, market: null
    })
  })

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.pools)).toBe(true)
    expect(Object.isFrozen(config.pools[0]?.executor)).toBe(true)
    expect(Object.isFrozen(config.zones.DE)).toBe(true)
  })

  it('publishes the default as JSON that loads to the same zones and pools', () => {
    const fromFile = loadConfig({ GREENSHIFT_CONFIG: '/etc/gs.json' }, () => DEFAULT_CONFIG_JSON)
    expect(fromFile.zones).toEqual(config.zones)
    expect(fromFile.pools).toEqual(config.pools)
    expect(fromFile.configPath).toBe('/etc/gs.json')
  })

  it('builds one replay provider per zone', async () => {
    const providers = buildProviders(config)
    expect([...providers.keys()]).toEqual(Object.keys(config.zones))
    const de = providers.get('DE')
    expect(de).toBeInstanceOf(ReplayProvider)
    const t = Date.parse('2026-11-23T10:00:00Z')
    expect((await de?.actuals('DE', t, t + 3_600_000))?.points[0]?.gPerKwh).toBe(599.99)
  })
})

describe('loadConfig environment', () => {
  it('reads overrides and treats empty variables as unset', () => {
    const config = loadConfig({
      PORT: '9090', HOST: '127.0.0.1', DATABASE_URL: 'postgres://gs:pw@db:5432/gs', GREENSHIFT_DATA_DIR: 'memory://',
      GREENSHIFT_ADMIN_KEY: ` ${KEY}\n`, LOG_LEVEL: 'debug', GREENSHIFT_TICK_SECONDS: '15', GREENSHIFT_CONFIG: ''
    })
    expect(config).toMatchObject({
      port: 9090, host: '127.0.0.1', databaseUrl: 'postgres://gs:pw@db:5432/gs', dataDir: 'memory://',
      adminKey: KEY, logLevel: 'debug', tickMs: 15_000, configPath: undefined
    })
    expect(loadConfig({ PORT: '', LOG_LEVEL: ' ' })).toMatchObject({ port: 8080, logLevel: 'info' })
    expect(loadConfig({ GREENSHIFT_TICK_MS: '250', GREENSHIFT_SCHEDULER: 'off', GREENSHIFT_PUBLIC_URL: 'https://gs.example/', GREENSHIFT_AGENT_TIMEOUT_SECONDS: '45' }))
      .toMatchObject({ tickMs: 250, scheduler: false, publicUrl: 'https://gs.example', agentTimeoutSeconds: 45 })
    expect(issues(() => loadConfig({ GREENSHIFT_SCHEDULER: 'maybe', GREENSHIFT_TICK_MS: '5' }))).toEqual([
      'GREENSHIFT_TICK_MS must be an integer from 100 to 86400000, got "5"',
      'GREENSHIFT_SCHEDULER must be one of on, off, got "maybe"'
    ])
  })

  it('takes the scheduler lease from GREENSHIFT_LEASE_SECONDS, at least two ticks long', () => {
    expect(loadConfig({}).leaseMs).toBeUndefined()
    expect(loadConfig({ GREENSHIFT_LEASE_SECONDS: '5', GREENSHIFT_TICK_MS: '1000' }).leaseMs).toBe(5000)
    expect(issues(() => loadConfig({ GREENSHIFT_LEASE_SECONDS: '4' }))).toEqual(['GREENSHIFT_LEASE_SECONDS must be an integer from 5 to 3600, got "4"'])
    expect(issues(() => loadConfig({ GREENSHIFT_LEASE_SECONDS: '8' }))).toEqual(['GREENSHIFT_LEASE_SECONDS must be at least two scheduler ticks (10 s), got "8"'])
  })

  it('reads the edge\'s timeouts and rate limit; inner timeouts default to no more than the whole request\'s', () => {
    expect(loadConfig({}).limits).toEqual({ bodyTimeoutMs: 10_000, headersTimeoutMs: 5_000, callbackBodyTimeoutMs: 3_000, rateLimitPerSecond: 50, rateLimitBurst: 200 })
    expect(loadConfig({ GREENSHIFT_BODY_TIMEOUT_MS: '2000', GREENSHIFT_RATE_LIMIT_PER_SECOND: '0' }).limits)
      .toEqual({ bodyTimeoutMs: 2_000, headersTimeoutMs: 2_000, callbackBodyTimeoutMs: 2_000, rateLimitPerSecond: 0, rateLimitBurst: 200 })
    expect(loadConfig({ GREENSHIFT_HEADERS_TIMEOUT_MS: '300', GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS: '150', GREENSHIFT_RATE_LIMIT_BURST: '5' }).limits)
      .toMatchObject({ headersTimeoutMs: 300, callbackBodyTimeoutMs: 150, rateLimitBurst: 5 })
    expect(issues(() => loadConfig({ GREENSHIFT_BODY_TIMEOUT_MS: '1000', GREENSHIFT_HEADERS_TIMEOUT_MS: '2000', GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS: '50' }))).toEqual([
      'GREENSHIFT_HEADERS_TIMEOUT_MS must not exceed GREENSHIFT_BODY_TIMEOUT_MS (1000 ms), got "2000"',
      'GREENSHIFT_CALLBACK_BODY_TIMEOUT_MS must be an integer from 100 to 600000, got "50"'
    ])
    expect(issues(() => loadConfig({ GREENSHIFT_RATE_LIMIT_PER_SECOND: '-1', GREENSHIFT_RATE_LIMIT_BURST: '0' }))).toEqual([
      'GREENSHIFT_RATE_LIMIT_PER_SECOND must be an integer from 0 to 1000000, got "-1"',
      'GREENSHIFT_RATE_LIMIT_BURST must be an integer from 1 to 1000000, got "0"'
    ])
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535, got "abc"'],
    [{ PORT: '-1' }, 'PORT must be an integer from 0 to 65535, got "-1"'],
    [{ PORT: '65536' }, 'PORT must be an integer from 0 to 65535, got "65536"'],
    [{ GREENSHIFT_TICK_SECONDS: '1.5' }, 'GREENSHIFT_TICK_SECONDS must be an integer from 1 to 86400, got "1.5"'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
    [{ GREENSHIFT_ADMIN_KEY: 'gs_short' }, 'GREENSHIFT_ADMIN_KEY must be "gs_" followed by at least 24 letters, digits, "_" or "-"'],
    [{ GREENSHIFT_ADMIN_KEY: 'xx_abcdefghijklmnopqrstuvwxyz' }, 'GREENSHIFT_ADMIN_KEY must be "gs_" followed by at least 24 letters, digits, "_" or "-"']
  ])('rejects %o', (env, message) => {
    expect(issues(() => loadConfig(env))).toEqual([message])
  })

  it('reports every problem at once and never echoes the admin key', () => {
    const err = (() => { try { loadConfig({ PORT: 'x', GREENSHIFT_ADMIN_KEY: 'gs_secret' }) } catch (e) { return e } })()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).issues).toHaveLength(2)
    expect((err as ConfigError).message).not.toContain('gs_secret')
    expect((err as ConfigError).code).toBe('invalid-config')
  })
})

describe('loadConfig file', () => {
  it('accepts a valid file and fills defaults', () => {
    const file = base()
    delete file.planning
    file.pools[0].enabled = false
    const config = loadFile(file)
    expect(config.zones.DE).toEqual({ provider: 'replay', dataset: 'zones-2022', region: 'DE', horizonHours: 48 })
    expect(config.pools.map(p => [p.name, p.enabled])).toEqual([['a100-de', false], ['lab-hook', true], ['slurm-de', true]])
    expect(config.pools[2]?.executor).toEqual({ kind: 'slurm', url: 'http://slurm:6820', partition: 'gpu', user: 'root', tokenEnv: 'SLURM_JWT' })
    expect(config.secrets.get('SLURM_JWT')).toBe('jwt-test')
    expect(config.secrets.get('LAB_HOOK_SECRET')).toBe('whsec-test')
    expect(config.planning).toEqual({ safetyMarginMinutes: 10, forecastHorizonHours: 48, retentionDays: 14, replanMinGrams: 50, replanMinPercent: 5 })
  })

  it('reads the pools\' accounting settings: host and idle watts per GPU (default 0) and a market factor (default none, kind contract)', () => {
    const file = base()
    file.pools[0] = { ...file.pools[0], hostWattsPerGpu: 150, idleWattsPerGpu: 60.5, market: { gPerKwh: 25, instrument: 'PPA wind 2026' } }
    file.pools[1].market = { gPerKwh: 612, instrument: 'AIB residual mix DE 2025', kind: 'residual-mix' }
    file.pools[2].market = null
    const pools = loadFile(file).pools
    expect(pools.map(p => [p.hostWattsPerGpu, p.idleWattsPerGpu, p.market])).toEqual([
      [150, 60.5, { gPerKwh: 25, instrument: 'PPA wind 2026', kind: 'contract' }],
      [0, 0, { gPerKwh: 612, instrument: 'AIB residual mix DE 2025', kind: 'residual-mix' }],
      [0, 0, null]
    ])
  })

  it('names the file and the path, as in pools[2].gpuCount', () => {
    const file = base()
    file.pools[2].gpuCount = 0
    expect(() => loadFile(file)).toThrow(new ConfigError(['GREENSHIFT_CONFIG ./x.json: pools[2].gpuCount must be a positive integer']))
  })

  const cases: Array<[string, (f: Json) => void, string]> = [
    ['unknown top-level key', f => { f.pool = [] }, 'config.pool is not a known key (expected zones, pools, planning)'],
    ['non-object file', f => { f.zones = 3 }, 'zones must be a JSON object'],
    ['bad zone name', f => { f.zones['a b'] = { provider: 'replay', dataset: 'zones-2022' } }, 'zones.a b is not a valid zone name (letters, digits, "-" and "_", at most 64)'],
    ['unknown provider', f => { f.zones.DE.provider = 'wattime' }, 'zones.DE.provider must be one of "replay", "csv"'],
    ['http provider as shorthand', f => { f.zones.DE.provider = 'watttime' }, 'zones.DE.provider "watttime" must be written as a chain: { "providers": [{ "provider": "watttime", ... }] }'],
    ['other dataset', f => { f.zones.DE.dataset = 'zones-2023' }, 'zones.DE.dataset must be one of "zones-2022"'],
    ['zone not shipped', f => { f.zones.MARS = { provider: 'replay', dataset: 'zones-2022' } }, 'zones.MARS "MARS" is not in dataset zones-2022'],
    ['region not shipped', f => { f.zones.DE.region = 'DE-X' }, 'zones.DE.region "DE-X" is not in dataset zones-2022'],
    ['bad horizon', f => { f.zones.DE.horizonHours = 0 }, 'zones.DE.horizonHours must be an integer from 1 to 8760'],
    ['unknown replay key', f => { f.zones.DE.path = 'x' }, 'zones.DE.path is not a known key (expected provider, dataset, region, horizonHours)'],
    ['csv without path', f => { delete f.zones.LAB.path }, 'zones.LAB.path is required'],
    ['csv bad signal', f => { f.zones.LAB.signal = 'avg' }, 'zones.LAB.signal must be one of "average", "marginal"'],
    ['no pools', f => { f.pools = [] }, 'pools must be a non-empty array'],
    ['pool not an object', f => { f.pools[1] = 'x' }, 'pools[1] must be a JSON object'],
    ['unknown pool key', f => { f.pools[0].gpus = 1 }, 'pools[0].gpus is not a known key (expected name, zone, gpuModel, gpuCount, wattsPerGpu, pue, executor, enabled, embodiedGPerGpuHour, hostWattsPerGpu, idleWattsPerGpu, market)'],
    ['bad pool name', f => { f.pools[0].name = 'A100_DE' }, 'pools[0].name "A100_DE" must match ^[a-z0-9][a-z0-9-]{0,62}$'],
    ['duplicate pool name', f => { f.pools[2].name = 'a100-de' }, 'pools[2].name "a100-de" is already used by pools[0]'],
    ['missing name', f => { delete f.pools[0].name }, 'pools[0].name is required'],
    ['unknown zone', f => { f.pools[1].zone = 'FR' }, 'pools[1].zone "FR" is not defined in zones'],
    ['blank gpu model', f => { f.pools[0].gpuModel = ' ' }, 'pools[0].gpuModel must be a non-empty string'],
    ['fractional gpuCount', f => { f.pools[0].gpuCount = 1.5 }, 'pools[0].gpuCount must be a positive integer'],
    ['string gpuCount', f => { f.pools[0].gpuCount = '8' }, 'pools[0].gpuCount must be a positive integer'],
    ['watts too high', f => { f.pools[0].wattsPerGpu = 5001 }, 'pools[0].wattsPerGpu must be a number from 1 to 5000'],
    ['pue below 1', f => { f.pools[0].pue = 0.9 }, 'pools[0].pue must be a number from 1 to 3'],
    ['enabled not boolean', f => { f.pools[0].enabled = 'yes' }, 'pools[0].enabled must be true or false'],
    ['missing executor', f => { delete f.pools[0].executor }, 'pools[0].executor is required'],
    ['unknown executor', f => { f.pools[0].executor = { kind: 'k8s' } }, 'pools[0].executor.kind must be one of "agent", "webhook", "slurm"'],
    ['webhook without url', f => { f.pools[1].executor = { kind: 'webhook', secretEnv: 'LAB_HOOK_SECRET' } }, 'pools[1].executor.url is required'],
    ['webhook without secretEnv', f => { delete f.pools[1].executor.secretEnv }, 'pools[1].executor.secretEnv is required'],
    ['webhook secret unset', f => { f.pools[1].executor.secretEnv = 'NOT_SET_ANYWHERE' }, 'pools[1].executor needs the environment variable NOT_SET_ANYWHERE, which is not set'],
    ['slurm bad token variable', f => { f.pools[2].executor.tokenEnv = '1X' }, 'pools[2].executor.tokenEnv "1X" is not an environment variable name (letters, digits and "_", not starting with a digit)'],
    ['negative embodied carbon', f => { f.pools[0].embodiedGPerGpuHour = -1 }, 'pools[0].embodiedGPerGpuHour must be a number from 0 to 100000'],
    ['negative host watts', f => { f.pools[0].hostWattsPerGpu = -1 }, 'pools[0].hostWattsPerGpu must be a number from 0 to 2000'],
    ['idle watts as text', f => { f.pools[0].idleWattsPerGpu = '60' }, 'pools[0].idleWattsPerGpu must be a number from 0 to 2000'],
    ['idle watts too high', f => { f.pools[0].idleWattsPerGpu = 2001 }, 'pools[0].idleWattsPerGpu must be a number from 0 to 2000'],
    ['market not an object', f => { f.pools[0].market = 25 }, 'pools[0].market must be a JSON object'],
    ['market factor too high', f => { f.pools[0].market = { gPerKwh: 5001, instrument: 'PPA' } }, 'pools[0].market.gPerKwh must be a number from 0 to 5000'],
    ['market without factor', f => { f.pools[0].market = { instrument: 'PPA' } }, 'pools[0].market.gPerKwh is required'],
    ['market blank instrument', f => { f.pools[0].market = { gPerKwh: 25, instrument: ' ' } }, 'pools[0].market.instrument must be a non-empty string'],
    ['market long instrument', f => { f.pools[0].market = { gPerKwh: 25, instrument: 'x'.repeat(201) } }, 'pools[0].market.instrument must be at most 200 characters'],
    ['market unknown kind', f => { f.pools[0].market = { gPerKwh: 25, instrument: 'PPA', kind: 'offset' } }, 'pools[0].market.kind must be one of "contract", "residual-mix"'],
    ['market unknown key', f => { f.pools[0].market = { gPerKwh: 25, instrument: 'PPA', year: 2026 } }, 'pools[0].market.year is not a known key (expected gPerKwh, instrument, kind)'],
    ['webhook bad url', f => { f.pools[1].executor.url = 'ftp://x' }, 'pools[1].executor.url must be an absolute http:// or https:// URL'],
    ['slurm extra key', f => { f.pools[2].executor.baseUrl = 'http://x' }, 'pools[2].executor.baseUrl is not a known key (expected kind, url, partition, user, tokenEnv)'],
    ['slurm no partition', f => { delete f.pools[2].executor.partition }, 'pools[2].executor.partition is required'],
    ['bad margin', f => { f.planning.safetyMarginMinutes = -1 }, 'planning.safetyMarginMinutes must be a number from 0 to 1440'],
    ['bad planning horizon', f => { f.planning.forecastHorizonHours = 1000 }, 'planning.forecastHorizonHours must be an integer from 1 to 720'],
    ['bad retention', f => { f.planning.retentionDays = 3 }, 'planning.retentionDays must be an integer from 7 to 3650'],
    ['unknown planning key', f => { f.planning.horizon = 1 }, 'planning.horizon is not a known key (expected safetyMarginMinutes, forecastHorizonHours, retentionDays, replanMinGrams, replanMinPercent)']
  ]

  it.each(cases)('rejects %s', (_what, mutate, message) => {
    const file = base()
    mutate(file)
    const found = issues(() => loadFile(file))
    expect(found).toHaveLength(1)
    expect(found[0]).toContain(`GREENSHIFT_CONFIG ./x.json: ${message}`)
  })

  it('rejects an empty zones object, and then each pool naming a zone', () => {
    const file = base()
    file.zones = {}
    expect(issues(() => loadFile(file))).toEqual([
      'GREENSHIFT_CONFIG ./x.json: zones must name at least one zone',
      'GREENSHIFT_CONFIG ./x.json: pools[0].zone "DE" is not defined in zones',
      'GREENSHIFT_CONFIG ./x.json: pools[1].zone "LAB" is not defined in zones',
      'GREENSHIFT_CONFIG ./x.json: pools[2].zone "DE" is not defined in zones'
    ])
  })

  it('rejects a file that is not a JSON object', () => {
    expect(issues(() => loadFile([1, 2]))).toEqual([
      'GREENSHIFT_CONFIG ./x.json: config must be a JSON object',
      'GREENSHIFT_CONFIG ./x.json: zones is required',
      'GREENSHIFT_CONFIG ./x.json: pools must be a non-empty array'
    ])
  })

  it('says when the file cannot be read or is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-config-'))
    try {
      const missing = join(dir, 'missing.json')
      expect(issues(() => loadConfig({ GREENSHIFT_CONFIG: missing }))).toEqual([
        expect.stringMatching(new RegExp(`^GREENSHIFT_CONFIG ${missing}: cannot read the file \\(ENOENT: no such file or directory`))
      ])
      writeFileSync(join(dir, 'bad.json'), '{ "zones": ')
      expect(issues(() => loadConfig({ GREENSHIFT_CONFIG: join(dir, 'bad.json') }))).toEqual([
        expect.stringMatching(new RegExp(`^GREENSHIFT_CONFIG ${join(dir, 'bad.json')}: invalid JSON \\(.+\\)$`))
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('relative csv paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('resolve against the config file directory, and buildProviders reads them', async () => {
    mkdirSync(join(dir, 'conf'))
    copyFileSync(FIXTURE, join(dir, 'conf', 'lab-intensity.csv'))
    writeFileSync(join(dir, 'conf', 'greenshift.json'), JSON.stringify(base()))
    const config = loadConfig({ ...EXECUTOR_SECRETS, GREENSHIFT_CONFIG: join(dir, 'conf', 'greenshift.json') })
    expect(config.zones.LAB).toEqual({ provider: 'csv', path: join(dir, 'conf', 'lab-intensity.csv'), signal: 'average', gas: 'co2e', factorType: 'lifecycle' })
    const lab = buildProviders(config).get('LAB')
    expect(lab).toBeInstanceOf(CsvProvider)
    const t = Date.UTC(2026, 0, 5)
    expect(await lab?.forecast('LAB', t, t + 7_200_000)).toEqual({
      zone: 'LAB', signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'csv:lab-intensity.csv', version: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
      points: [{ start: t, end: t + 3_600_000, gPerKwh: 120.5 }, { start: t + 3_600_000, end: t + 7_200_000, gPerKwh: 80 }]
    })
  })
})
