// The one table of column limits the application layer checks against (src/store/column-limits.ts)
// must say what the migrated schema says, on both databases, column for column.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustFit, ValueTooLongError } from '../../src/app/limits.js';
import { COLUMN_LIMITS } from '../../src/store/column-limits.js';
import { openTestStore, STORE_KINDS, type StoreKind, type TestStore } from '../helpers/store.js';

/** Every bounded character column of the migrated schema: "table.column" → length. */
async function varcharColumns(t: TestStore, kind: StoreKind): Promise<Record<string, number>> {
  const knex = t.store.knex;
  const out: Record<string, number> = {};
  if (kind === 'pg') {
    const rows: Array<{ table_name: string; column_name: string; character_maximum_length: number }> = await knex('information_schema.columns')
      .where({ table_schema: 'public' })
      .whereNotNull('character_maximum_length')
      .select('table_name', 'column_name', 'character_maximum_length');
    for (const r of rows) out[`${r.table_name}.${r.column_name}`] = Number(r.character_maximum_length);
    return out;
  }
  const tables: Array<{ name: string }> = await knex.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  for (const { name } of tables) {
    const columns: Array<{ name: string; type: string }> = await knex.raw(`PRAGMA table_info("${name}")`);
    for (const c of columns) {
      const size = /^varchar\((\d+)\)$/i.exec(c.type);
      if (size) out[`${name}.${c.name}`] = Number(size[1]);
    }
  }
  return out;
}

const declared = (): Record<string, number> =>
  Object.fromEntries(
    Object.entries(COLUMN_LIMITS).flatMap(([table, columns]) => Object.entries(columns).map(([column, max]) => [`${table}.${column}`, max])),
  );

describe.each(STORE_KINDS)('column limits on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('agree with the migrated schema, column for column (the knex bookkeeping tables aside)', async () => {
    const schema = await varcharColumns(t, kind);
    const ours = Object.fromEntries(Object.entries(schema).filter(([k]) => !k.startsWith('schema_migrations')));
    expect(ours).toEqual(declared());
  });
});

describe('mustFit', () => {
  it('counts characters as PostgreSQL does (code points) and names the limit', () => {
    expect(() => mustFit('tokens', 'gateway', 'é'.repeat(64), '--gateway')).not.toThrow();
    expect(() => mustFit('tokens', 'gateway', '\u{1F4F1}'.repeat(64), '--gateway')).not.toThrow();
    expect(() => mustFit('tokens', 'gateway', 'g'.repeat(65), '--gateway')).toThrow(ValueTooLongError);
    expect(() => mustFit('tokens', 'gateway', 'g'.repeat(65), '--gateway')).toThrow('--gateway is 65 characters long; at most 64 are allowed');
  });
});
