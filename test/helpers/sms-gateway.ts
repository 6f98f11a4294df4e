// A real HTTP SMS gateway on loopback that records what it receives.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedSms {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SmsGateway {
  readonly url: string;
  readonly received: ReceivedSms[];
  /** What the next requests are answered with. */
  respond(status: number, body: string, delayMs?: number): void;
  /** Resolves with the next message received (or one already waiting). */
  next(timeoutMs?: number): Promise<ReceivedSms>;
  close(): Promise<void>;
}

export async function startSmsGateway(options: { tls?: { key: string; cert: string } } = {}): Promise<SmsGateway> {
  const received: ReceivedSms[] = [];
  let consumed = 0;
  const waiters: Array<() => void> = [];
  let answer = { status: 200, body: 'OK', delayMs: 0 };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      received.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      waiters.splice(0).forEach((w) => w());
      const { status, body, delayMs } = answer;
      setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end(body), delayMs);
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/sms`,
    received,
    respond(status, body, delayMs = 0) {
      answer = { status, body, delayMs };
    },
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length <= consumed) {
        if (Date.now() > deadline) throw new Error('no SMS arrived at the gateway');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return received[consumed++] as ReceivedSms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
