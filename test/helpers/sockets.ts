// Closing a test server for good. server.close() waits for open connections, and
// closeAllConnections() misses sockets that left the HTTP server's books (CONNECT tunnels) or
// never were on them (plain net servers); a client retrying in the background can also open
// one while we close. This tracks every accepted socket and destroys it, late ones included.
import type { Server, Socket } from 'node:net';

export function closerFor(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    if (closing) return socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
}
