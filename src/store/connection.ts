import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import type Pg from 'pg';
import type { DatabaseConfig } from '../config/schema.js';

let pgModule: typeof Pg | undefined;

/**
 * The PostgreSQL driver, loaded when a PostgreSQL store is first opened: on SQLite no command
 * pays for loading it (~0.1 s of CPU at each CLI start). knex requires the same module.
 */
export function postgresDriver(): typeof Pg {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof Pg;
    // PostgreSQL returns int8 (bigint, COUNT) as strings; every int8 we store is an epoch
    // millisecond or a small counter, well inside Number's exact range.
    pgModule.types.setTypeParser(pgModule.types.builtins.INT8, (value: string) => Number(value));
  }
  return pgModule;
}

// knex prints pool and driver trouble with console.warn and a stack trace; the callers turn
// those errors into one line naming the store, so the library's own output is silenced.
const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };

export interface ConnectOptions {
  /**
   * Only read (`check`): the connection refuses every write, and an SQLite database is left
   * in the journal mode it has. The caller makes sure an SQLite file exists first: opening
   * one creates it.
   */
  readonly readOnly?: boolean;
}

/**
 * The size the SQLite WAL is cut back to after a checkpoint (journal_size_limit), and past which
 * the login hot path checkpoints and truncates it (src/store/auth/sqlite.ts). Without it the WAL
 * keeps the size of the largest burst (4 MiB and more), which filled a small disk under the store.
 */
export const WAL_LIMIT_BYTES = 1024 * 1024;

/**
 * Creates a missing SQLite file empty with mode 0600 (an empty file is an empty database):
 * SQLite would create it 0644 under the usual umask, and its -wal and -shm files take the
 * database file's mode, so the whole store stays readable by its owner alone.
 */
export function createSqliteFilePrivately(filename: string): void {
  if (filename === ':memory:' || filename === '') return;
  try {
    closeSync(openSync(filename, 'wx', 0o600));
  } catch (err) {
    // EEXIST: there is one already, kept as it is. Anything else SQLite reports itself on opening.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return;
  }
}

export function connect(database: DatabaseConfig, options: ConnectOptions = {}): Knex {
  if (database.client === 'sqlite') {
    if (!options.readOnly) createSqliteFilePrivately(database.filename);
    // WAL lets the CLI write while the daemon reads; busy_timeout makes a writer wait for the
    // other process instead of failing with SQLITE_BUSY.
    //
    // Read-only is not better-sqlite3's `readonly: true`: a read-only connection to a WAL
    // database creates the -wal and -shm files when no other process has them open and
    // cannot remove them again, so they would stay behind owned by whoever ran the check
    // (root, say), where the daemon's user may not write them. A read-write connection with
    // query_only removes them when it closes, like every other last connection, and SQLite
    // refuses any write through it.
    const pragmas = options.readOnly
      ? ['query_only = ON', 'busy_timeout = 5000']
      : ['journal_mode = WAL', 'busy_timeout = 5000', 'foreign_keys = ON', 'synchronous = NORMAL', `journal_size_limit = ${WAL_LIMIT_BYTES}`];
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: database.filename },
      useNullAsDefault: true,
      log: quiet,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          try {
            for (const pragma of pragmas) conn.pragma(pragma);
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    });
  }
  // A NAS gives up after a few seconds; a store that does not answer must not hold a request
  // longer than that, so it fails (closed, or silently for failover) while the NAS still waits.
  postgresDriver();
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: database.url,
      connectionTimeoutMillis: 3000,
      statement_timeout: 5000,
      query_timeout: 6000,
      ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
    },
    pool: options.readOnly ? { min: 0, max: 1 } : { min: database.pool?.min ?? 0, max: database.pool?.max ?? 10 },
    acquireConnectionTimeout: 4000,
    log: quiet,
  });
}

/** The store as an operator recognises it in a message: the file, or the URL without its password. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.client === 'sqlite') return database.filename;
  try {
    const url = new URL(database.url);
    url.password = '';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
