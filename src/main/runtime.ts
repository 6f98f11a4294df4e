// What every command needs: the validated config, the keys and an open store.
import { existsSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { loadConfig, resolveConfigPath } from '../config/load.js';
import type { Config, DatabaseConfig, LogFormat } from '../config/schema.js';
import { createKeyFile, KeyFileError, readKeyFile, type Keys } from '../crypto/keyfile.js';
import { connect, describeDatabase } from '../store/connection.js';
import { requireDatabaseDirectory, storeOpenError } from '../store/open-errors.js';
import { storeHoldsSealedData } from '../store/key-check.js';
import { PinHasher } from '../crypto/pin-hash.js';
import { Store } from '../store/index.js';
import { STORE_ADAPTERS } from './store-adapters.js';
import { actAsStoreOwner } from './store-owner.js';

export interface Runtime {
  readonly configPath: string;
  readonly config: Config;
  readonly keys: Keys;
  readonly store: Store;
  readonly pins: PinHasher;
  readonly log: Logger;
  close(): Promise<void>;
}

/**
 * pino-pretty, loaded only where log.format asks for it: its 40 modules are a tenth of what every
 * CLI command loads before it starts (synchronous: a logger is made synchronously).
 */
const loadPinoPretty = (): typeof import('pino-pretty').PinoPretty =>
  (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')).PinoPretty;

/**
 * The daemon logs to stdout (journald); a CLI command to stderr, so its stdout stays its output.
 * `pretty` (log.format): pino-pretty's human lines, written synchronously as the JSON ones are
 * (a stream in this process, not a transport's worker thread: nothing is lost at exit).
 */
export function createLogger(level: string, to: 'stdout' | 'stderr' = 'stdout', format: LogFormat = 'json'): Logger {
  const fd = to === 'stdout' ? 1 : 2;
  const destination =
    format === 'pretty'
      ? loadPinoPretty()({ destination: fd, sync: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname,service', singleLine: true })
      : pino.destination({ fd, sync: true });
  return pino({
    level,
    base: { service: 'sms-otp-radiusd' },
    // Defence in depth: these never belong in a log line, whoever passes them.
    // `pass` and the Authorization headers are the HTTP front's (privacyIDEA's parameter, the API keys);
    // `otpkey` and `otppin` its admin API's (privacyIDEA's names for a token's key and PIN).
    redact: {
      paths: [
        'password', 'pin', 'otp', 'secret', 'pass', 'body', 'otpkey', 'otppin',
        '*.password', '*.pin', '*.otp', '*.secret', '*.pass', '*.body', '*.otpkey', '*.otppin',
        'req.headers.authorization', 'req.headers["pi-authorization"]', 'headers.authorization', 'headers["pi-authorization"]',
      ],
      censor: '[redacted]',
    },
  }, destination);
}

export interface RuntimeOptions {
  /** Apply pending migrations and verify the key against the store. */
  readonly migrate: boolean;
  /** The CLI: warnings only, to stderr. */
  readonly cli?: boolean;
}

export async function openRuntime(configFlag: string | undefined, options: RuntimeOptions): Promise<Runtime> {
  const configPath = resolveConfigPath(configFlag);
  const config = loadConfig(configPath);
  const log = options.cli ? createLogger('warn', 'stderr') : createLogger(config.log.level, 'stdout', config.log.format);
  actAsStoreOwner(config.database);
  requireDatabaseDirectory(config.database, configPath);
  const keyfile = config.secrets.keyfile;
  let keyFile = readKeyFile(keyfile);
  if (!keyFile) {
    await refuseNewKeyForUsedStore(config.database, keyfile);
    createKeyFile(keyfile);
    keyFile = readKeyFile(keyfile)!;
    log.warn({ keyfile }, 'created a new key file: back it up, without it the stored secrets cannot be read');
  }
  if (keyFile.looseMode) log.warn({ keyfile }, 'key file is readable by group or others: chmod 600 it');
  const { keys } = keyFile;
  const store = Store.open(config.database, keys, STORE_ADAPTERS);
  try {
    await store.ping().catch((err: unknown) => {
      throw storeOpenError(config.database, err);
    });
    if (options.migrate) {
      const applied = await store.migrate();
      if (applied.length) log.info({ applied }, 'store migrated');
      await store.keyCheck.verify(keyfile);
      // The upgrade path of issue 18: gateway values an earlier version stored in the clear that
      // the modules' declarations call secret (header values, URL credentials), sealed now that
      // the key is known to be the store's.
      const sealed = await store.gateways.sealStoredSecrets();
      if (sealed.length) {
        log.warn({ sealed: sealed.map((s) => `${s.identifier} ${s.kind} ${s.key}`) }, 'sealed gateway secrets an earlier version had stored in the clear');
      }
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

/**
 * A missing key file is created only for a store that holds nothing yet: a store already
 * sealed with another key needs that key file restored, and a new one would only be a trap.
 */
async function refuseNewKeyForUsedStore(database: DatabaseConfig, keyfile: string): Promise<void> {
  if (database.client === 'sqlite' && !existsSync(database.filename)) return;
  const knex = connect(database);
  try {
    const used = await storeHoldsSealedData(knex).catch((err: unknown) => {
      throw storeOpenError(database, err);
    });
    if (used) {
      throw new KeyFileError(
        `key file ${keyfile} does not exist, but the store ${describeDatabase(database)} already holds data sealed with a key: ` +
          'restore the key file from backup or point secrets.keyfile at a copy of the one the other nodes use',
      );
    }
  } finally {
    await knex.destroy();
  }
}
