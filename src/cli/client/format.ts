// Figures for people: kilograms with the precision the inputs have, signed percentages, ages, tables.

/** Grams as kilograms: `0.51 kg`, `14.6 kg`, `320 kg`; under 10 g as grams, since `0.00 kg` says nothing. */
export function kg (grams: number): string {
  const abs = Math.abs(grams)
  if (abs < 10) return `${Number(grams.toFixed(1))} g`
  const k = grams / 1000
  const digits = Math.abs(k) < 10 ? 2 : Math.abs(k) < 100 ? 1 : 0
  return `${k.toFixed(digits)} kg`
}

/** Grams or a dash for a figure the server left null. */
export const kgOrDash = (grams: number | null): string => grams === null ? '–' : kg(grams)

/** The change from `base` to `value` as `−96 %` (a true minus sign, as CATS prints); empty when `base` is 0. */
export function change (value: number, base: number): string {
  if (!(base > 0)) return ''
  const pct = Math.round(100 * Math.abs(value - base) / base)
  if (pct === 0) return '±0 %'
  return `${value < base ? '−' : '+'}${pct} %`
}

/** A gas as people write it: `CO2e`, `CO2`. */
export const gasName = (gas: string): string => gas === 'co2e' ? 'CO2e' : gas === 'co2' ? 'CO2' : gas

/** An age in seconds as `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function age (seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`
  return h % 24 === 0 ? `${Math.floor(h / 24)} d` : `${Math.floor(h / 24)} d ${h % 24} h`
}

/** kWh with three decimals at most (`3.2 kWh`, `0.004 kWh`), two significant digits below a Wh (`0.00045 kWh`). */
export const kwhText = (kwh: number): string => `${kwh !== 0 && Math.abs(kwh) < 0.001 ? Number(kwh.toPrecision(2)) : Number(kwh.toFixed(kwh >= 100 ? 0 : 3))} kWh`

/** Rows as left-aligned columns two spaces apart; the first row is the header. Trailing spaces are cut. */
export function table (rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, [...cell].length) })
  return rows.map(row => row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)).join('  ').trimEnd()).join('\n') + '\n'
}

/** JSON as `--json` prints it: the API's answer, indented. */
export const jsonText = (value: unknown): string => JSON.stringify(value, null, 2) + '\n'
