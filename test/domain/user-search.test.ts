// The helpdesk's user search on SQLite and PostgreSQL: a part of a name, a part of a number as
// people type it (national or international, with separators), within the realms the
// helpdesk may see, bounded with `more`, and each user's lock and enable state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { phonePatterns, UserSearch } from '../../src/app/user-search.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

describe('phonePatterns', () => {
  it('makes a national number international with the default country code, and keeps it national too', () => {
    expect(phonePatterns('0170 123', '49')).toEqual(['%0170123%', '49170123%', '0049170123%']);
    expect(phonePatterns('0170 123', '')).toEqual(['%170123%']);
    expect(phonePatterns('+49 170-123', '49')).toEqual(['%49170123%']);
    expect(phonePatterns('0049170123', '49')).toEqual(['%49170123%']);
    expect(phonePatterns('4567', '49')).toEqual(['%4567%']);
  });

  it('searches no number for a name, or for fewer than 3 digits', () => {
    expect(phonePatterns('alice', '49')).toEqual([]);
    expect(phonePatterns('12', '49')).toEqual([]);
    expect(phonePatterns('1%2_3', '49')).toEqual([]);
  });
});

describe.each(STORE_KINDS)('user search on %s', (kind) => {
  let t: TestStore;
  let admin: TokenAdmin;
  let search: UserSearch;

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10'], ['sms.default_country_code', '49']]);
    admin = new TokenAdmin(t.store, t.pins);
    search = new UserSearch(t.store);
    const enroll = (username: string, realm: string, phone: string) => admin.enroll({ username, realm, phone, pin: '1234' });
    await enroll('alice', 'corp', '+49 170 1234567');
    await enroll('alice', 'corp', '+49 170 1234567');
    await enroll('Albert', 'lab', '0049 (170) 123-9999');
    await enroll('bob', 'corp', '0170 1238888');
    await enroll('carol', 'corp', '+44 7700 900123');
  });
  afterEach(() => t.close());

  const names = async (query: string, allowedRealms: readonly string[] | 'all' = 'all') =>
    (await search.search({ query, allowedRealms })).users.map((u) => `${u.username}@${u.realm}`);

  it('finds users by a part of the name, without case, one hit per user with the tokens counted', async () => {
    const found = await search.search({ query: 'AL', allowedRealms: 'all' });
    expect(found).toEqual({
      users: [
        { username: 'Albert', realm: 'lab', tokens: 1, phone: '*****************99', locked: false, active: true },
        { username: 'alice', realm: 'corp', tokens: 2, phone: '*************67', locked: false, active: true },
      ],
      more: false,
    });
  });

  it('finds a number by its digits, national or international, with or without separators', async () => {
    // +49 170 123…: alice (+49), Albert (0049 …) and bob (stored nationally, 0170 123…).
    expect(await names('0170 123')).toEqual(['Albert@lab', 'alice@corp', 'bob@corp']);
    expect(await names('+49170123')).toEqual(['Albert@lab', 'alice@corp']);
    expect(await names('1234567')).toEqual(['alice@corp']);
    expect(await names('123-9999')).toEqual(['Albert@lab']);
    expect(await names('+44 7700')).toEqual(['carol@corp']);
    expect(await names('0151')).toEqual([]);
  });

  it('searches only the realms it may see', async () => {
    expect(await names('0170 123', ['corp'])).toEqual(['alice@corp', 'bob@corp']);
    expect(await names('al', ['LAB'])).toEqual(['Albert@lab']);
    expect(await names('al', [])).toEqual([]);
  });

  it('bounds the answer and says there are more', async () => {
    expect(await search.search({ query: '0170', allowedRealms: 'all', limit: 2 })).toMatchObject({ more: true, users: [{ username: 'Albert' }, { username: 'alice' }] });
    expect(await search.search({ query: '0170', allowedRealms: 'all', limit: 3 })).toMatchObject({ more: false });
  });

  it('takes LIKE wildcards typed as themselves', async () => {
    await admin.enroll({ username: 'x_y%z', realm: 'corp', phone: '+49 151 1111111', pin: '1234' });
    expect(await names('_')).toEqual(['x_y%z@corp']);
    expect(await names('%z')).toEqual(['x_y%z@corp']);
  });

  it('says who is locked (a token at maxfail) and who has no enabled token', async () => {
    const [first] = await admin.list({ username: 'alice' });
    await t.store.tokens.update(first!.serial, { failcount: 10, lastFailAt: t.clock.now });
    const bob = (await admin.list({ username: 'bob' }))[0]!;
    await admin.setActive(bob.serial, false);
    const found = (await search.search({ query: 'o', allowedRealms: 'all' })).users;
    expect(found.map((u) => [u.username, u.locked, u.active])).toEqual([['bob', false, false], ['carol', false, true]]);
    expect((await search.search({ query: 'alice', allowedRealms: 'all' })).users[0]).toMatchObject({ locked: true, active: true });
    // A clear timeout that has passed lifts the lock, as the next login would.
    await t.store.settings.setMany([['failcounter_clear_timeout', '5']]);
    t.clock.advance(6 * 60_000);
    expect((await search.search({ query: 'alice', allowedRealms: 'all' })).users[0]).toMatchObject({ locked: false });
  });
});
