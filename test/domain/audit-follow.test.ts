// Following the audit trail (what `audit tail -f` polls): each new row once, the filter
// applied, and on PostgreSQL a row that commits after one with a higher id (another node's
// transaction finishing later) is still printed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditFollower } from '../../src/app/audit.js';
import type { AuditEntry } from '../../src/core/model.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const entry = (username: string, at: number): AuditEntry => ({
  at, action: 'reject', username, realm: '', client: 'vpn', clientAddress: '192.0.2.1', serials: [], reason: 'wrong PIN',
  gateway: '', phone: '', nas: { callingStationId: '', ipAddress: '', identifier: '' },
});

describe.each(STORE_KINDS)('AuditFollower on %s', (kind) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(kind);
  });
  afterEach(async () => {
    await t.close();
  });

  it('starts with the newest rows of the filter, then yields each new matching row once', async () => {
    for (const [i, user] of ['alice', 'bob', 'alice', 'alice'].entries()) await t.store.audit.append(entry(user, t.clock.now + i));
    const { follower, backlog } = await AuditFollower.start(t.store.audit, { users: [{ username: 'alice' }] }, 2);
    expect(backlog.map((r) => r.at - t.clock.now)).toEqual([2, 3]);
    expect(await follower.poll()).toEqual([]);
    await t.store.audit.append(entry('bob', t.clock.now + 10));
    await t.store.audit.append(entry('alice', t.clock.now + 11));
    expect((await follower.poll()).map((r) => [r.username, r.at - t.clock.now])).toEqual([['alice', 11]]);
    expect(await follower.poll()).toEqual([]);
  });
});

// SQLite has one writer at a time: rows always commit in id order there.
describe('AuditFollower on pg', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('pg');
  });
  afterEach(async () => {
    await t.close();
  });

  it('prints a row whose transaction commits after a row with a higher id', async () => {
    const { follower } = await AuditFollower.start(t.store.audit, {}, 0);
    const slow = await t.store.knex.transaction();
    await slow('audit').insert({ at: t.clock.now, action: 'reject', username: 'slow', client: 'vpn' });
    await t.store.audit.append(entry('fast', t.clock.now + 1));
    expect((await follower.poll()).map((r) => r.username)).toEqual(['fast']);
    await slow.commit();
    expect((await follower.poll()).map((r) => r.username)).toEqual(['slow']);
    expect(await follower.poll()).toEqual([]);
  });
});
