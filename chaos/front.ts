import { connect, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/** A loopback TCP front over the instances, as a load balancer stands before them in production. */
export interface Front {
  readonly url: string
  close: () => Promise<void>
}

/** Pipes `client` to `upstream` both ways; either end closing closes the other. */
function splice (client: Socket, upstream: Socket): void {
  client.pipe(upstream).pipe(client)
  client.once('error', () => upstream.destroy())
  client.once('close', () => upstream.destroy())
  upstream.once('close', () => client.destroy())
  client.resume()
}

/**
 * Forwards each connection to the next instance in turn, trying the others when one refuses (it
 * was just killed): agents and webhook receivers reach "greenshift", not one process. A connection
 * already forwarded to an instance that dies is cut, as a real balancer would.
 */
export async function startFront (ports: () => readonly number[]): Promise<Front> {
  let next = 0
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  const forward = (client: Socket, tried: number): void => {
    const list = ports()
    if (tried >= list.length) {
      client.destroy()
      return
    }
    const upstream = connect({ host: '127.0.0.1', port: list[(next++) % list.length] as number })
    track(upstream)
    let connected = false
    upstream.on('error', () => { if (connected) client.destroy(); else forward(client, tried + 1) })
    upstream.once('connect', () => { connected = true; splice(client, upstream) })
  }
  const server: Server = createServer({ pauseOnConnect: true }, client => {
    track(client)
    client.on('error', () => {})
    forward(client, 0)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
