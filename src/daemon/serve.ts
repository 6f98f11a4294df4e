// The daemon: the RADIUS front in front of the login core, with the core's ports wired to
// the store's hot path, the site configuration kept in memory, the PIN-check queue and the
// gateways. What the CLI shares (config, keys, knex store, log) comes from the runtime.
import { RecentChallenges } from '../core/login/recent-challenges.js';
import { RecentFailures } from '../core/login/recent-failures.js';
import { LoginService } from '../core/login/service.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { HTTP_CLIENT_NAME, type Config, type RadiusConfig } from '../config/schema.js';
import { PinCheckQueue } from '../crypto/pin-check-queue.js';
import { LdapDirectory } from '../directory/directory.js';
import { RealmNameDirectory } from '../directory/realm-names.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { realmJoiner, realmSplitter } from '../radius/realms.js';
import { compileAcceptAttributes, type ReplyAttributes } from '../radius/reply-attributes.js';
import { RadiusServer } from '../radius/server.js';
import { AccountingServer } from '../radius/accounting.js';
import { RadiusStats } from '../radius/stats.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { MetricsListener } from '../metrics/listener.js';
import type { StoreOperation } from '../metrics/store-metrics.js';
import { ApiKeyHasher } from '../crypto/api-key.js';
import { GatewayAdmin } from '../app/gateway-admin.js';
import { SettingsAdmin } from '../app/settings-admin.js';
import { TokenAdmin } from '../app/token-admin.js';
import type { HttpFront } from '../http/server.js';
import { describeDatabase } from '../store/connection.js';
import { SiteConfig } from '../store/site-config.js';
import { StoreWriteHealth } from '../store/write-health.js';
import { VERSION } from '../version.js';
import { AuditRetention } from './audit-retention.js';
import type { EventSink } from '../core/ports.js';
import { EventFanout } from './event-fanout.js';
import { LogEvents } from './log-events.js';
import { NotificationDispatcher } from '../notifications/dispatcher.js';
import { warnOfOpenDoors } from './open-doors.js';
import { KeyFileWatch } from './key-file-watch.js';
import { clientSecretWarnings, fileWarnings } from '../app/node-warnings.js';
import { openRuntime, providerContext } from './runtime.js';

const PURGE_INTERVAL_MS = 5_000;
/** Requests in flight get this long to finish at SIGTERM; queued PIN checks are shed at once. */
const STOP_GRACE_MS = 8_000;
/** Then connections get this long to close: 10 s in all, below systemd's TimeoutStopSec (15). */
const CLOSE_GRACE_MS = 2_000;
/** What an HTTP client (a PAM module, an SSO plugin) waits at most; later work is shed (503). */
const HTTP_MAX_REQUEST_MS = 15_000;

