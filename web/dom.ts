// Building the page: elements from plain values (text nodes only, never HTML strings: nothing the
// API returns is parsed as markup), and the formats every view shares.

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>

function fill<E extends Element> (el: E, attrs: Attrs, children: Child[]): E {
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (v === true) el.setAttribute(k, '')
    else if (v !== undefined && v !== false) el.setAttribute(k, String(v))
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'object' ? c : String(c))
  }
  return el
}

/** An HTML element; attributes named `on…` with a function are listeners. */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children)
}

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children)
}

/** Grams as the largest sensible unit, always with the gas: "12.3 kg CO2e". */
export function mass (grams: number | null, gas = 'co2e'): string {
  if (grams === null) return '—'
  const g = gas === 'co2' ? 'CO2' : 'CO2e'
  const a = Math.abs(grams)
  if (a >= 1e6) return `${(grams / 1e6).toFixed(2)} t ${g}`
  if (a >= 1e3) return `${(grams / 1e3).toFixed(a >= 1e5 ? 0 : 2)} kg ${g}`
  return `${grams.toFixed(a >= 100 ? 0 : 1)} g ${g}`
}

/** The basis an emissions figure is on, e.g. "average signal, lifecycle". */
export const basis = (b: { signal: string, factorType: string }): string => `${b.signal} signal, ${b.factorType}`

/** kWh to two decimals, or two significant digits below 0.01 kWh (a one-minute job draws a few Wh). */
export const kwh = (v: number): string => `${v !== 0 && Math.abs(v) < 0.01 ? Number(v.toPrecision(2)) : v.toFixed(2)} kWh`

/** An instant in the viewer's time zone, to the minute (to the second with `exact`: events and runs, whose order matters). */
export function when (iso: string | null, exact = false): string {
  if (iso === null) return '—'
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: exact ? 'medium' : 'short' })
}

export function hours (minutes: number): string {
  if (minutes < 60) return `${Math.round(minutes * 10) / 10} min`
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${(minutes / 60).toFixed(1)} h`
}

/** A table from a header row and body rows. */
export function table (head: string[], rows: Child[][], cls = ''): HTMLTableElement {
  return h('table', { class: cls },
    h('thead', {}, h('tr', {}, ...head.map(t => h('th', {}, t)))),
    h('tbody', {}, ...rows.map(r => h('tr', {}, ...r.map(c => h('td', {}, c))))))
}

export function errorBox (err: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err))
}
