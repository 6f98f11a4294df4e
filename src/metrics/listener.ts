// The metrics and health listener: GET /metrics, /healthz and /readyz on its own addresses
// (metrics.listen), apart from the RADIUS port, because operators scrape from a monitoring
// host and probe from an orchestrator, not from the NAS.
//
// node:http rather than fastify: three fixed GET routes without bodies, parameters or
// content negotiation need no router, validation or plugins, and a second framework instance
// would cost memory and start-up time in a daemon that runs in 256 MB.
import http from 'node:http';
import type { Logger } from 'pino';
import type { Readiness } from '../core/authenticator.js';

export interface MetricsListenerOptions {
  readonly listen: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The exposition text and its content type (prom-client's). */
  readonly metrics: () => Promise<string>;
  readonly contentType: string;
  /** Whether the daemon can serve logins now, else why not (one line, for the operator). */
  readonly readiness: Readiness;
  readonly log: Logger;
}

/** A scrape or probe that takes longer is cut: nothing here should take more than a moment. */
const REQUEST_TIMEOUT_MS = 10_000;

export class MetricsListener {
  private readonly servers: http.Server[] = [];

  constructor(private readonly options: MetricsListenerOptions) {}

  /** Binds every address; rejects with the bind error (its address and port) at the first that fails. */
  async start(): Promise<Array<{ address: string; port: number }>> {
    const bound: Array<{ address: string; port: number }> = [];
    for (const { host, port } of this.options.listen) {
      const server = http.createServer((req, res) => void this.answer(req, res));
      server.requestTimeout = REQUEST_TIMEOUT_MS;
      server.headersTimeout = REQUEST_TIMEOUT_MS;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.options.log.error({ reason: err.message, host, port }, 'metrics listener error'));
      this.servers.push(server);
      const address = server.address() as { address: string; port: number };
      bound.push({ address: address.address, port: address.port });
      this.options.log.info({ address: address.address, port: address.port }, 'metrics and health listening');
    }
    return bound;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            // A scraper's idle keep-alive connection must not hold the daemon's exit.
            server.closeAllConnections();
          }),
      ),
    );
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'only GET and HEAD are served here\n', { allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/metrics': {
        let text: string;
        try {
          text = await this.options.metrics();
        } catch (err) {
          this.options.log.error({ reason: (err as Error).message }, 'metrics could not be collected');
          return send(res, 500, 'metrics could not be collected; see the daemon log\n');
        }
        return send(res, 200, text, { 'content-type': this.options.contentType });
      }
      case '/healthz':
        // The process answers: that is all this one says (liveness).
        return send(res, 200, 'ok\n');
      case '/readyz': {
        const why = this.options.readiness.notReady();
        return why === undefined ? send(res, 200, 'ready\n') : send(res, 503, `not ready: ${why}\n`);
      }
      default:
        return send(res, 404, 'not found; try /metrics, /healthz or /readyz\n');
    }
  }
}

function send(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
