// The fail counter as the authority under concurrency (issue 18), on SQLite and PostgreSQL:
// logins in flight at once in one process, and units written from a stale read straight to
// the store's write path, which must check failcount < maxfail in the same transaction.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import type { AuditEntry } from '../../src/core/model.js';
import type { AuthEvent } from '../../src/core/ports.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { openChallenges, openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const client = { name: 'vpn', address: '192.0.2.1' };

describe.each(STORE_KINDS)('fail counter under concurrency on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;
  let admin: TokenAdmin;
  const events: AuthEvent[] = [];

  const login = (password: string, transactionId?: string): Promise<AuthResult> =>
    auth.authenticate({ username: 'alice', password, client, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);
  const failcount = async (serial: string) => (await t.store.tokens.bySerial(serial))!.failcount;

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    sms = new RecordingSms();
    events.length = 0;
    auth = await openLoginEngine(t, sms, undefined, { emit: (e) => events.push(e) });
    admin = new TokenAdmin(t.store, t.pins);
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  const enroll = () => admin.enroll({ username: 'alice', phone: '+49 171 2345678', pin: '1234', otpKeyHex: RFC4226_KEY });

  it('30 wrong PINs at once: 10 are checked and counted, 20 meet the lock; one token_locked event', async () => {
    const { serial } = await enroll();
    const replies = await Promise.all(Array.from({ length: 30 }, (_v, i) => login(`wrong${i}`)));
    const said = replies.map((r) => r.message);
    expect(said.filter((m) => m === Messages.wrongPin)).toHaveLength(10);
    expect(said.filter((m) => m === Messages.locked)).toHaveLength(20);
    expect(await failcount(serial)).toBe(10);
    expect(events.filter((e) => e.type === 'token_locked')).toHaveLength(1);
    // Locked: the right PIN, PIN+OTP and a wrong PIN alike, nothing counted, nothing sent.
    for (const password of ['1234', `1234${RFC4226_HOTP[0]}`, 'wrong']) expect(await login(password)).toEqual({ outcome: 'reject', message: Messages.locked });
    expect(await failcount(serial)).toBe(10);
    expect(sms.sent).toEqual([]);
  });

  it('the store refuses a unit written from a stale read: no accept, no failure, no SMS counter past maxfail', async () => {
    const { serial } = await enroll();
    const store = t.store.openAuthStore(() => undefined);
    try {
      const at = t.clock.now;
      for (let i = 0; i < 12; i++) await store.commit({ steps: [{ kind: 'recordFailure', serials: [serial], at }] });
      expect(await failcount(serial)).toBe(10);
      const audit = (reason: string): AuditEntry => ({
        at, action: 'reject', username: 'alice', realm: '', client: 'vpn', clientAddress: '', serials: [serial], reason, gateway: '', phone: '',
        nas: { callingStationId: '', ipAddress: '', identifier: '' },
      });
      // As the login writes them after reading the token unlocked (before the failures above).
      const accept = await store.commit({
        steps: [{ kind: 'checkUnlocked', serials: [serial], guard: 'locked' }, { kind: 'commitOtp', serial, counter: 0, allowOlder: false, at, guard: 'otp_used' }],
        audit: { ok: audit('accepted'), locked: audit('fail counter exceeded') },
      });
      expect(accept.outcome).toBe('locked');
      const failure = await store.commit({ steps: [{ kind: 'recordFailure', serials: [serial], at, guard: 'locked' }] });
      expect(failure).toMatchObject({ outcome: 'locked', locked: [] });
      const reserve = await store.commit({ steps: [{ kind: 'advanceCounter', serial, at }] });
      expect(reserve.counters.size).toBe(0);
      // failcounter_clear_timeout: a lock whose last failure is newer than the cut-off stays.
      await store.commit({ steps: [{ kind: 'clearFailures', serials: [serial], at, failedBefore: at - 1 }] });
      expect(await t.store.tokens.bySerial(serial)).toMatchObject({ failcount: 10, counter: 0, lastAuthAt: null });
      await store.commit({ steps: [{ kind: 'clearFailures', serials: [serial], at, failedBefore: at }] });
      expect(await failcount(serial)).toBe(0);
      // Below maxfail again: the failure that reaches it says so, once.
      await t.store.tokens.update(serial, { maxfail: 1 });
      expect(await store.commit({ steps: [{ kind: 'recordFailure', serials: [serial], at, guard: 'locked' }] })).toMatchObject({ outcome: 'ok', locked: [serial] });
    } finally {
      await store.close();
    }
  });

  it('a wrong answer after the lock counts nothing and the right one is refused, the challenge kept', async () => {
    const { serial } = await enroll();
    const challenge = await login('1234');
    if (challenge.outcome !== 'challenge') throw new Error(challenge.message);
    const answers = await Promise.all(Array.from({ length: 25 }, (_v, i) => login(String(100000 + i * 7), challenge.transactionId)));
    expect(answers.filter((r) => r.message === 'Response did not match the challenge.')).toHaveLength(10);
    expect(answers.filter((r) => r.message === Messages.locked)).toHaveLength(15);
    expect(await failcount(serial)).toBe(10);
    expect(await login(sms.last().message, challenge.transactionId)).toEqual({ outcome: 'reject', message: Messages.locked });
    expect((await openChallenges(t.store, challenge.transactionId, t.clock.now)).length).toBe(1);
  });
});
