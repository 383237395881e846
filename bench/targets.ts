import { fileURLToPath } from 'node:url'
import { loadLetsWaitAwhile, PUBLISHED, runLetsWaitAwhile, type PublishedRow } from '../src/sim/lets-wait-awhile.js'

/**
 * `npm run bench:targets` — the 12 figures of Let's Wait Awhile Table 2 (Scenario II, no forecast
 * error) reproduced by the simulator with the production planner, beside the published values.
 * Exits 1 if any differs by more than 0.05 percentage points (shared/TARGETS.md).
 */

const TOLERANCE_PP = 0.05
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** One reproduced figure beside the published one. */
export interface TargetRow extends PublishedRow {
  reproduced: number
  difference: number
  deadlineMisses: number
  ms: number
}

/** Runs the 12 configurations and returns them; prints a line each through `print`. */
export function targetsReport (print: (line: string) => void = console.log): TargetRow[] {
  const data = loadLetsWaitAwhile(ROOT)
  print("Let's Wait Awhile, Scenario II (Wiesner et al., Middleware '21), % of emissions saved vs. running at arrival")
  print('region  deadline rule  interruptible  published  reproduced  difference  misses     time')
  return PUBLISHED.map(row => {
    const t0 = performance.now()
    const s = runLetsWaitAwhile(data, row.region, row.rule, row.interruptible)
    const r: TargetRow = { ...row, reproduced: s.savingPct, difference: s.savingPct - row.published, deadlineMisses: s.deadlineMisses, ms: performance.now() - t0 }
    const flag = Math.abs(r.difference) > TOLERANCE_PP || r.deadlineMisses > 0 ? '  <-- OFF' : ''
    print(`${r.region.padEnd(6)}  ${r.rule.padEnd(13)}  ${(r.interruptible ? 'yes' : 'no').padEnd(13)}  ${r.published.toFixed(2).padStart(9)}  ` +
      `${r.reproduced.toFixed(3).padStart(10)}  ${signed(r.difference).padStart(10)}  ${String(r.deadlineMisses).padStart(6)}  ${r.ms.toFixed(0).padStart(5)} ms${flag}`)
    return r
  })
}

/** `+0.002` / `-0.004`, with no `-0.000`. */
function signed (x: number): string {
  const text = x.toFixed(3)
  return Number(text) === 0 ? ' 0.000' : (x > 0 ? '+' : '') + text
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = targetsReport()
  const off = rows.filter(r => Math.abs(r.difference) > TOLERANCE_PP || r.deadlineMisses > 0)
  console.log(off.length === 0 ? `all 12 within ±${TOLERANCE_PP} pp, 0 deadline misses` : `${off.length} of 12 off by more than ±${TOLERANCE_PP} pp (or with misses)`)
  process.exitCode = off.length === 0 ? 0 : 1
}
