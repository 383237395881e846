import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { labelsOf } from '../../core/ledger-price.js'
import { HOUR_MS, type IntensityPoint } from '../../core/types.js'
import { floorHour } from '../../core/intervals.js'
import { invalidField, notFound } from '../../errors.js'
import { asChain } from '../../providers/chain.js'
import { providerLabels, type IntensityProvider } from '../../providers/provider.js'
import { isChain, regionOf } from '../../providers/zone-spec.js'
import { refreshMsOf } from '../../scheduler/fetch.js'
import { actualSeries, forecastSeries } from '../../scheduler/forecasts.js'
import { newestFetch } from '../../store/intensity.js'
import { listPools } from '../../store/pools.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { iso } from '../present.js'
import { errorResponses, IntensityResponse, Zone } from '../schemas.js'

/** One request may span at most 14 days of intensity: 4,032 five-minute points. */
const MAX_SPAN_MS = 14 * 24 * HOUR_MS


/** Intensity is served for at most a year either side of now: history and forecasts beyond mean nothing. */
const MAX_DISTANCE_MS = 366 * 24 * HOUR_MS

function parseInstant (field: string, value: string | undefined, fallback: number, now: number): number {
  if (value === undefined) return fallback
  const t = Date.parse(value)
  if (!Number.isFinite(t)) throw invalidField(field, `"${value}" is not an RFC 3339 date-time`, 400)
  if (Math.abs(t - now) > MAX_DISTANCE_MS) throw invalidField(field, 'must be within a year of now', 400)
  return t
}

/**
 * One zone as `GET /v1/zones` shows it: its chain with each provider's last outcome, what its primary
 * provider's intensity counts (signal, gas, factor type), and its newest stored forecast with its labels and version.
 */
async function zoneView (deps: AppDeps, name: string, provider: IntensityProvider, pools: string[], now: number): Promise<Static<typeof Zone>> {
  const newest = await newestFetch(deps.store.db, name, 'forecast')
  const isoOrNull = (t: number | null) => t === null ? null : iso(t)
  const spec = deps.config.zones[name]
  return {
    name,
    provider: provider.id,
    ...providerLabels(provider),
    pools,
    refreshMinutes: Math.round(refreshMsOf(deps, name) / 60_000),
    chain: asChain(provider).status().members.map(m => ({
      ...m,
      // A shorthand zone's provider is not built as a chain member: its region comes from the config.
      region: m.region ?? (spec === undefined || isChain(spec) ? null : regionOf(spec)),
      lastSuccessAt: isoOrNull(m.lastSuccessAt),
      lastErrorAt: isoOrNull(m.lastErrorAt)
    })),
    forecast: {
      fetchedAt: newest === undefined ? null : iso(newest.fetchedAt),
      ageSeconds: newest === undefined ? null : Math.round((now - newest.fetchedAt) / 1000),
      horizonEnd: newest === undefined ? null : iso(newest.horizonEnd),
      lastError: deps.zoneStatus.get(name)?.lastError ?? null,
      // Every source label starts with its provider's id: 'watttime:CAISO_NORTH:co2_moer', 'replay:zones-2022'.
      answeredBy: newest?.source.split(':')[0] ?? null,
      source: newest?.source ?? null,
      signal: newest?.signal ?? null,
      gas: newest?.gas ?? null,
      factorType: newest?.factorType ?? null,
      version: newest?.version ?? null
    }
  }
}

export function zoneRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/zones', {
      schema: {
        operationId: 'listZones',
        tags: ['zones'],
        summary: 'Grid zones: provider chain, signal, forecast freshness and horizon, last error, who answered',
        response: { 200: Type.Array(Zone), ...errorResponses }
      }
    }, async request => {
      requireScope(request, 'read')
      const now = deps.now()
      const pools = await listPools(deps.store.db)
      return await Promise.all([...deps.providers].map(async ([name, provider]) =>
        await zoneView(deps, name, provider, pools.filter(p => p.zone === name).map(p => p.name), now)))
    })

    app.get('/zones/:zone/intensity', {
      schema: {
        operationId: 'zoneIntensity',
        tags: ['zones'],
        summary: 'Intensity of a zone over [from, to): actuals before now, the newest forecast after',
        params: Type.Object({ zone: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({
          from: Type.Optional(Type.String({ format: 'date-time', description: 'default: the start of the current hour' })),
          to: Type.Optional(Type.String({ format: 'date-time', description: 'default: from + 24 h' }))
        }, { additionalProperties: false }),
        response: { 200: IntensityResponse, ...errorResponses }
      }
    }, async request => {
      requireScope(request, 'read')
      const { zone } = request.params
      if (!deps.providers.has(zone)) throw notFound(`zone ${zone}`)
      const now = deps.now()
      const from = parseInstant('from', request.query.from, floorHour(now), now)
      const to = parseInstant('to', request.query.to, from + 24 * HOUR_MS, now)
      if (to <= from) throw invalidField('to', 'must be after from', 400)
      if (to - from > MAX_SPAN_MS) throw invalidField('to', 'the range may span at most 14 days', 400)
      const past = from < now ? await actualSeries(deps, zone, from, Math.min(to, now)) : undefined
      const future = to > now ? await forecastSeries(deps, zone, Math.max(from, now), to, now) : undefined
      // Actuals up to now, then the forecast from now: each point clipped so the two never overlap.
      const clip = (kind: 'actual' | 'forecast' | 'fallback', lo: number, hi: number) => (p: IntensityPoint) =>
        ({ start: iso(Math.max(p.start, lo)), end: iso(Math.min(p.end, hi)), gPerKwh: p.gPerKwh, ...(p.p10 === undefined || p.p90 === undefined ? {} : { p10: p.p10, p90: p.p90 }), kind })
      const head = (past?.points ?? []).filter(p => p.start < now).map(clip('actual', from, now))
      // Points from the labelled fallback on (the weekly profile) are no forecast: they say so.
      const fallbackFrom = future?.fallbackFrom ?? Infinity
      const tail = (future?.points ?? []).filter(p => p.end > now).map(p => clip(p.start >= fallbackFrom ? 'fallback' : 'forecast', Math.max(from, now), to)(p))
      const any = future ?? past
      const labels = any === undefined ? providerLabels(deps.providers.get(zone)) : labelsOf(any)
      const unit = labels.gas === 'co2' ? 'gCO2/kWh' as const : 'gCO2e/kWh' as const
      return { zone, ...labels, source: any?.source ?? 'none', version: any?.version ?? null, unit, points: [...head, ...tail] }
    })
  }
}
