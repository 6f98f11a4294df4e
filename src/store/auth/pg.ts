// The login hot path on PostgreSQL: its own pool, named prepared statements (parsed once per
// connection), one transaction per unit. A unit that is only its audit entry (most rejects)
// is a single statement and needs no BEGIN/COMMIT. Concurrent commits share WAL flushes in
// PostgreSQL itself (group commit), so many in flight cost little more than one.
import pg from 'pg';
import type { Challenge, Token } from '../../core/model.js';
import type { AuthStore, WriteResult, WriteUnit } from '../../core/ports.js';
import type { TokenDecoder, TokenRow } from '../tokens.js';
import { challengesWithTokens } from './rows.js';
import { PG_STATEMENTS, type StatementName } from './statements.js';
import { unitStatements, type ExecResult } from './unit.js';

export interface PgAuthStoreOptions {
  readonly url: string;
  readonly max: number;
  readonly onError: (err: Error) => void;
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export class PgAuthStore implements AuthStore {
  private readonly pool: pg.Pool;

  constructor(
    options: PgAuthStoreOptions,
    private readonly decoder: TokenDecoder,
  ) {
    // Below a NAS's timeout: a store that does not answer fails the request while the NAS waits.
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max,
      connectionTimeoutMillis: 3000,
      statement_timeout: 5000,
      query_timeout: 6000,
    });
    // An idle connection that breaks (server restart) must not take the daemon down.
    this.pool.on('error', options.onError);
  }

  async byUser(username: string, realm: string): Promise<Token[]> {
    const rows = await this.query(this.pool, 'tokensByUser', [username, realm]);
    return rows.rows.map((r) => this.decoder.decode(r as unknown as TokenRow));
  }

  async openWithTokens(transactionId: string, now: number): Promise<{ challenges: Challenge[]; tokens: Token[] }> {
    return challengesWithTokens((await this.query(this.pool, 'openWithTokens', [transactionId, now])).rows, this.decoder);
  }

  async configRevision(): Promise<string> {
    return String((await this.query(this.pool, 'configRevision', [])).rows[0]?.value ?? '0');
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.query(this.pool, 'purgeExpired', [now])).changes;
  }

  async commit(unit: WriteUnit): Promise<WriteResult> {
    if (unit.steps.length === 0) return this.drive(this.pool, unit);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await this.drive(client, unit);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw err;
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async drive(db: Queryable, unit: WriteUnit): Promise<WriteResult> {
    const statements = unitStatements(unit);
    let step = statements.next();
    while (!step.done) {
      step = statements.next(await this.query(db, step.value.statement, step.value.params));
    }
    return step.value;
  }

  private async query(db: Queryable, name: StatementName, values: readonly unknown[]): Promise<ExecResult> {
    const result = await db.query({ name, text: PG_STATEMENTS[name], values: values as unknown[] });
    return { changes: result.rowCount ?? 0, rows: result.rows as Array<Record<string, unknown>> };
  }
}
