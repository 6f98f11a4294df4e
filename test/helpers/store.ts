// A migrated store on a real database (a SQLite file or a throw-away PostgreSQL database)
// with a clock the test moves by hand.
import path from 'node:path';
import { keysFromMaster } from '../../src/crypto/keyfile.js';
import { PinHasher } from '../../src/crypto/pin-hash.js';
import { STORE_ADAPTERS } from '../../src/main/store-adapters.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from './fs.js';
import { createTestDatabase } from './pg.js';

export type StoreKind = 'sqlite' | 'pg';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'pg'];

export interface TestStore {
  store: Store;
  pins: PinHasher;
  clock: { now: number; advance(ms: number): void };
  close(): Promise<void>;
}

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const keys = keysFromMaster(Buffer.alloc(32, 42));
  const clock = {
    now: Date.UTC(2026, 10, 22, 12, 0, 0),
    advance(ms: number) {
      this.now += ms;
    },
  };
  const now = () => clock.now;
  if (kind === 'sqlite') {
    const store = Store.open({ client: 'sqlite', filename: path.join(tempDir(), 'store.sqlite') }, keys, STORE_ADAPTERS, now);
    await store.migrate();
    return { store, pins: new PinHasher(keys.pinPepper), clock, close: () => store.close() };
  }
  const db = await createTestDatabase();
  const store = Store.open({ client: 'pg', url: db.url }, keys, STORE_ADAPTERS, now);
  await store.migrate();
  return {
    store,
    pins: new PinHasher(keys.pinPepper),
    clock,
    async close() {
      await store.close();
      await db.drop();
    },
  };
}

/** The still valid challenges of one transaction, oldest counter first (the login writes them; tests read them). */
export async function openChallenges(store: Store, transactionId: string, now: number): Promise<Array<{ counter: number; receivedCount: number }>> {
  const rows: Array<{ counter: number; received_count: number }> = await store
    .knex('challenges')
    .where({ transaction_id: transactionId })
    .andWhere('expires_at', '>', now)
    .orderBy('counter');
  return rows.map((r) => ({ counter: Number(r.counter), receivedCount: Number(r.received_count) }));
}

/** The transactions of every challenge row of one token. */
export async function challengesOf(store: Store, serial: string): Promise<string[]> {
  return (await store.knex('challenges').where({ serial }).select('transaction_id')).map((r: { transaction_id: string }) => r.transaction_id);
}
