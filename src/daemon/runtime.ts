// What every command needs: the validated config, the keys and an open store.
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadOrCreateKeyFile, type Keys } from '../crypto/keyfile.js';
import { PinHasher } from '../crypto/pin-hash.js';
import type { ProviderContext } from '../gateways/provider.js';
import { Store } from '../store/index.js';

export interface Runtime {
  readonly configPath: string;
  readonly config: Config;
  readonly keys: Keys;
  readonly store: Store;
  readonly pins: PinHasher;
  readonly log: Logger;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'sms-otp-radiusd' },
    // Defence in depth: these never belong in a log line, whoever passes them.
    redact: { paths: ['password', 'pin', 'otp', 'secret', '*.password', '*.pin', '*.otp', '*.secret'], censor: '[redacted]' },
  });
}

export async function openRuntime(configFlag: string | undefined, options: { migrate: boolean; logLevel?: string }): Promise<Runtime> {
  const configPath = resolveConfigPath(configFlag);
  const config = loadConfig(configPath);
  const log = createLogger(options.logLevel ?? config.log.level);
  const keyfile = path.resolve(config.secrets.keyfile);
  const { keys, created, looseMode } = loadOrCreateKeyFile(keyfile);
  if (created) log.warn({ keyfile }, 'created a new key file: back it up, without it the stored secrets cannot be read');
  if (looseMode) log.warn({ keyfile }, 'key file is readable by group or others: chmod 600 it');
  const store = Store.open(config.database, keys);
  try {
    if (options.migrate) {
      const applied = await store.migrate();
      if (applied.length) log.info({ applied }, 'store migrated');
      await store.keyCheck.verify(keyfile);
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    configPath,
    config,
    keys,
    store,
    pins: new PinHasher(keys.pinPepper),
    log,
    close: () => store.close(),
  };
}

/** What gateway providers need from the node: its script directory and the store's SMTP servers. */
export function providerContext(rt: Pick<Runtime, 'config' | 'store'>): ProviderContext {
  return { scriptDirectory: path.resolve(rt.config.providers.script_directory), smtpServers: rt.store.smtpServers };
}
