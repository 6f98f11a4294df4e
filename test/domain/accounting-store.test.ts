// The accounting sessions on both stores, through the login store's connections as the daemon
// writes them: the upsert of Start, Interim-Update and Stop (in any order), Accounting-On,
// and the retention that removes sessions with the audit's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountingEvent } from '../../src/core/accounting.js';
import type { PgAuthStore } from '../../src/store/auth/pg.js';
import type { SqliteAuthStore } from '../../src/store/auth/sqlite.js';
import { STORE_KINDS, openTestStore, type TestStore } from '../helpers/store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);

const event = (e: Partial<AccountingEvent> & Pick<AccountingEvent, 'status' | 'sessionId' | 'at'>): AccountingEvent => ({
  client: 'vpn', username: 'alice', nasIpAddress: '192.0.2.1', nasIdentifier: 'gw', framedIpAddress: '', callingStationId: '', ...e,
});

describe.each(STORE_KINDS)('accounting sessions on %s', (kind) => {
  let t: TestStore;
  let auth: SqliteAuthStore | PgAuthStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
    auth = t.store.openAuthStore(() => undefined);
  });
  afterAll(async () => {
    await auth?.close();
    await t?.close();
  });

  it('keeps one row per client and session: Start, Interim-Update and Stop fill it in, nothing they lack is lost', async () => {
    await auth.recordAccounting(event({ status: 'start', sessionId: 's1', at: T0, framedIpAddress: '10.8.0.2' }));
    await auth.recordAccounting(event({ status: 'interim', sessionId: 's1', at: T0 + 60_000, sessionTime: 60, inputOctets: 10, outputOctets: 20, username: '' }));
    // The same Acct-Session-Id from another NAS is another session.
    await auth.recordAccounting(event({ status: 'start', sessionId: 's1', at: T0, client: 'other' }));
    await auth.recordAccounting(event({ status: 'stop', sessionId: 's1', at: T0 + 120_000, sessionTime: 120, inputOctets: 2 ** 32 + 5, terminateCause: 'Idle-Timeout' }));
    const rows = await t.store.sessions.newest({ client: 'vpn' }, 10);
    expect(rows).toEqual([
      {
        client: 'vpn', sessionId: 's1', username: 'alice', nasIpAddress: '192.0.2.1', nasIdentifier: 'gw', framedIpAddress: '10.8.0.2',
        callingStationId: '', startedAt: T0, updatedAt: T0 + 120_000, stoppedAt: T0 + 120_000, sessionTime: 120,
        inputOctets: 2 ** 32 + 5, outputOctets: 20, terminateCause: 'Idle-Timeout',
      },
    ]);
    expect(await t.store.sessions.count({ openOnly: true })).toBe(1); // the other NAS's
  });

  it('a Stop without a Start still makes a row, its start derived from Acct-Session-Time', async () => {
    await auth.recordAccounting(event({ status: 'stop', sessionId: 'late', at: T0 + 600_000, sessionTime: 300 }));
    const [row] = await t.store.sessions.newest({ username: 'alice', openOnly: false }, 1);
    expect(row).toMatchObject({ sessionId: 'late', startedAt: T0 + 300_000, stoppedAt: T0 + 600_000 });
  });

  it('Accounting-On stops the open sessions of that NAS only', async () => {
    await auth.recordAccounting(event({ status: 'start', sessionId: 'open1', at: T0 + DAY }));
    expect(await auth.closeClientSessions('vpn', T0 + DAY + 1000, 'Accounting-On', 'on')).toBe(1);
    const open = await t.store.sessions.newest({ openOnly: true }, 10);
    expect(open.map((s) => s.client)).toEqual(['other']);
  });

  it('retention removes the sessions not updated since the cut-off, and keeps the rest', async () => {
    const before = await t.store.sessions.count({});
    await auth.recordAccounting(event({ status: 'start', sessionId: 'recent', at: T0 + 10 * DAY }));
    let removed = 0;
    for (let n = await auth.pruneSessions(T0 + 5 * DAY); n > 0; n = await auth.pruneSessions(T0 + 5 * DAY)) removed += n;
    expect(removed).toBe(before);
    expect((await t.store.sessions.newest({}, 10)).map((s) => s.sessionId)).toEqual(['recent']);
  });
});
