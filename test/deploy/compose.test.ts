/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field below */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { parse } from 'yaml'

// deploy/compose.yaml, read as Docker Compose would (no engine runs here): greenshift on the
// project's image against its PostgreSQL, Prometheus scraping it, Grafana with the board provisioned.

const deploy = fileURLToPath(new URL('../../deploy/', import.meta.url))
const read = (path: string) => readFileSync(join(deploy, path), 'utf8')
const compose = parse(read('compose.yaml'))
const services = compose.services as Record<string, Record<string, any>>

/** The host side of each `host:container[:mode]` volume of a service, resolved against deploy/. */
const mounts = (service: string) => (services[service]?.volumes as string[] ?? []).map(v => v.split(':')).map(([from, to]) => ({ from: from as string, to: to as string }))

test('four services, each with a health check, each started after what it needs is healthy', () => {
  expect(Object.keys(services).sort()).toEqual(['grafana', 'greenshift', 'postgres', 'prometheus'])
  for (const [name, s] of Object.entries(services)) {
    expect(s.healthcheck?.test?.length, `${name} health check`).toBeGreaterThan(0)
    expect(s.restart, name).toBe('unless-stopped')
  }
  expect(services.greenshift?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
  expect(services.prometheus?.depends_on).toEqual({ greenshift: { condition: 'service_healthy' } })
  expect(services.grafana?.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } })
})

test('greenshift: the project\'s own image and Dockerfile, its PostgreSQL, a required admin key, its port and readiness', () => {
  const g = services.greenshift as Record<string, any>
  expect(g.image).toBe('greenshift:latest')
  expect(existsSync(join(deploy, g.build.context, g.build.dockerfile))).toBe(true)
  const env = g.environment as Record<string, string>
  const db = new URL(env.DATABASE_URL as string)
  const pg = services.postgres?.environment as Record<string, string>
  expect({ host: db.hostname, user: db.username, password: db.password, database: db.pathname.slice(1) })
    .toEqual({ host: 'postgres', user: pg.POSTGRES_USER, password: pg.POSTGRES_PASSWORD, database: pg.POSTGRES_DB })
  // Without a key of its own the service prints a new one in its log: compose refuses to start instead.
  expect(env.GREENSHIFT_ADMIN_KEY).toMatch(/^\$\{GREENSHIFT_ADMIN_KEY:\?.+\}$/)
  expect(env.HOST).toBe('0.0.0.0')
  expect(g.ports).toEqual([`${env.PORT as string}:${env.PORT as string}`])
  expect(g.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${env.PORT as string}/readyz`)
  // The Dockerfile's own check agrees on the port it defaults to.
  expect(readFileSync(join(deploy, g.build.context, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`PORT=${env.PORT as string}\\b`))
})

test('postgres keeps its data in a volume and is checked with pg_isready as its user', () => {
  const pg = services.postgres as Record<string, any>
  expect(pg.image).toMatch(/^postgres:\d+/)
  expect(mounts('postgres')).toEqual([{ from: 'pgdata', to: '/var/lib/postgresql/data' }])
  expect(pg.healthcheck.test).toEqual(['CMD', 'pg_isready', '-U', pg.environment.POSTGRES_USER, '-d', pg.environment.POSTGRES_DB])
  expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['pgdata', 'promdata']))
})

test('prometheus scrapes greenshift\'s /metrics on its port, from a config file that exists', () => {
  const config = mounts('prometheus').find(m => m.to === '/etc/prometheus/prometheus.yml')
  expect(config).toBeDefined()
  const prom = parse(read(config?.from as string))
  const job = prom.scrape_configs.find((j: { job_name: string }) => j.job_name === 'greenshift')
  expect(job.metrics_path).toBe('/metrics')
  expect(job.static_configs[0].targets).toEqual([`greenshift:${services.greenshift?.environment.PORT as string}`])
  expect(services.prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml')
})

test('grafana provisions the Prometheus data source and loads the board from where the provider looks', () => {
  const provisioning = mounts('grafana').find(m => m.to === '/etc/grafana/provisioning')
  const boardMount = mounts('grafana').find(m => m.to.endsWith('greenshift.json'))
  expect(existsSync(join(deploy, provisioning?.from as string))).toBe(true)
  expect(existsSync(join(deploy, boardMount?.from as string))).toBe(true)
  const datasource = parse(read(join(provisioning?.from as string, 'datasources/prometheus.yaml'))).datasources[0]
  expect(datasource).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' })
  const provider = parse(read(join(provisioning?.from as string, 'dashboards/greenshift.yaml'))).providers[0]
  expect(boardMount?.to.startsWith(provider.options.path + '/')).toBe(true)
  expect(services.grafana?.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(boardMount?.to)
  expect(services.grafana?.ports).toEqual(['3000:3000'])
})
