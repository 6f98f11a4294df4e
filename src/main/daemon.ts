// The daemon: the RADIUS front (and, when configured, accounting, the HTTP front and the
// metrics listener) in front of the login core, with the core's ports wired to the store's
// hot path, the site configuration kept in memory, the PIN-check queue and the gateways.
// What the CLI shares (config, keys, knex store, log) comes from the runtime.
import { HTTP_CLIENT_NAME } from '../config/schema.js';
import { MemoryApiKeyGate, type ApiKeyGate } from '../app/api-keys.js';
import type { Readiness } from '../core/authenticator.js';
import type { EventSink } from '../core/ports.js';
import { ApiKeyHasher } from '../crypto/api-key.js';
import { PinCheckQueue } from '../crypto/pin-check-queue.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { StoreOperation } from '../metrics/store-metrics.js';
import { NotificationDispatcher } from '../notifications/dispatcher.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { realmJoiner } from '../radius/realms.js';
import { compileAcceptAttributes } from '../radius/reply-attributes.js';
import type { RadiusServer } from '../radius/server.js';
import { RadiusStats } from '../radius/stats.js';
import { describeDatabase } from '../store/connection.js';
import { StoreWriteHealth } from '../store/write-health.js';
import { VERSION } from '../version.js';
import { DebugSwitch } from '../core/debug-trace.js';
import { clientSecretWarnings, fileWarnings } from '../app/node-warnings.js';
import { buildAdmin } from './admin.js';
import { buildWeb } from './web.js';
import { AuditRetention } from './audit-retention.js';
import { EventFanout } from './event-fanout.js';
import { KeyFileWatch } from './key-file-watch.js';
import { buildListeners, closeListeners, hostPort, startListeners, stopListeners, type AcceptAttributes } from './listeners.js';
import { LogEvents } from './log-events.js';
import { TransactionIds, unsignedUntil } from '../core/transaction-ids.js';
import { buildDirectory, buildLogin, buildSite, buildUpstream } from './login.js';
import { startPurge } from './maintenance.js';
import { warnOfOpenDoors } from './open-doors.js';
import { providerContext } from './providers.js';
import { reloadConfig } from './reload.js';
import { openRuntime, type Runtime } from './runtime.js';

/** Requests in flight get this long to finish at SIGTERM; queued PIN checks are shed at once. */
const STOP_GRACE_MS = 8_000;
/** Then connections get this long to close: 10 s in all, below systemd's TimeoutStopSec (15). */
const CLOSE_GRACE_MS = 2_000;

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
  /** SIGUSR1: the debug trace of every request on, or off again; resolves to the new state. */
  toggleDebug(): boolean;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** `serve --debug`: every request's decisions traced from the start, in plain lines on standard error. */
  readonly debug?: boolean;
}

