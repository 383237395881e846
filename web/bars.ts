// A grouped bar chart in SVG: one group per period, one bar per series, a zero line, the unit on
// the axis. Small enough to draw ourselves; uPlot's bars do not group.
import { s } from './dom.js'

export interface BarSeries { name: string, cls: string, values: Array<number | null> }

const H = 220
const PAD = { left: 64, right: 8, top: 24, bottom: 36 }

/** Ticks at 1, 2 or 5 × 10^n, about five of them, covering [lo, hi]. */
function ticks (lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5 || 1
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(m => m * mag).find(step => step >= raw) ?? raw
  const out: number[] = []
  for (let t = Math.floor(lo / step) * step; t <= hi + step / 2; t += step) out.push(Math.round(t / step) * step)
  return out
}

export function barChart (labels: string[], series: BarSeries[], unit: string, width: number): SVGSVGElement {
  const all = series.flatMap(x => x.values).filter((v): v is number => v !== null)
  const t = ticks(Math.min(0, ...all), Math.max(0, ...all, 1e-9))
  const lo = t[0]!
  const hi = t.at(-1)!
  const y = (v: number) => PAD.top + (hi - v) / (hi - lo || 1) * (H - PAD.top - PAD.bottom)
  const groupW = (width - PAD.left - PAD.right) / Math.max(1, labels.length)
  const barW = Math.max(1, Math.min(24, (groupW * 0.8) / series.length))
  const svg = s('svg', { class: 'bars', width, height: H, role: 'img', 'aria-label': `${series.map(x => x.name).join(', ')} in ${unit}` })
  for (const v of t) {
    svg.append(s('line', { class: v === 0 ? 'zero' : 'grid', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, Number(v.toPrecision(3)).toLocaleString()))
  }
  svg.append(s('text', { class: 'axis unit', x: 4, y: 10 }, unit))
  // Label every k-th period so labels do not overlap (about 60 px each).
  const every = Math.max(1, Math.ceil(60 / groupW))
  labels.forEach((label, i) => {
    const gx = PAD.left + i * groupW + (groupW - barW * series.length) / 2
    series.forEach((x, j) => {
      const v = x.values[i]
      if (v === null || v === undefined) return
      svg.append(s('rect', { class: `bar ${x.cls}`, 'data-value': v, x: gx + j * barW, y: Math.min(y(v), y(0)), width: barW, height: Math.max(1, Math.abs(y(v) - y(0))) },
        s('title', {}, `${label} · ${x.name}: ${v.toLocaleString(undefined, { maximumFractionDigits: 2 })} ${unit}`)))
    })
    if (i % every === 0) svg.append(s('text', { class: 'axis', x: gx, y: H - PAD.bottom + 14 }, label))
  })
  return svg
}
