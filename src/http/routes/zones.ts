import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HOUR_MS, type IntensityPoint } from '../../core/types.js'
import { invalidField, notFound } from '../../errors.js'
import { actualSeries, forecastSeries } from '../../scheduler/forecasts.js'
import { newestFetch } from '../../store/intensity.js'
import { listPools } from '../../store/pools.js'
import type { AppDeps } from '../app.js'
import { requireScope } from '../auth.js'
import { errorResponses, IntensityResponse, Zone } from '../schemas.js'

/** One request may span at most 14 days of intensity: 4,032 five-minute points. */
const MAX_SPAN_MS = 14 * 24 * HOUR_MS

const iso = (t: number) => new Date(t).toISOString()

/** Intensity is served for at most a year either side of now: history and forecasts beyond mean nothing. */
const MAX_DISTANCE_MS = 366 * 24 * HOUR_MS

function parseInstant (field: string, value: string | undefined, fallback: number, now: number): number {
  if (value === undefined) return fallback
  const t = Date.parse(value)
  if (!Number.isFinite(t)) throw invalidField(field, `"${value}" is not an RFC 3339 date-time`, 400)
  if (Math.abs(t - now) > MAX_DISTANCE_MS) throw invalidField(field, 'must be within a year of now', 400)
  return t
}

export function zoneRoutes (deps: AppDeps): FastifyPluginAsyncTypebox {
  return async app => {
    app.get('/zones', {
      schema: { operationId: 'listZones', tags: ['zones'], summary: 'Grid zones, their provider and forecast freshness', response: { 200: Type.Array(Zone), ...errorResponses } }
    }, async request => {
      requireScope(request, 'read')
      const now = deps.now()
      const pools = await listPools(deps.store.db)
      return await Promise.all([...deps.providers].map(async ([name, provider]) => {
        const newest = await newestFetch(deps.store.db, name, 'forecast')
        return {
          name,
          provider: provider.id,
          signal: provider.signal,
          pools: pools.filter(p => p.zone === name).map(p => p.name),
          forecast: {
            fetchedAt: newest === undefined ? null : iso(newest.fetchedAt),
            ageSeconds: newest === undefined ? null : Math.round((now - newest.fetchedAt) / 1000),
            horizonEnd: newest === undefined ? null : iso(newest.horizonEnd),
            lastError: deps.zoneStatus.get(name)?.lastError ?? null
          }
        }
      }))
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
      const from = parseInstant('from', request.query.from, Math.floor(now / HOUR_MS) * HOUR_MS, now)
      const to = parseInstant('to', request.query.to, from + 24 * HOUR_MS, now)
      if (to <= from) throw invalidField('to', 'must be after from', 400)
      if (to - from > MAX_SPAN_MS) throw invalidField('to', 'the range may span at most 14 days', 400)
      const past = from < now ? await actualSeries(deps, zone, from, Math.min(to, now)) : undefined
      const future = to > now ? await forecastSeries(deps, zone, Math.max(from, now), to, now) : undefined
      // Actuals up to now, then the forecast from now: each point clipped so the two never overlap.
      const clip = (kind: 'actual' | 'forecast', lo: number, hi: number) => (p: IntensityPoint) =>
        ({ start: iso(Math.max(p.start, lo)), end: iso(Math.min(p.end, hi)), gPerKwh: p.gPerKwh, kind })
      const head = (past?.points ?? []).filter(p => p.start < now).map(clip('actual', from, now))
      const tail = (future?.points ?? []).filter(p => p.end > now).map(clip('forecast', Math.max(from, now), to))
      const any = future ?? past
      return { zone, signal: any?.signal ?? 'average', source: any?.source ?? 'none', unit: 'gCO2e/kWh' as const, points: [...head, ...tail] }
    })
  }
}