export async function startDaemon(configFlag: string | undefined, options: DaemonOptions = {}): Promise<Daemon> {
  const runtime = await openRuntime(configFlag, { migrate: true });
  const { config, store, log } = runtime;
  // `serve --debug` writes the trace for a person at a terminal; otherwise it joins the log at info.
  const debug = new DebugSwitch(
    options.debug
      ? (request, line) => process.stderr.write(`(${request}) ${line}\n`)
      : (request, line) => log.info({ trace: request }, line),
    { all: options.debug ?? false },
  );
  loadDictionaries(config.radius.dictionaries);
  // Said once: short RADIUS secrets, a key file of another user, store files others can read.
  for (const w of [...clientSecretWarnings(config), ...fileWarnings(config)]) log.warn({ check: w.check }, w.message);
  const keyFileWatch = new KeyFileWatch(config.secrets.keyfile, runtime.keys, log);
  keyFileWatch.start();
  const accept: AcceptAttributes = { current: compileAcceptAttributes(config.radius) };

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
  const site = buildSite(
    store,
    {
      configRevision: () =>
        authStore.configRevision().catch((err: unknown) => {
          storeFailed('probe');
          throw err;
        }),
    },
    {
      onError: (err) => log.error({ reason: (err as Error).message }, 'store unreachable: Status-Server falls silent until it is back'),
      onRecovered: () => log.info('store reachable again'),
      onReload: (revision) => {
        log.info({ revision }, 'site configuration reloaded');
        warnOfOpenDoors(log, site.current(), site.policies());
        retention.kick();
      },
    },
  );
  const retention = new AuditRetention({
    // Accounting sessions go with the audit trail: same retention, same pass.
    prune: (before) => writes.track(async () => (await authStore.pruneAudit(before)) + (await authStore.pruneSessions(before))),
    retentionDays: () => site.current()['audit.retention_days'],
    log,
  });
  await site.start();
  warnOfOpenDoors(log, site.current(), site.policies());
  const directory = buildDirectory(site, config.radius);
  const pins = new PinCheckQueue(runtime.pins);
  // What Status-Server and both /readyz say (the one health rule), from the cached probe and the
  // outcome of the daemon's own writes: never a query per request.
  const readiness: Readiness = {
    notReady() {
      if (!site.storeReachable()) return 'the store does not answer';
      const unwritable = writes.unwritable();
      if (unwritable !== undefined) return `the store takes no writes: ${unwritable}`;
      if (pins.overloaded()) return 'the PIN-check queue is near its bound';
      return undefined;
    },
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
  const login = buildLogin({
    store: writes.watching(metrics ? metrics.store.counting(authStore) : authStore),
    pins,
    pinUpgrades: { replacePinHash: (serial, previous, next) => store.tokens.replacePinHash(serial, previous, next) },
    sms: gateways,
    settings: site,
    policies: site,
    clock: { now: () => Date.now() },
    events,
    directory,
    upstream: buildUpstream(site, runtime.keys),
    rateLimits: {
      consume: (limits, now) => writes.track(() => authStore.consume(limits, now)),
      refund: (counted) => writes.track(() => authStore.refund(counted)),
    },
    transactionIds: await transactionIdsOf(runtime),
  });
  const apiKeyHasher = new ApiKeyHasher(runtime.keys.apiKeyMac);
  const apiKeys: ApiKeyGate = new MemoryApiKeyGate({
    known: (key) => site.apiKey(apiKeyHasher.hash(key)),
    // One small read of the revision; the keys only when it moved (a key created since the last poll).
    reread: () => site.refresh(),
    required: () => site.current().api_key_required,
  });
  // The same application layer as the CLI's commands, on the runtime's store: changes to
  // the site configuration move its revision, which every daemon (this one too) polls.
  const admin = buildAdmin(runtime, { enrolled: { events, client: HTTP_CLIENT_NAME } });
  const listeners = await buildListeners({
    config,
    log,
    authenticator: login,
    readiness,
    radiusStats,
    accept,
    // Its writes tell the store's write health as the logins' do.
    accountingStore: {
      recordAccounting: (event) => writes.track(() => authStore.recordAccounting(event)),
      closeClientSessions: (...args) => writes.track(() => authStore.closeClientSessions(...args)),
    },
    apiKeys,
    admin: { tokens: admin.tokens, gateways: admin.gateways, settings: admin.settings, audit: admin.audit, sessions: admin.sessions, debug, policies: admin.policies, changes: admin.changes, tokenChanges: admin.tokenChanges },
    web: buildWeb({ config, keys: runtime.keys, store, admin, login, directory, policies: () => site.policies(), sms: gateways, events }),
    joinRealm: realmJoiner(config.radius.realm_format, config.radius.realm_delimiter),
    metrics,
    debug,
  });
  const stopPurge = startPurge({
    purgeExpired: (now) => writes.track(() => authStore.purgeExpired(now)),
    remembersClients: () => site.notifications().some((n) => n.event === 'login_from_new_client'),
    retentionDays: () => site.current()['audit.retention_days'],
    forgetClients: (before) => store.knownClients.forget(before),
    failed: () => storeFailed('purge'),
    log,
  });

  let bound;
  try {
    bound = await startListeners(listeners, config);
  } catch (err) {
    stopPurge();
    writes.stop();
    keyFileWatch.stop();
    site.stop();
    await closeListeners(listeners);
    await directory.close();
    await authStore.close();
    await runtime.close();
    throw err;
  }
  const { addresses, httpAddresses, accountingAddresses, metricsAddresses } = bound;
  retention.start();
  log.info(
    {
      version: VERSION,
      config: runtime.configPath,
      store: describeDatabase(config.database),
      keyfile: config.secrets.keyfile,
      listen: addresses.map((a) => `${a.address}:${a.port}`),
      ...(listeners.accounting ? { accounting: accountingAddresses.map((a) => hostPort(a)) } : {}),
      ...(listeners.httpFront ? { http: httpAddresses.map((a) => `${config.http?.tls ? 'https' : 'http'}://${hostPort(a)}`) } : {}),
      ...(metricsAddresses.length ? { metrics: metricsAddresses.map((a) => `http://${hostPort(a)}/metrics`) } : {}),
      clients: config.radius.clients.map((c) => `${c.name} ${c.address}`),
    },
    'sms-otp-radiusd started',
  );
  const { server } = listeners;
  return {
    server,
    addresses,
    httpAddresses,
    accountingAddresses,
    toggleDebug() {
      const on = debug.toggle();
      log.info(on ? 'debug trace on for every request (SIGUSR1 again turns it off)' : 'debug trace off');
      return on;
    },
    reload() {
      reloadConfig({ configPath: runtime.configPath, config, log, listeners, accept, checkKeyFile: () => keyFileWatch.check() });
    },
    async stop() {
      stopPurge();
      writes.stop();
      keyFileWatch.stop();
      pins.close();
      await stopListeners(listeners, STOP_GRACE_MS);
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
 * The site's States. Those a daemon of the release before signed States issued, still open
 * at start, are looked up in the store until the last of them expires; other nodes of the
 * site that still run that release should be upgraded within that time (docs: upgrade).
 */
async function transactionIdsOf(runtime: Runtime): Promise<TransactionIds> {
  const signed = new TransactionIds(runtime.keys.transactionIdMac);
  const now = Date.now();
  const until = unsignedUntil(signed, await runtime.store.openTransactions(now), now);
  return until > now ? new TransactionIds(runtime.keys.transactionIdMac, until) : signed;
}