/** True when all settled in time. */
async function settledWithin(ms: number, work: Array<Promise<unknown>>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = await Promise.race([Promise.allSettled(work).then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

export interface Daemon {
  readonly server: RadiusServer;
  readonly addresses: Array<{ address: string; port: number }>;
  /** The HTTP front's addresses (none when the config has no http section). */
  readonly httpAddresses: Array<{ address: string; port: number }>;
  /** The accounting listeners' addresses (none without radius.accounting_listen). */
  readonly accountingAddresses: Array<{ address: string; port: number }>;
  /** Reads the config file again (SIGHUP); a broken one is reported and the running one kept. */
  reload(): void;
  stop(): Promise<void>;
}

export async function startDaemon(configFlag: string | undefined): Promise<Daemon> {
  const runtime = await openRuntime(configFlag, { migrate: true });
  const { config, store, log } = runtime;
  loadDictionaries(config.radius.dictionaries);
  // Said once: short RADIUS secrets, a key file of another user, store files others can read.
  for (const w of [...clientSecretWarnings(config), ...fileWarnings(config)]) log.warn({ check: w.check }, w.message);
  const keyFileWatch = new KeyFileWatch(config.secrets.keyfile, runtime.keys, log);
  keyFileWatch.start();
  let acceptAttributes = compileAcceptAttributes(config.radius);

  const authStore = store.openAuthStore((err) => log.warn({ reason: err.message }, 'store connection lost'));
  // Made below when metrics.listen is configured; the store probe counts its failures from the start.
  let metrics: DaemonMetrics | undefined;
  const storeFailed = (operation: StoreOperation) => metrics?.store.failed(operation);
  // Every write of the daemon reports here: the revision probe below only reads.
  const writes = new StoreWriteHealth({
    probeWrite: () => authStore.probeWrite(Date.now()),
    onUnwritable: (reason) =>
      log.error({ reason }, 'the store takes no writes: Status-Server falls silent and /readyz answers 503 until a write succeeds'),
    onWritable: () => log.info('the store takes writes again'),
  });
  const site = new SiteConfig({
    settings: store.settings,
    gateways: store.gateways,
    userstores: store.userstores,
    realms: store.realms,
    apiKeys: store.apiKeys,
    notifications: store.notifications,
    revisions: {
      configRevision: () =>
        authStore.configRevision().catch((err: unknown) => {
          storeFailed('probe');
          throw err;
        }),
    },
    onError: (err) => log.error({ reason: (err as Error).message }, 'store unreachable: Status-Server falls silent until it is back'),
    onRecovered: () => log.info('store reachable again'),
    onReload: (revision) => {
      log.info({ revision }, 'site configuration reloaded');
      warnOfOpenDoors(log, site.current());
      retention.kick();
    },
  });
  const retention = new AuditRetention({
    // Accounting sessions go with the audit trail: same retention, same pass.
    prune: (before) => writes.track(async () => (await authStore.pruneAudit(before)) + (await authStore.pruneSessions(before))),
    retentionDays: () => site.current()['audit.retention_days'],
    log,
  });
  await site.start();
  warnOfOpenDoors(log, site.current());
  const directory = new LdapDirectory({
    snapshot: () => site.directorySnapshot(),
    fallback: new RealmNameDirectory(realmSplitter(config.radius.realm_format, config.radius.realm_delimiter)),
    cacheMs: () => site.current()['userstore.cache_seconds'] * 1000,
  });
  const pins = new PinCheckQueue(runtime.pins);
  // What Status-Server and both /readyz say (the one health rule), from the cached probe and the
  // outcome of the daemon's own writes: never a query per request.
  const notReady = (): string | undefined => {
    if (!site.storeReachable()) return 'the store does not answer';
    const unwritable = writes.unwritable();
    if (unwritable !== undefined) return `the store takes no writes: ${unwritable}`;
    if (pins.overloaded()) return 'the PIN-check queue is near its bound';
    return undefined;
  };
  const radiusStats = new RadiusStats();
  if (config.metrics) {
    metrics = new DaemonMetrics({
      radius: radiusStats,
      pinQueue: pins,
      gatewayModule: (id) => site.gatewayModule(id),
      store: {
        liveCounts: () => authStore.liveCounts(Date.now(), site.current().failcounter_clear_timeout),
        reachable: () => site.storeReachable() && writes.unwritable() === undefined,
      },
      keyFileOk: () => keyFileWatch.ok(),
    });
  }
  // The gateways report through the daemon's one events port (gateway_down), and the
  // notifications, one of its listeners, send through the gateways: the port forwards to the
  // fan-out made just below.
  const gateways = new GatewayRegistry((id) => site.gateway(id), providerContext(runtime, { emit: (event) => events.emit(event) }));
  const notifications = new NotificationDispatcher({
    definitions: () => site.notifications(),
    settings: () => site.current(),
    sms: gateways,
    directory,
    tokenOf: (serial) => store.tokens.bySerial(serial),
    knownClients: store.knownClients,
    now: () => Date.now(),
    log,
  });
  // The log and the notifications always; the metrics too when they are on.
  const events: EventSink = new EventFanout([new LogEvents(log), notifications, ...(metrics ? [metrics.events] : [])], (err) =>
    log.error({ reason: (err as Error).message }, 'an events listener failed'),
  );
  const login = new LoginService({
    store: writes.watching(metrics ? metrics.store.counting(authStore) : authStore),
    pins,
    sms: gateways,
    settings: site,
    clock: { now: () => Date.now() },
    events,
    directory,
    rateLimits: {
      consume: (limits, now) => writes.track(() => authStore.consume(limits, now)),
      refund: (counted) => writes.track(() => authStore.refund(counted)),
    },
    recentFailures: new RecentFailures(),
    recentChallenges: new RecentChallenges(),
  });
  const server = new RadiusServer({
    listen: config.radius.listen,
    clients: clientTable(config.radius),
    authenticate: (request) => login.authenticate(request),
    healthy: () => notReady() === undefined,
    stats: radiusStats,
    log,
    duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
    rejectDelayMs: config.radius.reject_delay * 1000,
    resendKeyword: config.radius.resend_keyword,
    acceptAttributes: (client, context) => (acceptAttributes.get(client) ?? acceptAttributes.get('')!).render(context),
  });
  // Accounting shares the clients, their secrets and the counters with authentication.
  const accounting = config.radius.accounting_listen
    ? new AccountingServer({
        listen: config.radius.accounting_listen,
        clients: server.clients,
        // Its writes tell the store's write health as the logins' do.
        store: {
          recordAccounting: (event) => writes.track(() => authStore.recordAccounting(event)),
          closeClientSessions: (...args) => writes.track(() => authStore.closeClientSessions(...args)),
        },
        stats: radiusStats,
        log,
        duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
      })
    : undefined;
  const apiKeyHasher = new ApiKeyHasher(runtime.keys.apiKeyMac);
  // Loaded only when configured: a RADIUS-only node (and every CLI command) does without fastify.
  const httpFront: HttpFront | undefined = config.http
    ? new (await import('../http/server.js')).HttpFront({
        config: config.http,
        authenticate: (request) => login.authenticate(request),
        triggerChallenge: (request) => login.triggerChallenge(request),
        apiKeys: (key) => site.apiKey(apiKeyHasher.hash(key))?.role,
        apiKeyRequired: () => site.current().api_key_required,
        joinRealm: realmJoiner(config.radius.realm_format, config.radius.realm_delimiter),
        maxRequestMs: HTTP_MAX_REQUEST_MS,
        notReady,
        recordRequest: metrics && ((endpoint, status) => metrics!.recordHttpRequest(endpoint, status)),
        // The same application layer as the CLI's commands, on the runtime's store: changes to
        // the site configuration move its revision, which every daemon (this one too) polls.
        admin: {
          tokens: new TokenAdmin(store, runtime.pins, { events, client: HTTP_CLIENT_NAME }),
          gateways: new GatewayAdmin(store, providerContext(runtime)),
          settings: new SettingsAdmin(store),
          audit: store.audit,
          sessions: store.sessions,
        },
        log,
      })
    : undefined;
  const purge = setInterval(() => void purgeExpired(), PURGE_INTERVAL_MS);
  purge.unref();
  let purging = false;
  async function purgeExpired(): Promise<void> {
    if (purging) return;
    purging = true;
    try {
      // Bounded batches through the expires_at index, until none is left.
      while ((await writes.track(() => authStore.purgeExpired(Date.now()))) >= 1000);
      // Clients of login_from_new_client unseen for the audit's retention count as new again.
      if (site.notifications().some((n) => n.event === 'login_from_new_client')) {
        const before = Date.now() - site.current()['audit.retention_days'] * 86_400_000;
        while ((await store.knownClients.forget(before)) >= 1000);
      }
    } catch (err) {
      storeFailed('purge');
      log.warn({ reason: (err as Error).message }, 'purging expired challenges failed');
    } finally {
      purging = false;
    }
  }

  const metricsListener =
    config.metrics && metrics
      ? new MetricsListener({
          listen: config.metrics.listen,
          metrics: () => metrics!.text(),
          contentType: metrics.contentType,
          notReady,
          log,
        })
      : undefined;
  let addresses: Array<{ address: string; port: number }>;
  let metricsAddresses: Array<{ address: string; port: number }> = [];
  let httpAddresses: Array<{ address: string; port: number }> = [];
  let accountingAddresses: Array<{ address: string; port: number }> = [];
  try {
    addresses = await server.start().catch((err: unknown) => {
      throw listenError(err, config.radius.listen, 'radius.listen');
    });
    if (accounting && config.radius.accounting_listen) {
      accountingAddresses = await accounting.start().catch((err: unknown) => {
        throw listenError(err, config.radius.accounting_listen!, 'radius.accounting_listen');
      });
    }
    if (metricsListener && config.metrics) {
      metricsAddresses = await metricsListener.start().catch((err: unknown) => {
        throw listenError(err, config.metrics!.listen, 'metrics.listen');
      });
    }
    if (httpFront && config.http) {
      const listen = config.http.listen;
      httpAddresses = await httpFront.start().catch((err: unknown) => {
        throw listenError(err, listen, 'http.listen');
      });
    }
  } catch (err) {
    clearInterval(purge);
    writes.stop();
    keyFileWatch.stop();
    site.stop();
    await metricsListener?.stop();
    await server.stop();
    await accounting?.stop(0);
    await httpFront?.stop(0);
    await directory.close();
    await authStore.close();
    await runtime.close();
    throw err;
  }
  retention.start();
  log.info(
    {
      version: VERSION,
      config: runtime.configPath,
      store: describeDatabase(config.database),
      keyfile: config.secrets.keyfile,
      listen: addresses.map((a) => `${a.address}:${a.port}`),
      ...(accounting ? { accounting: accountingAddresses.map((a) => hostPort(a)) } : {}),
      ...(httpFront ? { http: httpAddresses.map((a) => `${config.http?.tls ? 'https' : 'http'}://${hostPort(a)}`) } : {}),
      ...(metricsAddresses.length ? { metrics: metricsAddresses.map((a) => `http://${hostPort(a)}/metrics`) } : {}),
      clients: config.radius.clients.map((c) => `${c.name} ${c.address}`),
    },
    'sms-otp-radiusd started',
  );
  return {
    server,
    addresses,
    httpAddresses,
    accountingAddresses,
    reload() {
      let next: Config;
      let nextAttributes: Map<string, ReplyAttributes>;
      try {
        next = loadConfig(runtime.configPath);
        nextAttributes = compileAcceptAttributes(next.radius);
      } catch (err) {
        log.error({ config: runtime.configPath, reason: (err as Error).message }, 'configuration not reloaded: it has errors; the running configuration stays');
        return;
      }
      const needRestart = RESTART_KEYS.filter(([, pick]) => JSON.stringify(pick(next)) !== JSON.stringify(pick(config))).map(([key]) => key);
      log.level = next.log.level;
      acceptAttributes = nextAttributes;
      server.reconfigure({
        clients: clientTable(next.radius),
        rejectDelayMs: next.radius.reject_delay * 1000,
        resendKeyword: next.radius.resend_keyword,
        acceptAttributes: (client, context) => (acceptAttributes.get(client) ?? acceptAttributes.get('')!).render(context),
      });
      accounting?.reconfigure({ clients: server.clients });
      const kept = needRestart.length ? { unchanged_until_restart: needRestart } : {};
      log.info({ config: runtime.configPath, clients: next.radius.clients.map((c) => `${c.name} ${c.address}`), ...kept }, 'configuration reloaded');
      if (needRestart.length) log.warn({ keys: needRestart }, 'these keys changed but apply only after a restart');
      for (const w of clientSecretWarnings(next)) log.warn({ check: w.check }, w.message);
      keyFileWatch.check();
    },
    async stop() {
      clearInterval(purge);
      writes.stop();
      keyFileWatch.stop();
      pins.close();
      // First: a probe that finds the port closed takes this node out of rotation at once.
      await metricsListener?.stop();
      await Promise.all([server.stop(STOP_GRACE_MS), accounting?.stop(STOP_GRACE_MS), httpFront?.stop(STOP_GRACE_MS)]);
      site.stop();
      // A store or gateway that hangs must not hold the exit past the unit's stop timeout.
      // The SMS that smsautosend owes to logins already answered goes out before the gateways and the store close.
      const afterReplies = Promise.all([login.idle(), notifications.idle()]).then(() => Promise.all([gateways.close(), directory.close(), authStore.close()]));
      const closed = await settledWithin(CLOSE_GRACE_MS, [retention.stop(), afterReplies, runtime.close()]);
      if (!closed) log.warn({ seconds: CLOSE_GRACE_MS / 1000 }, 'store or gateway connections did not close in time; exiting anyway');
      log.info({ counters: server.stats.snapshot(), shed: pins.shed }, 'sms-otp-radiusd stopped');
    },
  };
}

/**
 * What a reload cannot change in a running daemon: the sockets, the store, the keys, the
 * providers' directory, the loaded dictionaries, the duplicate cache and the NAS time window
 * the PIN queue was sized for. Each with how to read it from a config.
 */
const RESTART_KEYS: Array<[string, (c: Config) => unknown]> = [
  ['radius.listen', (c) => c.radius.listen],
  ['radius.accounting_listen', (c) => c.radius.accounting_listen],
  ['database', (c) => c.database],
  ['secrets.keyfile', (c) => c.secrets.keyfile],
  ['providers.script_directory', (c) => c.providers.script_directory],
  ['radius.dictionaries', (c) => c.radius.dictionaries],
  ['radius.duplicate_cache_seconds', (c) => c.radius.duplicate_cache_seconds],
  ['metrics', (c) => c.metrics],
  ['http', (c) => c.http],
];

function clientTable(radius: RadiusConfig): ClientTable {
  return new ClientTable(radius.clients, { maxRequestTime: radius.max_request_time });
}

/** host:port, with an IPv6 address in brackets. */
function hostPort(a: { address: string; port: number }): string {
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
