// The web UI's sessions (migration 0025), under the HMAC of their id: the adapter for
// @fastify/session (src/app/web-sessions.ts) hashes before it gets here, so this module never
// sees a session id. Expired rows are refused on read and purged in bounded batches.
import type { Knex } from 'knex';

interface Row {
  id: string;
  expires_at: number | string;
  data: string;
}

/** A session as stored: its JSON and when it ends (epoch ms). */
export interface StoredWebSession {
  readonly data: string;
  readonly expiresAt: number;
}

/** How many expired rows one purge removes at most: never a long lock. */
const PURGE_BATCH = 1000;

export class WebSessionRepository {
  constructor(private readonly knex: Knex) {}

  /** The session under `idHash`, or undefined when there is none or it has expired by `now` (then it is deleted). */
  async get(idHash: string, now: number): Promise<StoredWebSession | undefined> {
    const row: Row | undefined = await this.knex('web_sessions').where({ id: idHash }).first();
    if (!row) return undefined;
    const expiresAt = Number(row.expires_at);
    if (expiresAt <= now) {
      await this.knex('web_sessions').where({ id: idHash }).andWhere('expires_at', '<=', now).delete();
      return undefined;
    }
    return { data: row.data, expiresAt };
  }

  /** Creates or replaces the session under `idHash`. */
  async set(idHash: string, session: StoredWebSession): Promise<void> {
    await this.knex('web_sessions')
      .insert({ id: idHash, expires_at: session.expiresAt, data: session.data })
      .onConflict('id')
      .merge(['expires_at', 'data']);
  }

  /** Whether there was a session under `idHash`. */
  async delete(idHash: string): Promise<boolean> {
    return (await this.knex('web_sessions').where({ id: idHash }).delete()) > 0;
  }

  /** Removes up to 1 000 sessions expired by `now`, through the expires_at index; how many (1 000: call again). */
  async purgeExpired(now: number): Promise<number> {
    const expired = this.knex('web_sessions').select('id').where('expires_at', '<=', now).limit(PURGE_BATCH);
    return this.knex('web_sessions').whereIn('id', expired).delete();
  }
}
