// One number that every change to the site's configuration in the store (settings,
// gateways, SMTP servers) moves on. Daemons keep that configuration in memory and poll the
// number, so a change made with the CLI on any node reaches every node within a second.
import type { Knex } from 'knex';

export const CONFIG_REVISION_KEY = 'config_revision';

/**
 * Runs `change` in a transaction whose first statement is the revision bump. Being a write,
 * it takes SQLite's write lock before anything is read (a deferred transaction that reads
 * first fails with SQLITE_BUSY when another writer committed in between).
 */
export async function changeConfiguration<T>(knex: Knex, change: (trx: Knex.Transaction) => Promise<T | NothingChanged<T>>): Promise<T> {
  try {
    return await knex.transaction(async (trx) => {
      const bumped = await trx('store_meta')
        .where({ key: CONFIG_REVISION_KEY })
        .update({ value: trx.raw(revisionPlusOne(knex)) });
      if (bumped === 0) await trx('store_meta').insert({ key: CONFIG_REVISION_KEY, value: '1' });
      const result = await change(trx);
      // Thrown to roll the bump back: every daemon would reload for nothing.
      if (result instanceof NothingChanged) throw result;
      return result;
    });
  } catch (err) {
    if (err instanceof NothingChanged) return err.value as T;
    throw err;
  }
}

/** What a change returns when it found nothing to change (a delete of what is not there). */
export class NothingChanged<T> extends Error {
  constructor(readonly value: T) {
    super('nothing changed');
  }
}

export function nothingChanged<T>(value: T): NothingChanged<T> {
  return new NothingChanged(value);
}

function revisionPlusOne(knex: Knex): string {
  // value is text (store_meta holds several kinds of value)
  return knex.client.config.client === 'pg' ? "(CAST(value AS bigint) + 1)::text" : "CAST(CAST(value AS INTEGER) + 1 AS TEXT)";
}
