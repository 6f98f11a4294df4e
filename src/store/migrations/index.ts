// Schema migrations, kept in code so that the compiled daemon carries them with it.
// The same migrations run on SQLite and PostgreSQL; timestamps are epoch milliseconds.
// The array's order and every `name` are fixed for good: knex keys on the names.
import type { Knex } from 'knex';
import { SmsOtpError } from '../../core/errors.js';
import type { Migration } from './migration.js';
import { MIGRATIONS_0001_0008 } from './0001-0008.js';
import { MIGRATIONS_0009_0016 } from './0009-0016.js';
import { MIGRATIONS_0017_0020 } from './0017-0020.js';
import { MIGRATIONS_0022 } from './0022.js';
import { MIGRATIONS_0023 } from './0023-userstore-groups.js';
import { MIGRATIONS_0024 } from './0024-radius-servers.js';
import { MIGRATIONS_0025 } from './0025-web-sessions.js';
import { MIGRATIONS_0026 } from './0026-token-description.js';
import { MIGRATIONS_0027 } from './0027-phone-verifications.js';

export type { Migration } from './migration.js';

const migrations: Migration[] = [...MIGRATIONS_0001_0008, ...MIGRATIONS_0009_0016, ...MIGRATIONS_0017_0020, ...MIGRATIONS_0022, ...MIGRATIONS_0023, ...MIGRATIONS_0024, ...MIGRATIONS_0025, ...MIGRATIONS_0026, ...MIGRATIONS_0027];

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

export const migrationConfig: Knex.MigratorConfig = {
  migrationSource: source,
  tableName: 'schema_migrations',
};

/** The store's schema is newer than this installation knows: an old node must not touch it. */
export class StoreVersionError extends SmsOtpError {
  override name = 'StoreVersionError';
  readonly code = 'ERR_STORE_TOO_NEW';
}

/** Migrations recorded in the store that this installation does not have (a newer node ran them). */
export async function unknownMigrations(knex: Knex): Promise<string[]> {
  return (await migrationState(knex)).unknown;
}

export interface MigrationState {
  /** Known to this installation, not yet applied (serve or migrate applies them). */
  readonly pending: string[];
  /** Applied by a newer installation: this one must not touch the store. */
  readonly unknown: string[];
}

/**
 * Where the store's schema stands, read without writing (knex's own migrate.list creates its
 * bookkeeping tables first, which `check` must not).
 */
export async function migrationState(knex: Knex): Promise<MigrationState> {
  const names = migrations.map((m) => m.name);
  if (!(await knex.schema.hasTable(migrationConfig.tableName!))) return { pending: names, unknown: [] };
  const done = new Set(((await knex(migrationConfig.tableName!).select('name')) as Array<{ name: string }>).map((r) => r.name));
  const known = new Set(names);
  return { pending: names.filter((n) => !done.has(n)), unknown: [...done].filter((n) => !known.has(n)) };
}

/** Applies pending migrations; returns the names applied now. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const newer = await unknownMigrations(knex);
  if (newer.length) {
    throw new StoreVersionError(
      `the store was upgraded by a newer sms-otp-radiusd (migrations ${newer.join(', ')}); upgrade this installation to that version`,
    );
  }
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}
