// @fastify/session's store over the site's store (src/store/web-sessions.ts): every node of a
// site knows a session signed in on another, and a restart signs nobody out. Session ids are
// stored as their HMAC-SHA256 under the key file's web-sessions key, so whoever reads the
// table (a backup, a replica) cannot present a stored id as a cookie. A session ends when its
// cookie does (the idle timeout, renewed by each save), or after `ttlMs` for a cookie without
// an expiry; an expired session is never handed back, and expired rows are purged as sessions
// are saved, in bounded batches, at most once a minute.
import { createHmac } from 'node:crypto';
import type { SessionStore } from '@fastify/session';
import type { WebSessionRepository } from '../store/web-sessions.js';

type StoredSession = Parameters<SessionStore['set']>[1];
type Done = (err?: unknown) => void;
type DoneWithSession = (err: unknown, session?: StoredSession | null) => void;

export interface StoreSessionStoreOptions {
  /** The store's web sessions (Store.webSessions). */
  readonly sessions: Pick<WebSessionRepository, 'get' | 'set' | 'delete' | 'purgeExpired'>;
  /** Keys.webSessionKey: the HMAC key of the ids as stored. */
  readonly key: Buffer;
  /** How long a session whose cookie has no expiry lives after its last save (default 15 minutes, the idle timeout). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

const DEFAULT_TTL_MS = 15 * 60_000;
const PURGE_EVERY_MS = 60_000;

export class StoreSessionStore implements SessionStore {
  private readonly now: () => number;
  private readonly ttlMs: number;
  private nextPurgeAt = 0;

  constructor(private readonly options: StoreSessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** @public called by @fastify/session, as are get and destroy (SessionStore) */
  set(sessionId: string, session: StoredSession, callback: Done): void {
    const now = this.now();
    const expires = session.cookie?.expires;
    const expiresAt = expires ? new Date(expires).getTime() : now + this.ttlMs;
    const saved = this.options.sessions.set(this.idHash(sessionId), { data: JSON.stringify(session), expiresAt: Number.isNaN(expiresAt) ? now + this.ttlMs : expiresAt });
    settle(saved.then(() => this.purgeNowAndThen(now)), callback);
  }

  /** @public */
  get(sessionId: string, callback: DoneWithSession): void {
    this.options.sessions.get(this.idHash(sessionId), this.now()).then(
      (row) => {
        if (!row) return callback(null, null);
        let session: StoredSession;
        try {
          session = JSON.parse(row.data) as StoredSession;
        } catch {
          // A row no session of ours wrote: as good as none.
          return callback(null, null);
        }
        callback(null, session);
      },
      (err: unknown) => callback(err),
    );
  }

  /** @public */
  destroy(sessionId: string, callback: Done): void {
    settle(this.options.sessions.delete(this.idHash(sessionId)), callback);
  }

  /** Removes every session expired by now (the composition root may call it from its own upkeep). */
  async purgeExpired(): Promise<number> {
    let removed = 0;
    let batch: number;
    do {
      batch = await this.options.sessions.purgeExpired(this.now());
      removed += batch;
    } while (batch >= 1000);
    return removed;
  }

  /** The id as stored: never the id itself. */
  private idHash(sessionId: string): string {
    return createHmac('sha256', this.options.key).update(sessionId, 'utf8').digest('hex');
  }

  /** A failed purge fails no save: the next one tries again. */
  private async purgeNowAndThen(now: number): Promise<void> {
    if (now < this.nextPurgeAt) return;
    this.nextPurgeAt = now + PURGE_EVERY_MS;
    await this.purgeExpired().catch(() => undefined);
  }
}

function settle(work: Promise<unknown>, callback: Done): void {
  work.then(
    () => callback(),
    (err: unknown) => callback(err),
  );
}
