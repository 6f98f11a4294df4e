// The daemon: the RADIUS front in front of the login core, with the core's ports wired to
// the store's hot path, the site configuration kept in memory, the PIN-check queue and the
// gateways. What the CLI shares (config, keys, knex store, log) comes from the runtime.
import { RecentFailures } from '../core/login/recent-failures.js';
import { LoginService } from '../core/login/service.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config, RadiusConfig } from '../config/schema.js';
import { PinCheckQueue } from '../crypto/pin-check-queue.js';
import { LdapDirectory } from '../directory/directory.js';
import { RealmNameDirectory } from '../directory/realm-names.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { realmSplitter } from '../radius/realms.js';
import { compileAcceptAttributes, type ReplyAttributes } from '../radius/reply-attributes.js';
import { RadiusServer } from '../radius/server.js';
import { describeDatabase } from '../store/connection.js';
import { SiteConfig } from '../store/site-config.js';
import { VERSION } from '../version.js';
import { AuditRetention } from './audit-retention.js';
import { LogEvents } from './log-events.js';
import { EventFanOut } from './event-fanout.js';
import { NotificationDispatcher } from '../notifications/dispatcher.js';
import { warnOfOpenDoors } from './open-doors.js';
import { openRuntime, providerContext } from './runtime.js';

const PURGE_INTERVAL_MS = 5_000;
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
  /** Reads the config file again (SIGHUP); a broken one is reported and the running one kept. */
  reload(): void;
  stop(): Promise<void>;
}

export async function startDaemon(configFlag: string | undefined): Promise<Daemon> {
  const runtime = await openRuntime(configFlag, { migrate: true });
  const { config, store, log } = runtime;
  loadDictionaries(config.radius.dictionaries);
  let acceptAttributes = compileAcceptAttributes(config.radius);

  const authStore = store.openAuthStore((err) => log.warn({ reason: err.message }, 'store connection lost'));
  const site = new SiteConfig({
    settings: store.settings,
    gateways: store.gateways,
    userstores: store.userstores,
    realms: store.realms,
    notifications: store.notifications,
    revisions: authStore,
    onError: (err) => log.error({ reason: (err as Error).message }, 'store unreachable: Status-Server falls silent until it is back'),
    onRecovered: () => log.info('store reachable again'),
    onReload: (revision) => {
      log.info({ revision }, 'site configuration reloaded');
      warnOfOpenDoors(log, site.current());
      retention.kick();
    },
  });
  const retention = new AuditRetention({
    prune: (before) => authStore.pruneAudit(before),
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
  const gateways = new GatewayRegistry((id) => site.gateway(id), providerContext(runtime));
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
  const events = new EventFanOut([new LogEvents(log), notifications], (err) =>
    log.error({ reason: (err as Error).message }, 'an event subscriber failed'),
  );
  const login = new LoginService({
    store: authStore,
    pins,
    sms: gateways,
    settings: site,
    clock: { now: () => Date.now() },
    events,
    directory,
    rateLimits: authStore,
    recentFailures: new RecentFailures(),
  });
  const server = new RadiusServer({
    listen: config.radius.listen,
    clients: clientTable(config.radius),
    authenticate: (request) => login.authenticate(request),
    healthy: () => site.storeReachable() && !pins.overloaded(),
    log,
    duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
    rejectDelayMs: config.radius.reject_delay * 1000,
    resendKeyword: config.radius.resend_keyword,
    acceptAttributes: (client, context) => (acceptAttributes.get(client) ?? acceptAttributes.get('')!).render(context),
  });
  const purge = setInterval(() => void purgeExpired(), PURGE_INTERVAL_MS);
  purge.unref();
  let purging = false;
  async function purgeExpired(): Promise<void> {
    if (purging) return;
    purging = true;
    try {
      // Bounded batches through the expires_at index, until none is left.
      while ((await authStore.purgeExpired(Date.now())) >= 1000);
      // Clients of login_from_new_client unseen for the audit's retention count as new again.
      if (site.notifications().some((n) => n.event === 'login_from_new_client')) {
        const before = Date.now() - site.current()['audit.retention_days'] * 86_400_000;
        while ((await store.knownClients.forget(before)) >= 1000);
      }
    } catch (err) {
      log.warn({ reason: (err as Error).message }, 'purging expired challenges failed');
    } finally {
      purging = false;
    }
  }

  let addresses: Array<{ address: string; port: number }>;
  try {
    addresses = await server.start();
  } catch (err) {
    clearInterval(purge);
    site.stop();
    await server.stop();
    await directory.close();
    await authStore.close();
    await runtime.close();
    throw listenError(err, config.radius.listen);
  }
  retention.start();
  log.info(
    {
      version: VERSION,
      config: runtime.configPath,
      store: describeDatabase(config.database),
      keyfile: config.secrets.keyfile,
      listen: addresses.map((a) => `${a.address}:${a.port}`),
      clients: config.radius.clients.map((c) => `${c.name} ${c.address}`),
    },
    'sms-otp-radiusd started',
  );
  return {
    server,
    addresses,
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
      const kept = needRestart.length ? { unchanged_until_restart: needRestart } : {};
      log.info({ config: runtime.configPath, clients: next.radius.clients.map((c) => `${c.name} ${c.address}`), ...kept }, 'configuration reloaded');
      if (needRestart.length) log.warn({ keys: needRestart }, 'these keys changed but apply only after a restart');
    },
    async stop() {
      clearInterval(purge);
      pins.close();
      await server.stop(STOP_GRACE_MS);
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
  ['database', (c) => c.database],
  ['secrets.keyfile', (c) => c.secrets.keyfile],
  ['providers.script_directory', (c) => c.providers.script_directory],
  ['radius.dictionaries', (c) => c.radius.dictionaries],
  ['radius.duplicate_cache_seconds', (c) => c.radius.duplicate_cache_seconds],
];

function clientTable(radius: RadiusConfig): ClientTable {
  return new ClientTable(radius.clients, { maxRequestTime: radius.max_request_time });
}

/** A socket that cannot be bound, as one line naming the address and the key. */
function listenError(err: unknown, listen: RadiusConfig['listen']): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!e?.code || !e.syscall?.startsWith('bind')) return err as Error;
  const i = listen.findIndex((l) => l.port === e.port && (e.address === undefined || l.host === e.address));
  const where = i >= 0 ? `radius.listen.${i}` : 'radius.listen';
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is in use by another process (another daemon, or FreeRADIUS?)',
    EACCES: 'permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)',
    EADDRNOTAVAIL: 'no interface of this machine has that address',
  };
  return new ConfigError(`cannot listen on ${e.address ?? '?'}:${e.port ?? '?'} (${where}): ${why[e.code] ?? e.code}`);
}
