import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running HTTP server on a free loopback port. */
export interface Served {
  readonly server: Server
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  close(): Promise<void>
}

/** Starts `app` (an Express app, or anything with Express's `listen`) on port 0 of 127.0.0.1. */
export async function serve(app: { listen(port: number, host: string): Server }): Promise<Served> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
