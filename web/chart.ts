// uPlot as the views use it: time on x, the viewer's width, a "now" line.
import uPlot from 'uplot'

export interface LineSeries { label: string, stroke: string, dash?: number[], values: Array<number | null> }

const HOUR_S = 3600

/**
 * An hourly step chart of `series` over `starts` (UNIX seconds, each value holding for the hour
 * after it), with a vertical line at `nowS`. Appended to `into`, sized to its width.
 */
export function stepChart (into: HTMLElement, starts: number[], series: LineSeries[], unit: string, nowS: number): uPlot {
  // One more x at the end so the last hour's step is drawn to its end.
  const xs = [...starts, (starts.at(-1) ?? nowS) + HOUR_S]
  const data: uPlot.AlignedData = [xs, ...series.map(s => [...s.values, s.values.at(-1) ?? null])]
  const opts: uPlot.Options = {
    width: Math.max(320, into.clientWidth - 8),
    height: 200,
    scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max * 1.1, min + 1)] } },
    series: [{}, ...series.map(s => ({
      label: s.label,
      stroke: s.stroke,
      width: 2,
      ...(s.dash === undefined ? {} : { dash: s.dash }),
      paths: uPlot.paths.stepped!({ align: 1 }),
      value: (_u: uPlot, v: number | null) => v === null ? '—' : `${v.toFixed(0)} ${unit}`
    }))],
    axes: [{}, { label: unit, size: 60 }],
    hooks: {
      draw: [u => {
        const x = u.valToPos(nowS, 'x', true)
        const ctx = u.ctx
        ctx.save()
        ctx.strokeStyle = '#c62828'
        ctx.lineWidth = 1.5
        ctx.setLineDash([])
        ctx.beginPath()
        ctx.moveTo(x, u.bbox.top)
        ctx.lineTo(x, u.bbox.top + u.bbox.height)
        ctx.stroke()
        ctx.restore()
      }]
    }
  }
  const chart = new uPlot(opts, data, into)
  chart.root.dataset.points = String(starts.length)
  return chart
}
