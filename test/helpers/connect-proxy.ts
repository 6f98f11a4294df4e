// A minimal forward proxy that tunnels CONNECT requests and records their targets. With
// `route`, it sends every tunnel to one local port instead, so a client configured for a
// public host (Google's, say) reaches a local peer through its real proxy code path.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { closerFor } from './sockets.js';

export async function startConnectProxy(route?: { port: number }): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const close = closerFor(server);
  server.on('connect', (req, client: net.Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const [host = '', port = ''] = route ? ['127.0.0.1', String(route.port)] : (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close,
  };
}
