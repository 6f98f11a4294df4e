// The daemon: the RADIUS server in front of the authenticator, gateways behind it.
import { Authenticator } from '../auth/authenticator.js';
import type { RadiusConfig } from '../config/schema.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { realmSplitter } from '../radius/realms.js';
import { ReplyAttributes } from '../radius/reply-attributes.js';
import { RadiusServer } from '../radius/server.js';
import { openRuntime, providerContext } from './runtime.js';

const PURGE_INTERVAL_MS = 60_000;

export interface Daemon {
  readonly server: RadiusServer;
  readonly addresses: Array<{ address: string; port: number }>;
  stop(): Promise<void>;
}

export async function startDaemon(configFlag: string | undefined): Promise<Daemon> {
  const runtime = await openRuntime(configFlag, { migrate: true });
  const { config, store, log } = runtime;
  loadDictionaries(config.radius.dictionaries);
  const acceptAttributes = compileAcceptAttributes(config.radius);
  const gateways = new GatewayRegistry(store.gateways, providerContext(runtime));
  const authenticator = new Authenticator(store, runtime.pins, gateways, log, realmSplitter(config.radius.realm_format, config.radius.realm_delimiter));
  const server = new RadiusServer({
    listen: config.radius.listen,
    clients: new ClientTable(config.radius.clients),
    authenticate: (request) => authenticator.authenticate(request),
    healthy: () => store.healthy(),
    log,
    duplicateCacheMs: config.radius.duplicate_cache_seconds * 1000,
    rejectDelayMs: config.radius.reject_delay * 1000,
    resendKeyword: config.radius.resend_keyword,
    acceptAttributes: (client, context) => (acceptAttributes.get(client) ?? acceptAttributes.get('')!).render(context),
  });
  const purge = setInterval(() => {
    store.challenges.purgeExpired(Date.now()).catch((err: unknown) => log.warn({ err }, 'purging expired challenges failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();
  let addresses: Array<{ address: string; port: number }>;
  try {
    addresses = await server.start();
  } catch (err) {
    clearInterval(purge);
    await server.stop();
    await runtime.close();
    throw err;
  }
  log.info({ config: runtime.configPath, database: config.database.client }, 'sms-otp-radiusd started');
  return {
    server,
    addresses,
    async stop() {
      clearInterval(purge);
      await server.stop();
      await gateways.close();
      await runtime.close();
      log.info({ counters: server.stats.snapshot() }, 'sms-otp-radiusd stopped');
    },
  };
}

/** The site's Access-Accept attributes under '', and each client's own where it has them. */
function compileAcceptAttributes(radius: RadiusConfig): Map<string, ReplyAttributes> {
  const compiled = new Map([['', ReplyAttributes.compile(radius.accept_attributes, 'radius.accept_attributes')]]);
  radius.clients.forEach((client, i) => {
    if (client.accept_attributes) {
      compiled.set(client.name, ReplyAttributes.compile(client.accept_attributes, `radius.clients.${i}.accept_attributes`));
    }
  });
  return compiled;
}
