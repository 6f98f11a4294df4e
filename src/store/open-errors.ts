// How a store that cannot be opened is told to the operator, the same for the daemon, every
// CLI command and `check`: which store, which config key, and the driver's reason.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/load.js';
import type { DatabaseConfig } from '../config/schema.js';
import { SmsOtpError, StoreUnavailable } from '../core/errors.js';
import { describeDatabase } from './connection.js';

/** A SQLite file's directory must exist: a missing one is a wrong path, not something to create. */
export function requireDatabaseDirectory(database: DatabaseConfig, configPath: string): void {
  if (database.client !== 'sqlite' || database.filename === ':memory:') return;
  const dir = path.dirname(database.filename);
  if (!existsSync(dir)) {
    throw new ConfigError(
      `database.filename: the directory ${dir} does not exist; create it (mkdir -p ${dir}) or correct the path in ${configPath}`,
    );
  }
}

/** A store that cannot be opened, as one line: which store, which key, and the driver's reason. */
export function storeOpenError(database: DatabaseConfig, err: unknown): Error {
  if (err instanceof SmsOtpError) return err;
  const key = database.client === 'sqlite' ? 'database.filename' : 'database.url';
  const reason = ((err as Error)?.message ?? String(err)).split('\n')[0];
  return new StoreUnavailable(`cannot use the store ${describeDatabase(database)} (${key}): ${reason}`);
}
