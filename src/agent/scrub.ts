import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'

/**
 * Blanks the values of `names` in this process's initial environment block, the memory
 * `/proc/<pid>/environ` shows. Deleting from `process.env` does not reach it: a job started by the
 * agent runs as the same Unix user and could read the agent's token there. Linux only; elsewhere,
 * or where the kernel refuses the write, nothing changes and the answer is false. Call it only once
 * the values have been read.
 */
export function scrubInitialEnvironment (names: readonly string[]): boolean {
  if (process.platform !== 'linux' || names.length === 0) return false
  let fd: number | undefined
  try {
    const [start, end] = environBounds(readFileSync('/proc/self/stat', 'utf8'))
    const block = Buffer.alloc(end - start)
    fd = openSync('/proc/self/mem', 'r+')
    readSync(fd, block, 0, block.length, start)
    const changed = valueRanges(block, names)
    for (const [offset, length] of changed) writeSync(fd, Buffer.alloc(length), 0, length, start + offset)
    return changed.length > 0
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Fields 50 and 51 of /proc/self/stat (env_start, env_end); the command name (field 2) may hold spaces and parentheses. */
export function environBounds (stat: string): [number, number] {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // What follows ')' starts at field 3.
  const start = Number(fields[50 - 3])
  const end = Number(fields[51 - 3])
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start || end - start > 16 * 1024 * 1024) {
    throw new Error('no environment bounds in /proc/self/stat')
  }
  return [start, end]
}

/** Where, in a NUL-separated `NAME=value` block, the values of `names` lie: [offset, length] of each non-empty one. */
export function valueRanges (block: Buffer, names: readonly string[]): Array<[number, number]> {
  const found: Array<[number, number]> = []
  let at = 0
  while (at < block.length) {
    let stop = block.indexOf(0, at)
    if (stop === -1) stop = block.length
    const eq = block.indexOf(0x3d, at)
    if (eq !== -1 && eq < stop && names.includes(block.toString('utf8', at, eq)) && stop > eq + 1) found.push([eq + 1, stop - eq - 1])
    at = stop + 1
  }
  return found
}
