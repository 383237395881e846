// Zones: each zone's intensity, actuals (last 24 h) against the newest forecast (to its horizon),
// with the provider that answered. GET /v1/zones, then GET /v1/zones/{zone}/intensity per zone.
import { api } from './api.js'
import { stepChart } from './chart.js'
import { h, when } from './dom.js'
import type { Intensity, Zone } from './types.js'

const HOUR_MS = 3_600_000

function horizon (zone: Zone, series: Intensity, now: number): string {
  const end = zone.forecast.horizonEnd ?? series.points.filter(p => p.kind === 'forecast').at(-1)?.end ?? null
  if (end === null) return 'no forecast'
  const ahead = Math.round((Date.parse(end) - now) / HOUR_MS)
  return `forecast to ${when(end)} (${ahead} h ahead)`
}

function card (zone: Zone, series: Intensity, now: number): { el: HTMLElement, draw: () => void } {
  const answeredBy = zone.forecast.answeredBy ?? zone.chain.find(c => c.lastSuccessAt !== null)?.provider ?? zone.provider
  const error = zone.forecast.lastError ?? zone.chain.find(c => c.lastError !== null)?.lastError ?? null
  const plot = h('div', { class: 'plot' })
  const el = h('article', { class: 'card zone', 'data-zone': zone.name },
    h('h2', {}, zone.name, h('span', { class: 'tag' }, `${series.signal} signal`), h('span', { class: 'tag' }, series.unit)),
    h('p', { class: 'meta' },
      `${horizon(zone, series, now)} · answered by ${answeredBy} · source ${series.source}${series.version === null ? '' : ` @ ${series.version}`}`,
      zone.pools.length > 0 ? ` · pools ${zone.pools.join(', ')}` : ''),
    error === null ? null : h('p', { class: 'error' }, `last error: ${error}`),
    plot)
  const kinds = (k: string) => series.points.map(p => p.kind === k ? p.gPerKwh : null)
  const draw = () => {
    if (series.points.length === 0) {
      plot.append(h('p', { class: 'hint' }, 'no intensity for this range'))
      return
    }
    stepChart(plot, series.points.map(p => Date.parse(p.start) / 1000), [
      { label: 'actual', stroke: '#2e7d32', values: kinds('actual') },
      { label: 'forecast', stroke: '#1565c0', dash: [6, 4], values: kinds('forecast') },
      { label: 'fallback profile', stroke: '#9e9e9e', dash: [2, 3], values: kinds('fallback') }
    ], series.unit, now / 1000)
  }
  return { el, draw }
}

export async function zonesView (main: HTMLElement): Promise<void> {
  const now = Date.now()
  const from = new Date(Math.floor(now / HOUR_MS) * HOUR_MS - 24 * HOUR_MS).toISOString()
  const zones = await api<Zone[]>('/v1/zones')
  const series = await Promise.all(zones.map(z => {
    // To the stored forecast's horizon, or 48 h (the planner's default) when none is stored yet.
    const to = z.forecast.horizonEnd ?? new Date(now + 48 * HOUR_MS).toISOString()
    return api<Intensity>(`/v1/zones/${encodeURIComponent(z.name)}/intensity?from=${from}&to=${to}`)
  }))
  const cards = zones.map((z, i) => card(z, series[i]!, now))
  main.replaceChildren(
    h('h1', {}, 'Grid intensity'),
    h('p', { class: 'hint' }, 'Actual intensity over the last 24 h, then the newest forecast; the red line is now. Times in your time zone.'),
    h('div', { class: 'grid' }, ...cards.map(c => c.el)))
  for (const c of cards) c.draw()
}
