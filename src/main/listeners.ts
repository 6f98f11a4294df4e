// The daemon's listeners: RADIUS authentication and accounting, the HTTP front and the
// metrics listener, each handed the named interfaces of what it serves (the Authenticator,
// the Readiness, the ApiKeyGate, the application layer). Built, started and stopped here;
// what a reload changes in them is src/main/reload.ts.
import type { Logger } from 'pino';
import type { ApiKeyGate } from '../app/api-keys.js';
import { ConfigError } from '../config/load.js';
import type { Config, RadiusConfig } from '../config/schema.js';
import type { Authenticator, Readiness } from '../core/authenticator.js';
import type { DebugSwitch } from '../core/debug-trace.js';
import type { HttpFront } from '../http/server.js';
import type { AdminServices } from '../http/admin/index.js';
import type { WebOptions } from '../web/services.js';
import type { FastifyInstance } from 'fastify';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { MetricsListener } from '../metrics/listener.js';
import { AccountingServer, type AccountingStore } from '../radius/accounting.js';
import { ClientTable } from '../radius/clients.js';
import type { AcceptContext, ReplyAttributes } from '../radius/reply-attributes.js';
import { RadiusServer } from '../radius/server.js';
import type { RadiusStats } from '../radius/stats.js';

/** What an HTTP client (a PAM module, an SSO plugin) waits at most; later work is shed (503). */
const HTTP_MAX_REQUEST_MS = 15_000;

type Address = { address: string; port: number };

/** The Access-Accept attributes per client (the key '' for every other), replaced by a reload. */
export interface AcceptAttributes {
  current: Map<string, ReplyAttributes>;
}

export const renderAccept = (accept: AcceptAttributes) => (client: string, context: AcceptContext) =>
  (accept.current.get(client) ?? accept.current.get('')!).render(context);

export interface ListenerParts {
  readonly config: Config;
  readonly log: Logger;
  readonly authenticator: Authenticator;
  readonly readiness: Readiness;
  readonly radiusStats: RadiusStats;
  readonly accept: AcceptAttributes;
  /** Accounting's writes (through the store's write health, as the logins' are). */
  readonly accountingStore: AccountingStore;
  readonly apiKeys: ApiKeyGate;
  readonly admin: AdminServices;
  /** The web UI's options (src/main/web.ts); absent: no UI. */
  readonly web?: Omit<WebOptions, 'now'> | undefined;
  readonly joinRealm: (username: string, realm: string) => string;
  readonly metrics?: DaemonMetrics;
  /** The debug trace the fronts ask a tracer of per request. */
  readonly debug?: DebugSwitch;
}

export interface Listeners {
  readonly server: RadiusServer;
  readonly accounting?: AccountingServer;
  readonly httpFront?: HttpFront;
  readonly metricsListener?: MetricsListener;
}

export interface ListenAddresses {
  readonly addresses: Address[];
  readonly accountingAddresses: Address[];
  readonly httpAddresses: Address[];
  readonly metricsAddresses: Address[];
}

export async function buildListeners(p: ListenerParts): Promise<Listeners> {
  const { config, log, debug } = p;
  const tracer = debug && ((loginName: string) => debug.tracer(loginName));
  const server = new RadiusServer({
    listen: config.radius.listen,
    clients: clientTable(config.radius),
    authenticator: p.authenticator,
    readiness: p.readiness,
    stats: p.radiusStats,
    log,
    duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
    rejectDelayMs: config.radius.reject_delay * 1000,
    resendKeyword: config.radius.resend_keyword,
    acceptAttributes: renderAccept(p.accept),
    ...(tracer ? { tracer } : {}),
  });
  // Accounting shares the clients, their secrets and the counters with authentication.
  const accounting = config.radius.accounting_listen
    ? new AccountingServer({
        listen: config.radius.accounting_listen,
        clients: server.clients,
        store: p.accountingStore,
        stats: p.radiusStats,
        log,
        duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
      })
    : undefined;
  const metrics = p.metrics;
  // Loaded only when configured: a RADIUS-only node (and every CLI command) does without fastify.
  const httpFront: HttpFront | undefined = config.http
    ? new (await import('../http/server.js')).HttpFront({
        config: config.http,
        authenticator: p.authenticator,
        apiKeys: p.apiKeys,
        joinRealm: p.joinRealm,
        maxRequestMs: HTTP_MAX_REQUEST_MS,
        readiness: p.readiness,
        recordRequest: metrics && ((endpoint, status) => metrics.recordHttpRequest(endpoint, status)),
        admin: p.admin,
        ...(p.web ? { moreRoutes: [await webFront(p.web)] } : {}),
        log,
        ...(tracer ? { tracer } : {}),
      })
    : undefined;
  const metricsListener =
    config.metrics && metrics
      ? new MetricsListener({
          listen: config.metrics.listen,
          metrics: () => metrics.text(),
          contentType: metrics.contentType,
          readiness: p.readiness,
          log,
        })
      : undefined;
  return { server, accounting, httpFront, metricsListener };
}

