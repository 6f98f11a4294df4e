// One migration tested on its own, on SQLite and the real PostgreSQL: a bare store (no
// migrations run), brought to just before the migration under test, whose up and down the
// test then runs around the rows it wants migrated.
import knexFactory, { type Knex } from 'knex';
import { expect } from 'vitest';
import { migrationConfig, type Migration } from '../../src/store/migrations/index.js';
import { createTestDatabase } from './pg.js';

/** An empty store of `kind`; close() also drops the PostgreSQL database. */
export async function openBareStore(kind: 'sqlite' | 'pg'): Promise<{ knex: Knex; close(): Promise<void> }> {
  if (kind === 'sqlite') {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    return { knex, close: () => knex.destroy() };
  }
  const db = await createTestDatabase();
  const knex = knexFactory({ client: 'pg', connection: db.url });
  return {
    knex,
    async close() {
      await knex.destroy();
      await db.drop();
    },
  };
}

/** Runs every migration before `name` and returns that one, not yet run. */
export async function migrateUpTo(knex: Knex, name: string): Promise<Migration> {
  const all = (await migrationConfig.migrationSource!.getMigrations([])) as Migration[];
  const at = all.findIndex((m) => m.name === name);
  expect(at).toBeGreaterThan(0);
  for (const m of all.slice(0, at)) await m.up(knex);
  return all[at]!;
}
