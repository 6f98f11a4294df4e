// A copy of a privacyIDEA SQLite database in another database (PostgreSQL, MySQL): the tables
// `migrate privacyidea` reads, created from the SQLite schema as privacyIDEA's SQLAlchemy wrote
// it, and their rows copied with knex.
import knexFactory, { type Knex } from 'knex';

/** Referenced tables before the tables that reference them. */
export const PI_TABLES = ['realm', 'resolver', 'resolverconfig', 'resolverrealm', 'token', 'tokeninfo', 'tokenowner', 'tokenrealm',
  'smsgateway', 'smsgatewayoption', 'smtpserver', 'config', 'policy', 'eventhandler'];

export async function copyPrivacyIdeaDatabase(sqliteFile: string, target: Knex): Promise<void> {
  const source = knexFactory({ client: 'better-sqlite3', connection: { filename: sqliteFile }, useNullAsDefault: true });
  try {
    for (const table of PI_TABLES) {
      const [{ sql }] = (await source.raw(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, [table])) as Array<{ sql: string }>;
      const isMysql = target.client.config.client === 'mysql2';
      // SQLite's TEXT and BOOLEAN are PostgreSQL's and MySQL's; MySQL quotes names with backticks.
      // Column names quoted: privacyIDEA has columns named user and default.
      const quoted = sql.replace(/^(\s+)([a-z_]+)(\s+[A-Z])/gm, '$1"$2"$3');
      const ddl = isMysql ? quoted.replaceAll('"', '`') : quoted;
      await target.raw(ddl);
      const rows: Array<Record<string, unknown>> = await source(table).select('*');
      for (let i = 0; i < rows.length; i += 200) await target(table).insert(rows.slice(i, i + 200).map((r) => booleansOf(r, sql)));
    }
  } finally {
    await source.destroy();
  }
}

/** SQLite keeps BOOLEAN as 0/1: the same values as booleans, for PostgreSQL's boolean columns. */
function booleansOf(row: Record<string, unknown>, ddl: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const isBoolean = new RegExp(`["\\s]${k}"?\\s+BOOLEAN`, 'i').test(ddl);
    out[k] = isBoolean && (v === 0 || v === 1) ? v === 1 : v;
  }
  return out;
}
