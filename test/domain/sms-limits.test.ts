// The SMS flood and toll-fraud limits in the login core against a real store (SQLite and
// PostgreSQL, whose check-and-count runs server-side, migration 0014): the number, the user
// and the prefix limits, a window that ends, the allowed prefixes, two login engines racing
// for the last SMS of a window, and enrollment by challenge (users from a real slapd).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../../src/app/token-admin.js';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import type { AuthEvent, EventSink } from '../../src/core/ports.js';
import type { LdapDirectory } from '../../src/directory/directory.js';
import { migrationConfig } from '../../src/store/migrations/index.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { slapdDirectory, startSlapd, type Slapd } from '../helpers/slapd.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const vpn = { name: 'vpn', address: '192.0.2.1' };
const MINUTE = 60_000;

class RecordingEvents implements EventSink {
  readonly events: AuthEvent[] = [];
  emit(event: AuthEvent): void {
    this.events.push(event);
  }
  of<T extends AuthEvent['type']>(type: T): Array<Extract<AuthEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<AuthEvent, { type: T }> => e.type === type);
  }
}

describe.each(STORE_KINDS)('SMS limits on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let events: RecordingEvents;
  let auth: LoginEngine;
  let tokens: TokenAdmin;
  const login = (username: string, password: string, engine = auth): Promise<AuthResult> =>
    engine.authenticate({ username, password, client: vpn } as AuthRequest);
  const lastReason = async () => (await t.store.audit.newest({}, 1))[0]?.reason;

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    tokens = new TokenAdmin(t.store, t.pins);
    await tokens.enroll({ username: 'alice', phone: '+49 170 1234567', pin: 'alicepin' });
    sms = new RecordingSms();
    events = new RecordingEvents();
    auth = await openLoginEngine(t, sms, undefined, events);
  });
  afterEach(async () => {
    await auth?.close();
    await t.close();
  });

  it('the 6th SMS to one number within 10 minutes is refused, nothing counted for it; the window ends and SMS flow again', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await login('alice', 'alicepin')).outcome).toBe('challenge');
      t.clock.advance(MINUTE);
    }
    // 5 minutes after the first SMS: 5 more until its window ends.
    expect(await login('alice', 'alicepin')).toEqual({ outcome: 'reject', message: 'Too many codes requested; try again in 5 minutes' });
    expect(sms.sent).toHaveLength(5);
    expect(await lastReason()).toBe(
      'no SMS could be sent: SMS limit reached: sms.limit.phone 5/10m for phone *************67, free again in 300 s; no SMS sent',
    );
    const [limited] = events.of('sms_limit_reached');
    expect(limited).toMatchObject({ limit: 'phone', subject: 'phone *************67', retryAfterSeconds: 300, firstRefusal: true, username: 'alice', phone: '+49 170 1234567' });
    // Another user's SMS to the same number, written another way, counts against the same number.
    await tokens.enroll({ username: 'bob', phone: '0049170/1234567', pin: 'bobpin' });
    t.clock.advance(4 * MINUTE + 59_000);
    expect(await login('bob', 'bobpin')).toEqual({ outcome: 'reject', message: 'Too many codes requested; try again in 1 minute' });
    expect(events.of('sms_limit_reached').map((e) => e.firstRefusal)).toEqual([true, false]);
    t.clock.advance(1_000);
    expect((await login('bob', 'bobpin')).outcome).toBe('challenge');
    expect(sms.sent).toHaveLength(6);
  });

  it('the user limit counts every SMS of one user, whatever the number; the other limits switched off', async () => {
    // Every request sends: a challenge still fresh (sms.resend_interval) is repeated to the same caller, as in the daemon.
    await t.store.settings.setMany([['sms.resend_interval', '0']]);
    await t.store.settings.setMany([['sms.limit.phone', '']]);
    await t.store.settings.setMany([['sms.limit.user', '3/1h']]);
    await tokens.enroll({ username: 'alice', phone: '+43 660 7654321', pin: 'alicepin' });
    // Two tokens, two SMS per login: the second login reaches 4 and is refused in part.
    expect((await login('alice', 'alicepin')).outcome).toBe('challenge');
    expect(sms.sent).toHaveLength(2);
    const second = await login('alice', 'alicepin');
    expect(second.outcome).toBe('challenge');
    expect(sms.sent).toHaveLength(3);
    expect(await login('alice', 'alicepin')).toEqual({ outcome: 'reject', message: 'Too many codes requested; try again in 60 minutes' });
    expect(await lastReason()).toContain('SMS limit reached: sms.limit.user 3/1h for user alice');
    // Another user is not held back by alice's count.
    await tokens.enroll({ username: 'carol', phone: '+41 79 1112233', pin: 'carolpin' });
    expect((await login('carol', 'carolpin')).outcome).toBe('challenge');
  });

  it('the prefix limit counts per country calling code', async () => {
    // Every request sends: a challenge still fresh (sms.resend_interval) is repeated to the same caller, as in the daemon.
    await t.store.settings.setMany([['sms.resend_interval', '0']]);
    await t.store.settings.setMany([['sms.limit.prefix', '2/1m']]);
    await tokens.enroll({ username: 'bob', phone: '+49 171 2222222', pin: 'bobpin' });
    await tokens.enroll({ username: 'carol', phone: '+44 7700 900123', pin: 'carolpin' });
    expect((await login('alice', 'alicepin')).outcome).toBe('challenge');
    expect((await login('bob', 'bobpin')).outcome).toBe('challenge');
    expect((await login('alice', 'alicepin')).outcome).toBe('reject');
    expect(await lastReason()).toContain('sms.limit.prefix 2/1m for prefix +49');
    expect((await login('carol', 'carolpin')).outcome).toBe('challenge');
  });

  it('a number outside sms.allowed_prefixes is refused: nothing sent, the reason audited redacted', async () => {
    await t.store.settings.setMany([['sms.allowed_prefixes', '+43, +41']]);
    expect(await login('alice', 'alicepin')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
    expect(sms.sent).toEqual([]);
    expect(await lastReason()).toBe('no SMS could be sent: the number *************67 is outside sms.allowed_prefixes; no SMS sent');
    expect(events.of('sms_number_refused')).toEqual([{ type: 'sms_number_refused', username: 'alice', realm: '', client: 'vpn', phone: '*************67' }]);
    await t.store.settings.setMany([['sms.allowed_prefixes', '+43,+4917']]);
    expect((await login('alice', 'alicepin')).outcome).toBe('challenge');
  });

  it('two login engines on one store racing for one number: exactly 5 SMS go out', async () => {
    const other = await openLoginEngine(t, sms);
    try {
      // Twelve NASes: requests of one NAS would join its challenge in flight (RecentChallenges), as in the daemon.
      const fromNas = (i: number, engine: LoginEngine) => engine.authenticate({ username: 'alice', password: 'alicepin', client: { ...vpn, name: `vpn${i}` } } as AuthRequest);
      const results = await Promise.all(Array.from({ length: 12 }, (_x, i) => fromNas(i, i % 2 === 0 ? auth : other)));
      expect(results.filter((r) => r.outcome === 'challenge')).toHaveLength(5);
      expect(results.filter((r) => r.outcome === 'reject' && r.message.startsWith('Too many codes requested'))).toHaveLength(7);
      expect(sms.sent).toHaveLength(5);
    } finally {
      await other.close();
    }
  });

  it('expired windows are purged with the challenges', async () => {
    await login('alice', 'alicepin');
    const rows = async () => Number(((await t.store.knex('sms_limits').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    expect(await rows()).toBe(2); // the number and the user
    t.clock.advance(11 * MINUTE);
    await auth.purgeExpired(t.clock.now);
    expect(await rows()).toBe(1); // the user's hour goes on
    t.clock.advance(60 * MINUTE);
    await auth.purgeExpired(t.clock.now);
    expect(await rows()).toBe(0);
  });

  it('migration 0014 can be undone and redone', async () => {
    await auth.close();
    while ((await t.store.knex.migrate.currentVersion(migrationConfig)) !== '0011') await t.store.knex.migrate.down(migrationConfig);
    expect(await t.store.knex.schema.hasTable('sms_limits')).toBe(false);
    expect(await t.store.migrate()).toContain('0014_sms_limits');
    auth = await openLoginEngine(t, sms);
    expect((await login('alice', 'alicepin')).outcome).toBe('challenge');
  });
});

describe('SMS limits hold for enrollment by challenge', () => {
  let slapd: Slapd;
  let directory: LdapDirectory;

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'dora', password: 'dora-pw', sn: 'Dora', mobile: '+49 170 3333333' },
      { uid: 'emil', password: 'emil-pw', sn: 'Emil', mobile: '+44 7700 900555' },
      { uid: 'fred', password: 'fred-pw', sn: 'Fred' },
    ]);
    directory = slapdDirectory(slapd);
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  describe.each(STORE_KINDS)('on %s', (kind) => {
    let t: TestStore;
    let sms: RecordingSms;
    let auth: LoginEngine;
    const login = (username: string, password: string, transactionId?: string): Promise<AuthResult> =>
      auth.authenticate({ username, password, client: vpn, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);

    beforeEach(async () => {
      t = await openTestStore(kind);
      await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
      await t.store.settings.setMany([['sms.identifier', 'gw1']]);
      await t.store.settings.setMany([['otppin', 'userstore']]);
      await t.store.settings.setMany([['enroll_via_multichallenge', 'sms']]);
      sms = new RecordingSms();
      auth = await openLoginEngine(t, sms, directory);
    });
    afterEach(async () => {
      await auth.close();
      await t.close();
    });

    it("the directory's number: the 6th enrollment SMS within 10 minutes is refused", async () => {
      for (let i = 0; i < 5; i++) expect((await login('dora', 'dora-pw')).outcome).toBe('challenge');
      expect(await login('dora', 'dora-pw')).toEqual({ outcome: 'reject', message: 'Too many codes requested; try again in 10 minutes' });
      expect(sms.sent).toHaveLength(5);
      expect((await t.store.audit.newest({}, 1))[0]?.reason).toBe(
        'enrollment by challenge: SMS limit reached: sms.limit.phone 5/10m for phone ***********33, free again in 600 s; no SMS sent',
      );
    });

    it('a typed number outside sms.allowed_prefixes is asked again; a directory number outside is refused', async () => {
      await t.store.settings.setMany([['sms.allowed_prefixes', '+49']]);
      const asked = await login('fred', 'fred-pw');
      if (asked.outcome !== 'challenge') throw new Error(`expected the number prompt, got ${asked.outcome}`);
      const again = await login('fred', '+43 660 1234567', asked.transactionId);
      expect(again).toMatchObject({ outcome: 'challenge', message: 'No SMS can be sent to that number. Please enter your new phone number!', transactionId: asked.transactionId });
      expect(sms.sent).toEqual([]);
      expect((await login('fred', '+49 170 4444444', asked.transactionId)).outcome).toBe('challenge');
      expect(sms.last().phone).toBe('+49 170 4444444');
      expect(await login('emil', 'emil-pw')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
      expect(sms.sent).toHaveLength(1);
    });
  });
});
