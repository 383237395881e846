// Durations as people type them; pure, tested in test/web/duration.test.ts.

/** "6h", "90m", "1h30m", "1.5h" or plain minutes → whole minutes; undefined when unreadable or zero. */
export function parseDuration (text: string): number | undefined {
  const t = text.trim().toLowerCase()
  const m = /^(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$/.exec(t)
  const minutes = /^\d+$/.test(t) ? Number(t) : m === null || (m[1] === undefined && m[2] === undefined) ? undefined : Math.round(Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0))
  return minutes === undefined || minutes <= 0 ? undefined : minutes
}
