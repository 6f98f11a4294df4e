// The HTTP front: fastify listeners (one per listen address) carrying privacyIDEA's /validate
// endpoints, its admin endpoints (src/http/admin) and the health checks, in front of the same login core as RADIUS. Bounded: small
// bodies, a whole request within REQUEST_TIMEOUT_MS, idle connections closed. Errors answer in
// privacyIDEA's shape with a message and never a stack; the log has one line per request
// with its method, path (never the query string, which may hold `pass`), status and time.
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import type { HttpConfig } from '../config/schema.js';
import type { Readiness } from '../core/authenticator.js';
import { ERRORS } from '../core/errors.js';
import { describeFsError } from '../errors.js';
import { drainUnreadBody, registerBodyParsers } from './bodies.js';
import { answerClientError, describeFailure } from './failures.js';
import { errorResponse } from './responses.js';
import { adminRoutes, type AdminServices } from './admin/index.js';
import { validateRoutes, type ValidateOptions } from './validate.js';
import { callerIdentity } from './caller.js';

/** privacyIDEA's requests are a few fields; 16 KiB leaves room for long user names and prompts. */
export const BODY_LIMIT = 16 * 1024;
/** The whole request (headers and body) must arrive within this: slow senders do not hold sockets. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * How often Node looks for requests past their time (its default, 30 s, let a slow request
 * live up to 40 s, and its headers up to 90 s): a slow one ends within this of REQUEST_TIMEOUT_MS.
 */
const TIMEOUT_CHECK_MS = 500;
const KEEP_ALIVE_MS = 5_000;

export interface HttpFrontOptions extends Omit<ValidateOptions, 'now'> {
  readonly config: HttpConfig;
  /** Whether logins can be served now, else why not (the cached health Status-Server uses too). */
  readonly readiness: Readiness;
  /** Counts one answered request by its route (never the raw URL: bounded labels) and HTTP status. */
  readonly recordRequest?: (endpoint: string, status: number) => void;
  /** The application layer behind the admin endpoints (/token/, /smsgateway/, /system/, /audit/). */
  readonly admin: AdminServices;
  /**
   * More routes on the same listeners, each in its own fastify plugin (the web UI at /ui/, a
   * sibling front the composition root adds): called once per listener with its clock.
   */
  readonly moreRoutes?: ReadonlyArray<(app: FastifyInstance, now: () => number) => void>;
  readonly log: Logger;
  readonly now?: () => number;
}

export class HttpFront {
  private readonly apps: FastifyInstance[] = [];
  private readonly now: () => number;

  constructor(private readonly options: HttpFrontOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Listens on every address; rejects with the listen error (errno code, address, port) of the first that fails. */
  async start(): Promise<Array<{ address: string; port: number }>> {
    const tls = this.options.config.tls && readTls(this.options.config.tls);
    const bound: Array<{ address: string; port: number }> = [];
    for (const { host, port } of this.options.config.listen) {
      const app = this.build(tls);
      this.apps.push(app);
      await app.listen({ host, port, listenTextResolver: (address) => `HTTP listening on ${address}` });
      const address = app.server.address();
      if (address && typeof address === 'object') bound.push({ address: address.address, port: address.port });
    }
    return bound;
  }

  /** New requests get 503; those in flight get `graceMs` to finish, then every connection is closed. */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(
      this.apps.map(async (app) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([app.close().catch(() => undefined), late]);
        clearTimeout(timer);
        app.server.closeAllConnections();
      }),
    );
  }

  private build(tls: { cert: Buffer; key: Buffer } | undefined): FastifyInstance {
    const { config, log } = this.options;
    let app: FastifyInstance;
    try {
      app = Fastify({
        loggerInstance: log.child({ front: 'http' }),
        // One line of our own per request instead of fastify's two, which would log the URL with its query string.
        logController: new LogController({ disableRequestLogging: true }),
        bodyLimit: BODY_LIMIT,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_MS,
        connectionTimeout: REQUEST_TIMEOUT_MS + this.options.maxRequestMs,
        trustProxy: config.trusted_proxies.length > 0 ? config.trusted_proxies : false,
        return503OnClosing: true,
        routerOptions: { ignoreTrailingSlash: true },
        clientErrorHandler: (err, socket) => answerClientError(err, socket, this.now(), REQUEST_TIMEOUT_MS),
        ...(tls ? { https: tls } : {}),
      }) as unknown as FastifyInstance;
    } catch (err) {
      throw new ConfigError(`http.tls: the certificate or key cannot be used: ${(err as Error).message}`);
    }
    // fastify sets requestTimeout after Node made the server, so Node's headersTimeout stayed
    // at its 60 s default: the headers get the same bound as the whole request. Both are
    // checked every TIMEOUT_CHECK_MS (read by Node when the server starts listening).
    app.server.headersTimeout = REQUEST_TIMEOUT_MS;
    (app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = TIMEOUT_CHECK_MS;
    registerBodyParsers(app, BODY_LIMIT);
    // An answer given before the body was read (too large, no key, no such endpoint) waits
    // for the rest of it, so that the client reads the answer instead of a reset connection.
    app.addHook('onSend', async (request) => {
      await drainUnreadBody(request.raw);
    });
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        { method: request.method, path: request.url.split('?', 1)[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), client: request.ip },
        'http request',
      );
      this.options.recordRequest?.(request.routeOptions.url ?? 'unmatched', reply.statusCode);
    });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const failure = describeFailure(err, request.log, BODY_LIMIT);
      return reply.code(failure.status).send(errorResponse(failure, this.now()));
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send(
        errorResponse({ piCode: ERRORS.ERR_NOT_FOUND.pi, code: 'ERR_NOT_FOUND', message: `no such endpoint: ${request.method} ${request.url.split('?', 1)[0]}` }, this.now()),
      ),
    );
    app.get('/healthz', async () => ({ status: 'alive' }));
    app.get('/readyz', async (_request, reply) => {
      const why = this.options.readiness.notReady();
      return why === undefined ? { status: 'ready' } : reply.code(503).send({ status: 'unavailable', reason: why });
    });
    validateRoutes(app, { ...this.options, now: this.now, callerOf: callerIdentity(config.trusted_proxies) });
    adminRoutes(app, { services: this.options.admin, apiKeys: this.options.apiKeys, now: this.now });
    for (const add of this.options.moreRoutes ?? []) add(app, this.now);
    return app;
  }
}

function readTls(tls: NonNullable<HttpConfig['tls']>): { cert: Buffer; key: Buffer } {
  const read = (key: 'cert' | 'key') => {
    try {
      return readFileSync(tls[key]);
    } catch (err) {
      throw new ConfigError(`http.tls.${key}: cannot read ${tls[key]}: ${describeFsError(err)}`);
    }
  };
  return { cert: read('cert'), key: read('key') };
}
