import { readFileSync } from 'node:fs'
import type { Registry } from 'prom-client'
import { expect, test } from 'vitest'
import { createMetrics } from '../../src/metrics.js'
import { useTestApp } from '../support/app.js'

// The Grafana board in deploy/grafana queries only metrics greenshift exposes, by labels they have.

const t = useTestApp()
const board = JSON.parse(readFileSync(new URL('../../deploy/grafana/greenshift.json', import.meta.url), 'utf8'))

interface Query { panel: string, expr: string }
const queries: Query[] = [
  ...board.panels.flatMap((p: { title: string, targets: Array<{ expr: string }> }) => p.targets.map(q => ({ panel: p.title, expr: q.expr }))),
  ...board.templating.list.map((v: { name: string, query: { query: string } }) => ({ panel: `variable ${v.name}`, expr: v.query.query }))
]

/** A series name's metric: histograms are queried by their _bucket, _sum and _count series. */
const metricOf = (series: string) => series.replace(/_(bucket|sum|count)$/, '')

/** The labels a PromQL expression selects, groups or reads by (rough, but enough for the board's own queries). */
function labelsIn (expr: string): string[] {
  const matchers = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap(m => [...(m[1] ?? '').matchAll(/([a-z_]+)\s*(=~|!=|!~|=)/g)].map(l => l[1] as string))
  const grouped = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap(m => (m[1] ?? '').split(',').map(s => s.trim()))
  const values = [...expr.matchAll(/label_values\([a-z_]+,\s*([a-z_]+)\)/g)].map(m => m[1] as string)
  return [...matchers, ...grouped, ...values].filter(l => l !== '')
}

function labelNamesOf (registry: Registry, metric: string): string[] {
  const found = registry.getSingleMetric(metric) as unknown as { labelNames: string[] } | undefined
  return found === undefined ? [] : found.labelNames
}

test('the board has panels, each with a query, on the provisioned Prometheus data source', () => {
  expect(board.uid).toBe('greenshift')
  expect(board.panels.length).toBeGreaterThanOrEqual(8)
  for (const p of board.panels) {
    expect(p.targets.length, p.title).toBeGreaterThan(0)
    expect(p.datasource.uid, p.title).toBe('prometheus')
  }
})

test('every metric the board queries is served at /metrics, and every label it uses is one of that metric\'s labels', async () => {
  const scraped = (await t().app.inject({ method: 'GET', url: '/metrics' })).body
  const registry = createMetrics().registry
  const used = new Set<string>()
  for (const { panel, expr } of queries) {
    const metrics = [...new Set([...expr.matchAll(/greenshift_[a-z_]+/g)].map(m => metricOf(m[0])))]
    expect(metrics.length, `${panel}: ${expr}`).toBeGreaterThan(0)
    for (const metric of metrics) {
      used.add(metric)
      expect(scraped, `${panel} queries ${metric}`).toContain(`# TYPE ${metric} `)
    }
    const allowed = new Set(['le', ...metrics.flatMap(m => labelNamesOf(registry, m))])
    for (const label of labelsIn(expr)) expect(allowed.has(label), `${panel}: label "${label}" in ${expr}`).toBe(true)
  }
  // The board shows every metric greenshift exposes.
  const exposed = [...scraped.matchAll(/^# TYPE (greenshift_[a-z_]+) /gm)].map(m => m[1])
  expect(exposed.filter(m => !used.has(m as string))).toEqual([])
})

test('the label check catches a label the metric does not have', () => {
  const registry = createMetrics().registry
  expect(labelsIn('sum by (job_id) (greenshift_jobs{pool=~"$pool"})')).toEqual(['pool', 'job_id'])
  expect(labelNamesOf(registry, 'greenshift_jobs')).not.toContain('job_id')
})
