// Token changes made through src/app/audited-token-changes.ts (the HTTP admin API's way) on a
// real SQLite store: each writes one `admin` row with the token's serial and user, what was
// done and the operator; a refused one (an unknown serial, a bad PIN, a duplicate serial)
// changes nothing and writes no row; no row holds the PIN, the key, the description or the
// number in clear.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditedTokenChanges } from '../../src/app/audited-token-changes.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { openTestStore, type TestStore } from '../helpers/store.js';

const key7 = { operator: 'API key 7', client: 'http', address: '192.0.2.9' };
const PIN = 'pin-never-shown';
const KEY = '3132333435363738393031323334353637383930';

describe('token changes audited with the API key', () => {
  let t: TestStore;
  let tokens: TokenAdmin;
  let changes: AuditedTokenChanges;

  const rows = async () => (await t.store.audit.newest({ action: 'admin' }, 100)).reverse();

  beforeEach(async () => {
    t = await openTestStore('sqlite');
    tokens = new TokenAdmin(t.store, t.pins);
    changes = new AuditedTokenChanges({ tokens, audit: t.store.audit, now: () => t.clock.now });
  });
  afterEach(async () => {
    await t.close();
  });

  it('enroll, disable, enable, reset, set and delete: one row each, naming the token and its user', async () => {
    await changes.enroll(key7, { username: 'alice', realm: 'Corp', phone: '+4917012345678', pin: PIN, otpKeyHex: KEY, serial: 'S1', description: 'call +4917012345678' });
    await changes.setActive(key7, 'S1', false);
    await changes.setActive(key7, 'S1', true);
    expect(await changes.reset(key7, 'S1')).toBe(0);
    expect(await changes.set(key7, 'S1', { pin: `${PIN}2`, description: 'new' })).toEqual(['pin', 'description']);
    await changes.delete(key7, 'S1');
    const written = await rows();
    expect(written.map((r) => r.reason)).toEqual([
      'SMS token S1 enrolled for ************78 (by API key 7)',
      'token S1 disabled (by API key 7)',
      'token S1 enabled (by API key 7)',
      'token S1 reset (failcount was 0) (by API key 7)',
      'token S1 updated (pin, description) (by API key 7)',
      'token S1 deleted (by API key 7)',
    ]);
    for (const r of written) {
      expect(r).toMatchObject({ action: 'admin', username: 'alice', realm: 'corp', serials: ['S1'], client: 'http', clientAddress: '192.0.2.9', at: t.clock.now, phone: '' });
    }
    for (const secret of [PIN, KEY, '+4917012345678', 'call ']) expect(JSON.stringify(written)).not.toContain(secret);
  });

  it('a token with the user store\'s number says so', async () => {
    await changes.enroll(key7, { username: 'bob', dynamicPhone: true, otpKeyHex: KEY, pin: PIN, serial: 'S2' });
    expect((await rows()).map((r) => [r.username, r.realm, r.reason])).toEqual([['bob', '', "SMS token S2 enrolled for the user store's mobile (dynamic phone) (by API key 7)"]]);
  });

  it('a refused change writes no row', async () => {
    await changes.enroll(key7, { username: 'carol', phone: '+4917000000', pin: PIN, otpKeyHex: KEY, serial: 'S3' });
    const before = (await rows()).length;
    await expect(changes.setActive(key7, 'NO-SUCH', false)).rejects.toThrow(/no token with serial NO-SUCH/);
    await expect(changes.reset(key7, 'NO-SUCH')).rejects.toThrow(/no token with serial/);
    await expect(changes.delete(key7, 'NO-SUCH')).rejects.toThrow(/no token with serial/);
    await expect(changes.set(key7, 'S3', { pin: '' })).rejects.toThrow(/must not be empty/);
    await expect(changes.enroll(key7, { username: 'carol', phone: '+4917000000', pin: PIN, otpKeyHex: KEY, serial: 'S3' })).rejects.toThrow(/exists already/);
    expect(await rows()).toHaveLength(before);
    expect((await tokens.show('S3')).active).toBe(true);
  });
});