/** The web UI's routes, loaded only where it is on (its plugins and templates cost a RADIUS-only node nothing). */
async function webFront(web: Omit<WebOptions, 'now'>): Promise<(app: FastifyInstance, now: () => number) => void> {
  const { webRoutes } = await import('../web/index.js');
  return (app, now) => webRoutes(app, { ...web, now });
}

/** Binds every listener; rejects with one line naming the address and its key at the first that fails. */
export async function startListeners(l: Listeners, config: Config): Promise<ListenAddresses> {
  const addresses = await l.server.start().catch((err: unknown) => {
    throw listenError(err, config.radius.listen, 'radius.listen');
  });
  let accountingAddresses: Address[] = [];
  let metricsAddresses: Address[] = [];
  let httpAddresses: Address[] = [];
  if (l.accounting && config.radius.accounting_listen) {
    accountingAddresses = await l.accounting.start().catch((err: unknown) => {
      throw listenError(err, config.radius.accounting_listen!, 'radius.accounting_listen');
    });
  }
  if (l.metricsListener && config.metrics) {
    metricsAddresses = await l.metricsListener.start().catch((err: unknown) => {
      throw listenError(err, config.metrics!.listen, 'metrics.listen');
    });
  }
  if (l.httpFront && config.http) {
    const listen = config.http.listen;
    httpAddresses = await l.httpFront.start().catch((err: unknown) => {
      throw listenError(err, listen, 'http.listen');
    });
  }
  return { addresses, accountingAddresses, httpAddresses, metricsAddresses };
}

/** After a failed start: every listener closed at once, requests in flight not waited for. */
export async function closeListeners(l: Listeners): Promise<void> {
  await l.metricsListener?.stop();
  await l.server.stop();
  await l.accounting?.stop(0);
  await l.httpFront?.stop(0);
}

/** At a stop: the metrics listener first (a probe that finds the port closed takes the node out of rotation), then the rest within `graceMs`. */
export async function stopListeners(l: Listeners, graceMs: number): Promise<void> {
  await l.metricsListener?.stop();
  await Promise.all([l.server.stop(graceMs), l.accounting?.stop(graceMs), l.httpFront?.stop(graceMs)]);
}

export function clientTable(radius: RadiusConfig): ClientTable {
  return new ClientTable(radius.clients, { maxRequestTime: radius.max_request_time });
}

/** host:port, with an IPv6 address in brackets. */
export function hostPort(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

type ListenKey = 'radius.listen' | 'radius.accounting_listen' | 'http.listen' | 'metrics.listen';

/** Who else usually holds a port of this kind, for the one line of an address in use. */
const USUAL_HOLDER: Record<ListenKey, string> = {
  'radius.listen': 'another daemon, or FreeRADIUS?',
  'radius.accounting_listen': 'another daemon, or FreeRADIUS?',
  'http.listen': 'another daemon, or a web server?',
  'metrics.listen': 'another daemon, or another exporter?',
};

/** A socket that cannot be bound (UDP) or listen (TCP), as one line naming the address and the key. */
function listenError(err: unknown, listen: ReadonlyArray<{ host: string; port: number }>, key: ListenKey): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!e?.code || !(e.syscall?.startsWith('bind') || e.syscall === 'listen')) return err as Error;
  const i = listen.findIndex((l) => l.port === e.port && (e.address === undefined || l.host === e.address));
  const where = i >= 0 ? `${key}.${i}` : key;
  const why: Record<string, string> = {
    EADDRINUSE: `the address is in use by another process (${USUAL_HOLDER[key]})`,
    EACCES: 'permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)',
    EADDRNOTAVAIL: 'no interface of this machine has that address',
  };
  return new ConfigError(`cannot listen on ${e.address ?? '?'}:${e.port ?? '?'} (${where}): ${why[e.code] ?? e.code}`);
}
