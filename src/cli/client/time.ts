// Human durations and deadlines for the client CLI: pure, with `now` and the time zone passed in, so
// 'tomorrow 09:00' means the same thing in a test on any machine.

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** A time zone as the parser needs it: its offset east of UTC, in minutes, at an instant. */
export interface TimeZone {
  offsetMinutes: (t: number) => number
}

/** The machine's time zone (TZ, /etc/localtime), daylight saving included. */
export const localZone: TimeZone = { offsetMinutes: t => -new Date(t).getTimezoneOffset() }

/** A zone with one fixed offset, e.g. `fixedZone(60)` for UTC+01:00. */
export const fixedZone = (minutes: number): TimeZone => ({ offsetMinutes: () => minutes })

export const DURATION_FORMS = '6h, 90m, 1h30m or 2d'
export const DEADLINE_FORMS = "'tomorrow 09:00', 'today 18:00', '09:00' (the next one), '+12h', '2026-12-04 09:00' (local time) or RFC 3339 with an offset (2026-12-04T09:00:00Z)"

/** A duration in whole minutes: days, hours and minutes in that order (`1d6h`, `1h30m`, `90m`); undefined if it is none. */
export function parseDuration (text: string): number | undefined {
  const m = /^\s*(?:(\d{1,5})\s*d)?\s*(?:(\d{1,6})\s*h)?\s*(?:(\d{1,7})\s*m)?\s*$/i.exec(text)
  if (m === null || (m[1] ?? m[2] ?? m[3]) === undefined) return undefined
  const minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)
  return minutes > 0 ? minutes : undefined
}

/**
 * The UTC instant of a wall-clock time in `zone`. Two passes: the offset at the first guess can
 * differ from the offset at the answer when a daylight-saving change lies between them.
 */
export function fromLocal (wall: number, zone: TimeZone): number {
  const guess = wall - zone.offsetMinutes(wall) * MINUTE
  return wall - zone.offsetMinutes(guess) * MINUTE
}

/** The wall-clock fields of `t` in `zone`, read through a Date's UTC getters. */
function wallOf (t: number, zone: TimeZone): Date {
  return new Date(t + zone.offsetMinutes(t) * MINUTE)
}

/** Wall-clock milliseconds of a calendar date and time, or undefined if the fields name no such time (2026-02-30, 24:00). */
function wallTime (y: number, mo: number, d: number, h: number, mi: number, s = 0): number | undefined {
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined
  const t = Date.UTC(y, mo - 1, d, h, mi, s)
  return new Date(t).getUTCDate() === d ? t : undefined
}

const RELATIVE = /^\+\s*(.+)$/
const DAY_WORD = /^(today|tomorrow)(?:\s+(\d{1,2}):(\d{2}))?$/i
const CLOCK = /^(\d{1,2}):(\d{2})$/
const CALENDAR = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:\d{2})?$/i

/**
 * A deadline (or any instant) as epoch ms, or undefined if the text is none of DEADLINE_FORMS.
 * Words, clock times and calendar times without an offset are wall-clock times in `zone`; a bare
 * date is its midnight there. `today` and `tomorrow` need a time: midnight would surprise as a deadline.
 */
export function parseInstant (text: string, now: number, zone: TimeZone): number | undefined {
  const s = text.trim()
  const rel = RELATIVE.exec(s)
  if (rel !== null) {
    const minutes = parseDuration(rel[1] ?? '')
    return minutes === undefined ? undefined : now + minutes * MINUTE
  }
  const today = wallOf(now, zone)
  const day = (offsetDays: number, h: number, mi: number): number | undefined => {
    const wall = wallTime(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate(), h, mi)
    return wall === undefined ? undefined : fromLocal(wall + offsetDays * DAY, zone)
  }
  const word = DAY_WORD.exec(s)
  if (word !== null) {
    if (word[2] === undefined) return undefined
    return day(word[1]?.toLowerCase() === 'tomorrow' ? 1 : 0, Number(word[2]), Number(word[3]))
  }
  const clock = CLOCK.exec(s)
  if (clock !== null) {
    const at = day(0, Number(clock[1]), Number(clock[2]))
    return at === undefined ? undefined : at > now ? at : day(1, Number(clock[1]), Number(clock[2]))
  }
  const cal = CALENDAR.exec(s)
  if (cal === null) return undefined
  const [, y, mo, d, h, mi, sec, frac, offset] = cal
  const wall = wallTime(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0))
  if (wall === undefined) return undefined
  const ms = frac === undefined ? 0 : Math.round(Number(frac) * 1000)
  if (offset === undefined) return fromLocal(wall, zone) + ms
  if (h === undefined) return undefined // a date with an offset is no RFC 3339 form
  if (offset.toUpperCase() === 'Z') return wall + ms
  const sign = offset.startsWith('-') ? -1 : 1
  const [oh, om] = offset.slice(1).split(':').map(Number)
  if ((oh ?? 0) > 23 || (om ?? 0) > 59) return undefined
  return wall + ms - sign * ((oh ?? 0) * 60 + (om ?? 0)) * MINUTE
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `YYYY-MM-DDTHH:MM:SS` in `zone`: what `sbatch --begin=` reads (Slurm takes it as the submit host's local time). */
export function sbatchTime (t: number, zone: TimeZone): string {
  const w = wallOf(t, zone)
  return `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`
}

/** `YYYYMMDDhhmm` in `zone`: what `at -t` reads (local time). A start inside a minute moves to the next minute, never earlier. */
export function atTime (t: number, zone: TimeZone): string {
  const w = wallOf(Math.ceil(t / MINUTE) * MINUTE, zone)
  return `${w.getUTCFullYear()}${pad(w.getUTCMonth() + 1)}${pad(w.getUTCDate())}${pad(w.getUTCHours())}${pad(w.getUTCMinutes())}`
}

/** A compact UTC instant for people: `2026-12-03 01:00Z` (seconds only when not zero). */
export function utc (t: number | string): string {
  const iso = new Date(t).toISOString()
  const seconds = iso.slice(17, 19)
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00' ? '' : ':' + seconds}Z`
}

/** Minutes as `6h`, `1h30m`, `2d`, `45m`. */
export function formatMinutes (minutes: number): string {
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = minutes % 60
  const text = `${d > 0 ? `${d}d` : ''}${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}`
  return text === '' ? '0m' : text
}
