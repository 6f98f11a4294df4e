// privacyIDEA's SQLALCHEMY_DATABASE_URI as pi.cfg writes it, opened read-only where the
// driver allows: sqlite:///relative.db, sqlite:////absolute.db, postgresql[+driver]://…,
// mysql[+driver]://… (MySQL and MariaDB through mysql2, loaded only when asked for).
import { existsSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { SmsOtpError } from '../../core/errors.js';

export class SourceDatabaseError extends SmsOtpError {
  override name = 'SourceDatabaseError';
  readonly code = 'ERR_INVALID_VALUE';
}

const EXAMPLES = 'sqlite:////var/lib/privacyidea/pi.sqlite, postgresql://pi:secret@db/pi or mysql+pymysql://pi:secret@db/pi';

/** A knex connection to the privacyIDEA database `url`; the caller destroys it. */
export function openSourceDatabase(url: string): Knex {
  const match = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url);
  if (!match) throw new SourceDatabaseError(`--db: not a database URL; e.g. ${EXAMPLES}`);
  const scheme = match[1]!.toLowerCase();
  const rest = match[3]!;
  if (scheme === 'sqlite') {
    // SQLAlchemy: three slashes and a relative path, four for an absolute one.
    const filename = rest.replace(/^\//, '');
    if (filename === '' || !existsSync(filename)) throw new SourceDatabaseError(`--db: no SQLite file ${filename || '(none given)'}`);
    return knexFactory({ client: 'better-sqlite3', connection: { filename, readonly: true } as Knex.Sqlite3ConnectionConfig, useNullAsDefault: true });
  }
  if (scheme === 'postgresql' || scheme === 'postgres') {
    return knexFactory({ client: 'pg', connection: `postgresql://${rest}`, pool: { min: 0, max: 2 } });
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    return knexFactory({ client: 'mysql2', connection: `mysql://${rest}`, pool: { min: 0, max: 2 } });
  }
  throw new SourceDatabaseError(`--db: unsupported database '${scheme}'; one of sqlite, postgresql, mysql (e.g. ${EXAMPLES})`);
}

/**
 * The database `url` names, for the audit trail: the SQLite file, or the server and database
 * name; never the user name or password a server URL carries.
 */
export function sourceDatabaseName(url: string): string {
  const match = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url);
  if (!match) return 'a database';
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'sqlite') return match[3]!.replace(/^\//, '');
  try {
    const parsed = new URL(`db://${match[3]!}`);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `${scheme} database ${database || '(default)'} on ${parsed.host || 'localhost'}`;
  } catch {
    return `a ${scheme} database`;
  }
}
