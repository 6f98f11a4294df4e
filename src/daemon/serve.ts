// The daemon: the RADIUS server in front of the authenticator, gateways behind it.
import path from 'node:path';
import { Authenticator } from '../auth/authenticator.js';
import { GatewayRegistry } from '../gateways/registry.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { RadiusServer } from '../radius/server.js';
import { openRuntime } from './runtime.js';

const PURGE_INTERVAL_MS = 60_000;

export interface Daemon {
  readonly server: RadiusServer;
  readonly addresses: Array<{ address: string; port: number }>;
  stop(): Promise<void>;
}

export async function startDaemon(configFlag: string | undefined): Promise<Daemon> {
  const runtime = await openRuntime(configFlag, { migrate: true });
  const { config, store, log } = runtime;
  loadDictionaries();
  const gateways = new GatewayRegistry(store.gateways, {
    scriptDirectory: path.resolve(config.providers.script_directory),
  });
  const authenticator = new Authenticator(store, runtime.pins, gateways, log);
  const server = new RadiusServer({
    listen: config.radius.listen,
    clients: new ClientTable(config.radius.clients),
    authenticate: (request) => authenticator.authenticate(request),
    healthy: () => store.healthy(),
    log,
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
      log.info('sms-otp-radiusd stopped');
    },
  };
}
