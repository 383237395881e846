import { describe, expect, it } from 'vitest'
import { CapacityLedger } from '../../src/core/capacity.js'
import type { PoolView } from '../../src/core/planner.js'
import { replanMoves, type PlannedJob } from '../../src/core/replan.js'
import type { Placement, Pool, Reservation } from '../../src/core/types.js'
import { HOUR, MIN, pool, request, steps, T0 } from './helpers.js'

const at = (h: number) => T0 + h * HOUR
// 1 GPU × 500 W × pue 1 = 0.5 kW; a 1-h job due at 6 h with the 10-min margin must start by 4 h 50
const a = pool('a', { gpuCount: 1 })
const view = (p: Pool, values: number[], reservations: Reservation[] = []): PoolView => ({ pool: p, series: { ...steps(values), zone: p.zone }, reservations })
const placed = (start: number, end: number, p = 'a'): Placement =>
  ({ pool: p, zone: `zone-${p}`, segments: [{ start, end }], energyKwh: 0.5, grams: 0, signal: 'average', gas: 'co2e', factorType: 'lifecycle', source: 'old', usesFallback: false })
const job = (id: string, start: number, over: Partial<PlannedJob> = {}): PlannedJob =>
  ({ id, req: request({ pools: ['a', 'b'] }), placement: placed(start, start + HOUR), started: false, ...over })
const any = { grams: 0, percent: 0 }

describe('replanMoves', () => {
  it('moves nothing when the saving stays under either threshold', () => {
    // current hour 3 now costs 0.5 × 300 = 150 g; hour 2 at 280 would cost 140 g: 10 g, 6.7 %
    const pools = [view(a, [300, 300, 280, 300, 300, 300])]
    const current = [job('x', at(3))]
    expect(replanMoves(current, pools, T0, { grams: 20, percent: 5 })).toEqual([])
    expect(replanMoves(current, pools, T0, { grams: 5, percent: 10 })).toEqual([])
    const [move] = replanMoves(current, pools, T0, { grams: 5, percent: 5 })
    expect(move).toMatchObject({ id: 'x', to: { segments: [{ start: at(2), end: at(3) }] } })
    expect(move!.savingGrams).toBeCloseTo(10, 9)
    expect(move!.savingPercent).toBeCloseTo(100 / 15, 9)
  })

  it('moves a job to a greener window that appeared, pricing both on the new forecast', () => {
    const pools = [view(a, [300, 300, 300, 300, 20, 300])]
    const [move] = replanMoves([job('x', at(3))], pools, T0, { grams: 50, percent: 50 })
    expect(move!.from).toMatchObject({ segments: [{ start: at(3), end: at(4) }], grams: 150, source: 'test' })
    expect(move!.to).toMatchObject({ pool: 'a', segments: [{ start: at(4), end: at(5) }], grams: 10 })
    expect(move!.savingGrams).toBeCloseTo(140, 9)
    expect(move!.savingPercent).toBeCloseTo(140 / 1.5, 9)
  })

  it('moves across pools', () => {
    const pools = [view(a, [300, 300, 300, 300, 300, 300]), view(pool('b'), [90, 90, 90, 90, 90, 90])]
    const [move] = replanMoves([job('x', at(3))], pools, T0, any)
    expect(move!.to).toMatchObject({ pool: 'b', segments: [{ start: at(0), end: at(1) }], grams: 45 })
  })

  it('never moves a started job, nor one whose start is not after now', () => {
    const pools = [view(a, [10, 10, 10, 300, 300, 300])]
    expect(replanMoves([job('x', at(3), { started: true })], pools, T0, any)).toEqual([])
    expect(replanMoves([job('x', at(3))], pools, at(3), any)).toEqual([])
    // the started job keeps its GPU over [1 h, 2 h): x, free from 0:59, cannot take [0:59, 1:59)
    // and gets hour 2 instead
    const moves = replanMoves([job('run', at(1), { started: true }), job('x', at(4))], pools, at(1) - MIN, any)
    expect(moves.map(m => [m.id, m.to.segments[0]!.start])).toEqual([['x', at(2)]])
  })

  it('never plans past the latest safe start', () => {
    // the greenest hour is the last, but the job must start by 4 h 50: [4:50, 5:50) costs
    // 0.5 × (300 × 10 + 0 × 50) / 60 = 25 g
    const pools = [view(a, [300, 300, 300, 300, 300, 0])]
    const [move] = replanMoves([job('x', at(1))], pools, T0, any)
    expect(move!.to.segments).toEqual([{ start: at(4) + 50 * MIN, end: at(5) + 50 * MIN }])
    expect(move!.to.grams).toBeCloseTo(25, 9)
    // past the latest safe start nothing moves, whatever the forecast says
    expect(replanMoves([job('x', at(5))], pools, at(4) + 55 * MIN, any)).toEqual([])
  })

  it('does not let a job’s own reservation block it', () => {
    // a 2-h job at [2, 4) on the only GPU, its reservation also listed by the pool; [3, 5) is cheaper
    const pools = [view(a, [300, 300, 300, 300, 10, 300], [{ pool: 'a', start: at(2), end: at(4), gpus: 1, jobId: 'x' }])]
    const x = job('x', at(2), { req: request({ pools: ['a'], durationMs: 2 * HOUR }), placement: placed(at(2), at(4)) })
    const [move] = replanMoves([x], pools, T0, any)
    expect(move!.to.segments).toEqual([{ start: at(3), end: at(5) }])
    expect(move!.savingGrams).toBeCloseTo(300 - 155, 9)
  })

  it('keeps the moves capacity-feasible together', () => {
    // both jobs want hour 1 on the one GPU: only one moves; the other's best is then no cheaper
    const pools = [view(a, [300, 10, 300, 300, 300, 300])]
    const current = [job('x', at(2)), job('y', at(3))]
    const moves = replanMoves(current, pools, T0, any)
    expect(moves).toHaveLength(1)
    expect(moves[0]).toMatchObject({ id: 'x', to: { segments: [{ start: at(1), end: at(2) }] } })
    // applied in order to a ledger holding the plan in force, no instant exceeds 1 GPU
    const ledger = new CapacityLedger(current.map(c => ({ pool: 'a', ...c.placement.segments[0]!, gpus: 1, jobId: c.id })))
    for (const m of moves) {
      ledger.release({ pool: m.from.pool, ...m.from.segments[0]!, gpus: 1 })
      ledger.reserve({ pool: m.to.pool, ...m.to.segments[0]!, gpus: 1 })
    }
    expect(ledger.peak('a', at(0), at(6))).toBe(1)
    // with 2 GPUs both move to hour 1
    const two = replanMoves(current, [view(pool('a', { gpuCount: 2 }), [300, 10, 300, 300, 300, 300])], T0, any)
    expect(two.map(m => [m.id, m.to.segments[0]!.start])).toEqual([['x', at(1)], ['y', at(1)]])
  })
})
