import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Ports handed out by `freePort` in this process: never handed out twice. */
const handedOut = new Set<number>()

/** The first port of the kernel's ephemeral range (what `listen(0)` picks from), 32768 unless the system says otherwise. */
function ephemeralStart (): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    return Number.isInteger(first) && first > 11_000 ? first : 32_768
  } catch {
    return 32_768
  }
}

/**
 * A free loopback port for a process started later, below the kernel's ephemeral range: a port the
 * kernel chose for `listen(0)` and released could be chosen again for the next `listen(0)` (a fake
 * provider, a receiver, another scenario's) before the process binds it, and the instance then
 * fails with "port in use" (seen once in CI). Ports are tried at random and never handed out twice.
 */
export async function freePort (): Promise<number> {
  const top = ephemeralStart()
  for (let tries = 0; tries < 200; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (top - 10_000))
    if (handedOut.has(port)) continue
    const server = createServer()
    const bound = await new Promise<boolean>(done => {
      server.once('error', () => done(false))
      server.listen(port, '127.0.0.1', () => done(true))
    })
    if (!bound) continue
    await new Promise(done => server.close(done))
    handedOut.add(port)
    return port
  }
  throw new Error('no free loopback port below the ephemeral range after 200 tries')
}
