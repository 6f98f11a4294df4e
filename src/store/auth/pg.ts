// The login hot path on PostgreSQL: its own pool, named prepared statements (parsed once per
// connection), and a request's writes in one round trip: the unit goes as JSON to a
// PL/pgSQL function (migration 0005) that runs its steps in one transaction. Concurrent
// commits share WAL flushes in PostgreSQL itself (group commit).
import pg from 'pg';
import type { Challenge, Token } from '../../core/model.js';
import type { AuthStore, WriteResult, WriteUnit } from '../../core/ports.js';
import type { TokenDecoder, TokenRow } from '../tokens.js';
import { challengesWithTokens } from './rows.js';
import { PG_STATEMENTS, type StatementName } from './statements.js';
import type { ExecResult } from './unit.js';

export interface PgAuthStoreOptions {
  readonly url: string;
  readonly max: number;
  readonly onError: (err: Error) => void;
}

type Queryable = Pick<pg.Pool, 'query'>;

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

  /** One round trip: the steps run server-side in one implicit transaction (migration 0005). */
  async commit(unit: WriteUnit): Promise<WriteResult> {
    const result = await this.pool.query({ name: 'applyUnit', text: 'SELECT sms_otp_apply_unit($1::jsonb) AS result', values: [JSON.stringify(unit)] });
    const { outcome, counters } = result.rows[0].result as { outcome: string; counters: Record<string, number> };
    return { outcome, counters: new Map(Object.entries(counters).map(([serial, counter]) => [serial, Number(counter)])) };
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async query(db: Queryable, name: StatementName, values: readonly unknown[]): Promise<ExecResult> {
    const result = await db.query({ name, text: PG_STATEMENTS[name], values: values as unknown[] });
    return { changes: result.rowCount ?? 0, rows: result.rows as Array<Record<string, unknown>> };
  }
}
