// The UDP side that both RADIUS servers (authentication, accounting) share: binding the
// configured addresses, following the work in flight, sending replies, and a stop that lets
// that work answer before the sockets close (a NAS whose request was taken gets its answer).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

export interface UdpSocketsOptions {
  readonly log: Logger;
  readonly now: () => number;
  /** The log lines' words: 'RADIUS authentication listening', 'RADIUS socket error'. */
  readonly listening: string;
  readonly socketError: string;
  /** SO_RCVBUF to ask for (a burst of requests waits there while the event loop works). */
  readonly receiveBufferBytes?: number;
  readonly onDatagram: (socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo) => void;
}

export class UdpSockets {
  private readonly sockets: dgram.Socket[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private unsent = 0;
  private stopped = false;

  constructor(private readonly options: UdpSocketsOptions) {}

  /** True once stop() began: new datagrams are dropped, the work in flight still answers. */
  get stopping(): boolean {
    return this.stopped;
  }

  async bind(listen: ReadonlyArray<{ host: string; port: number }>): Promise<Array<{ address: string; port: number }>> {
    const { log } = this.options;
    const bound: Array<{ address: string; port: number }> = [];
    for (const { host, port } of listen) {
      const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: isIPv6(host) });
      socket.on('message', (msg, rinfo) => this.options.onDatagram(socket, msg, rinfo));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      // After the bind: a bind failure is the caller's to report, as one line.
      socket.on('error', (err) => log.error({ reason: err.message, host, port }, this.options.socketError));
      if (this.options.receiveBufferBytes) {
        try {
          socket.setRecvBufferSize(this.options.receiveBufferBytes);
        } catch {
          /* the kernel's limit applies; not fatal */
        }
      }
      this.sockets.push(socket);
      const address = socket.address();
      bound.push({ address: address.address, port: address.port });
      log.info({ address: address.address, port: address.port }, this.options.listening);
    }
    return bound;
  }

  /** Work that will answer a datagram: stop() waits for it. */
  follow(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Hands a reply to the kernel; `onError` hears of one it refused. */
  send(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo, onError?: (err: Error) => void): void {
    this.unsent++;
    socket.send(datagram, peer.port, peer.address, (err) => {
      this.unsent--;
      if (err && onError) onError(err);
    });
  }

  /**
   * Stops taking datagrams, lets the work in flight answer, then closes the sockets. After
   * `graceMs` the rest is abandoned; its NAS retries elsewhere.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    const until = this.options.now() + graceMs;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    // Replies handed to the kernel a moment ago must leave before the sockets close.
    while (this.unsent > 0 && this.options.now() < until) await sleep(1);
    await Promise.all(this.sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.sockets.length = 0;
  }
}
