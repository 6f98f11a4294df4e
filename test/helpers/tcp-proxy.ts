// A TCP forwarder between a client and a server (the daemon and PostgreSQL, say) that the
// test can cut: down() destroys every open connection and treats new ones as the outage
// says, up() forwards again. A real network path, so the client meets real socket errors.
import net, { type AddressInfo } from 'node:net';
import { closerFor } from './sockets.js';
import { createTestDatabase } from './pg.js';

/**
 * 'reset': connections are destroyed at once (the server is down, ECONNRESET).
 * 'blackhole': connections are accepted and never answered (a dead link); they are
 * destroyed at up().
 */
export type OutageMode = 'reset' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  /** Connections forwarded since the start. */
  readonly forwarded: number;
  down(mode?: OutageMode): void;
  up(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let outage: OutageMode | undefined;
  let forwarded = 0;
  const live = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    if (outage === 'reset') return reset(client);
    if (outage === 'blackhole') {
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    forwarded++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      live.add(s);
      s.on('close', () => live.delete(s));
    }
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get forwarded() {
      return forwarded;
    },
    down(mode = 'reset') {
      outage = mode;
      for (const s of live) reset(s);
    },
    up() {
      outage = undefined;
      for (const s of held) s.destroy();
    },
    async close() {
      for (const s of [...live, ...held]) s.destroy();
      await close();
    },
  };
}

function reset(socket: net.Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * A throw-away PostgreSQL database reached through a TCP proxy on loopback: `url` goes
 * through the proxy, so a test can cut the store (proxy.cut) and bring it back.
 */
export async function proxiedTestDatabase(): Promise<{ db: Awaited<ReturnType<typeof createTestDatabase>>; proxy: TcpProxy; url: string }> {
  const db = await createTestDatabase();
  const direct = new URL(db.url);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(db.url);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  return { db, proxy, url: viaProxy.toString() };
}
