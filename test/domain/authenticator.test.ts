// The SMS token flow against a real store (SQLite and PostgreSQL), with the SMS port recording
// what would be sent. Gateways, UDP and the CLI are tested on their own and end to end.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { Messages } from '../../src/core/messages.js';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { challengesOf, openChallenges, openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';
import { migrationConfig } from '../../src/store/migrations/index.js';


const client = { name: 'vpn', address: '192.0.2.1' };

describe.each(STORE_KINDS)('SMS token flow on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;
  let admin: TokenAdmin;

  const login = (username: string, password: string, transactionId?: string, from = client): Promise<AuthResult> =>
    auth.authenticate({ username, password, client: from, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);

  const challenge = async (username = 'alice', pin = '1234') => {
    const r = await login(username, pin);
    if (r.outcome !== 'challenge') throw new Error(`expected a challenge, got ${r.outcome}: ${r.message}`);
    return r;
  };

  const enroll = (over: Partial<Parameters<TokenAdmin['enroll']>[0]> = {}) =>
    admin.enroll({ username: 'alice', phone: '+49 171 2345678', pin: '1234', otpKeyHex: RFC4226_KEY, ...over });

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    // The default must name a defined gateway; the SMS itself is recorded, not sent.
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    sms = new RecordingSms();
    auth = await openLoginEngine(t, sms);
    admin = new TokenAdmin(t.store, t.pins);
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  it('answers the PIN with a challenge and sends HOTP(counter 1) by SMS', async () => {
    const { serial } = await enroll();
    const r = await challenge();
    expect(r.message).toBe('Enter the OTP from the SMS:');
    expect(r.transactionId).toMatch(/^\d{40}$/);
    expect(r.serials).toEqual([serial]);
    expect(r.expiresAt).toBe(t.clock.now + 300_000);
    expect(sms.sent).toEqual([{ gateway: 'gw1', phone: '+49 171 2345678', message: RFC4226_HOTP[1] }]);
    expect((await openChallenges(t.store, r.transactionId, t.clock.now)).map((c) => c.counter)).toEqual([1]);
  });

  it('accepts the OTP with the transaction id once; a replay is rejected', async () => {
    await enroll();
    const r = await challenge();
    expect(await login('alice', RFC4226_HOTP[1]!, r.transactionId)).toMatchObject({ outcome: 'accept', message: Messages.accepted });
    expect(await login('alice', RFC4226_HOTP[1]!, r.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
  });

  it('keeps the transaction after a wrong OTP, counts the failure, and clears it on success', async () => {
    const { serial } = await enroll();
    const r = await challenge();
    expect(await login('alice', '000000', r.transactionId)).toEqual({ outcome: 'reject', message: 'Response did not match the challenge.' });
    expect((await t.store.tokens.bySerial(serial))?.failcount).toBe(1);
    expect((await openChallenges(t.store, r.transactionId, t.clock.now))[0]?.receivedCount).toBe(1);
    expect((await login('alice', RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
    expect((await t.store.tokens.bySerial(serial))?.failcount).toBe(0);
  });

  it('rejects an expired transaction (sms.providerTimeout) and an unknown one', async () => {
    await enroll();
    await t.store.settings.setMany([['sms.providerTimeout', '60']]);
    const r = await challenge();
    expect(r.expiresAt).toBe(t.clock.now + 60_000);
    t.clock.advance(60_001);
    expect(await login('alice', RFC4226_HOTP[1]!, r.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    expect((await login('alice', RFC4226_HOTP[1]!, '12345678901234567890')).message).toBe(Messages.invalidTransaction);
  });

  it('does not let another user or another NAS answer a transaction', async () => {
    await enroll();
    await enroll({ username: 'bob' });
    const r = await challenge();
    expect((await login('bob', RFC4226_HOTP[1]!, r.transactionId)).message).toBe(Messages.invalidTransaction);
    expect((await login('alice', RFC4226_HOTP[1]!, r.transactionId, { name: 'wifi', address: '192.0.2.9' })).message).toBe(
      Messages.invalidTransaction,
    );
    expect((await login('alice', RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
  });

  it('accepts PIN+OTP in one request, in the counter window, each OTP once', async () => {
    await enroll();
    expect((await login('alice', `1234${RFC4226_HOTP[0]}`)).outcome).toBe('accept');
    expect(await login('alice', `1234${RFC4226_HOTP[0]}`)).toEqual({ outcome: 'reject', message: Messages.wrongOtp });
    expect((await login('alice', `1234${RFC4226_HOTP[5]}`)).outcome).toBe('accept');
    expect((await login('alice', `1234${RFC4226_HOTP[3]}`)).outcome).toBe('reject');
    expect(sms.sent).toEqual([]);
  });

  it('lets a NAS without challenge support log in in two passes: PIN (sends the SMS), then PIN+OTP', async () => {
    await enroll();
    expect((await login('alice', '1234')).outcome).toBe('challenge');
    expect(await login('alice', `1234${sms.sent[0]!.message}`)).toMatchObject({ outcome: 'accept' });
  });

  it('rejects a wrong PIN with "wrong otp pin" and counts it on every token of the user', async () => {
    const a = await enroll();
    const b = await enroll({ pin: '9999' });
    expect(await login('alice', '4321')).toEqual({ outcome: 'reject', message: Messages.wrongPin });
    expect((await t.store.tokens.bySerial(a.serial))?.failcount).toBe(1);
    expect((await t.store.tokens.bySerial(b.serial))?.failcount).toBe(1);
    expect(sms.sent).toEqual([]);
  });

  it('tells a user without tokens so, without sending anything; marks a name nobody owns a token under as unknown', async () => {
    // The message is the fronts' (RADIUS sends it as is); the refusal lets the HTTP front answer
    // privacyIDEA's ERR904 (issue 19). No user store here: only token owners exist.
    const asHttp = (username: string) => auth.authenticate({ username, password: '1234', client, namesUnknownUsers: true } as AuthRequest);
    expect(await asHttp('nobody')).toEqual({ outcome: 'reject', message: Messages.noToken, refusal: { reason: 'unknown_user', username: 'nobody', realm: '' } });
    // A front that does not name unknown users (RADIUS) gets the reject alone, without the reads that tell.
    expect(await login('nobody', '1234')).toEqual({ outcome: 'reject', message: Messages.noToken });
  });

  it('sends nothing for a disabled token', async () => {
    const { serial } = await enroll();
    await admin.setActive(serial, false);
    expect(await login('alice', '1234')).toEqual({ outcome: 'reject', message: Messages.disabled });
    expect(sms.sent).toEqual([]);
  });

  it('locks the token at maxfail, even for a right OTP, until reset or failcounter_clear_timeout', async () => {
    const { serial } = await enroll();
    for (let i = 0; i < 10; i++) await login('alice', '0000');
    expect(await login('alice', '1234')).toEqual({ outcome: 'reject', message: Messages.locked });
    expect(await login('alice', `1234${RFC4226_HOTP[0]}`)).toEqual({ outcome: 'reject', message: Messages.locked });
    expect(sms.sent).toEqual([]);
    await admin.reset(serial);
    expect((await login('alice', `1234${RFC4226_HOTP[0]}`)).outcome).toBe('accept');

    for (let i = 0; i < 10; i++) await login('alice', '0000');
    await t.store.settings.setMany([['failcounter_clear_timeout', '5']]);
    t.clock.advance(4 * 60_000);
    expect((await login('alice', `1234${RFC4226_HOTP[1]}`)).message).toBe(Messages.locked);
    t.clock.advance(60_000);
    expect((await login('alice', `1234${RFC4226_HOTP[1]}`)).outcome).toBe('accept');
  });

  it('rejects with the SMS failure message when the gateway fails, leaving no usable challenge', async () => {
    const { serial } = await enroll();
    sms.failWith = 'gateway down';
    expect(await login('alice', '1234')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
    expect(await challengesOf(t.store, serial)).toEqual([]);
  });

  it('rejects with the SMS failure message when no gateway is defined for the token', async () => {
    await enroll();
    await t.store.settings.unset('sms.identifier');
    expect(await login('alice', '1234')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
  });

  it('sends through the token’s own gateway over the site default', async () => {
    await t.store.gateways.set({ identifier: 'gw2', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await enroll({ gateway: 'gw2' });
    await challenge();
    expect(sms.sent[0]?.gateway).toBe('gw2');
  });

  it('shares one transaction between the user’s tokens; either OTP answers it', async () => {
    const key2 = 'ab'.repeat(20);
    const a = await enroll({ serial: 'PISM0000000A', phone: '+111' });
    const b = await enroll({ serial: 'PISM0000000B', phone: '+222', otpKeyHex: key2 });
    const r = await challenge();
    expect(r.serials).toEqual([a.serial, b.serial]);
    expect(sms.sent.map((s) => s.phone).sort()).toEqual(['+111', '+222']);
    expect(await login('alice', '000000', r.transactionId)).toEqual({ outcome: 'reject', message: 'Response did not match for 2 tokens.' });
    const otpB = sms.sent.find((s) => s.phone === '+222')!.message;
    expect(await login('alice', otpB, r.transactionId)).toMatchObject({ outcome: 'accept', serial: b.serial });
  });

  it('without concurrent challenges only the latest OTP is valid', async () => {
    // Every request sends: a challenge still fresh (sms.resend_interval) is repeated to the same caller, as in the daemon.
    await t.store.settings.setMany([['sms.resend_interval', '0']]);
    await enroll();
    const first = await challenge();
    const second = await challenge();
    expect(sms.sent.map((s) => s.message)).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2]]);
    expect((await login('alice', RFC4226_HOTP[1]!, first.transactionId)).outcome).toBe('reject');
    expect((await login('alice', RFC4226_HOTP[2]!, second.transactionId)).outcome).toBe('accept');
  });

  it('with sms.concurrent_challenges two open challenges can be answered in any order', async () => {
    await t.store.settings.setMany([['sms.concurrent_challenges', 'true']]);
    await enroll();
    const first = await challenge();
    const second = await challenge();
    expect((await login('alice', RFC4226_HOTP[2]!, second.transactionId)).outcome).toBe('accept');
    expect((await login('alice', RFC4226_HOTP[1]!, first.transactionId)).outcome).toBe('accept');
    // Each OTP belongs to its own transaction: the other one's OTP does not answer it.
    const third = await challenge();
    expect((await login('alice', RFC4226_HOTP[1]!, third.transactionId)).outcome).toBe('reject');
  });

  it('lets exactly one of two simultaneous answers to one transaction in', async () => {
    await enroll();
    const r = await challenge();
    const results = await Promise.all([1, 2, 3, 4].map(() => login('alice', RFC4226_HOTP[1]!, r.transactionId)));
    expect(results.filter((x) => x.outcome === 'accept')).toHaveLength(1);
  });

  it('resolves user@realm to the realm’s tokens', async () => {
    await enroll({ username: 'carol', realm: 'example.com' });
    const r = await challenge('carol@example.com');
    expect((await login('carol@example.com', RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
    expect((await login('carol', '1234')).message).toBe(Messages.noToken);
  });

  it('compares realms without case: enrollment keeps them in lower case, user@EXAMPLE.com finds them', async () => {
    const { realm } = await enroll({ username: 'carol', realm: 'Example.COM' });
    expect(realm).toBe('example.com');
    const r = await challenge('carol@EXAMPLE.com');
    expect((await login('carol@example.Com', RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
    // User names still compare exactly.
    expect((await login('Carol@example.com', '1234')).message).toBe(Messages.noToken);
  });

  it('lower-cases the realms already in the store (migration 0006_realm_lowercase)', async () => {
    await enroll({ username: 'carol', realm: 'example.com' });
    // Back to before 0006 (the migrations after it first).
    while ((await t.store.knex.migrate.currentVersion(migrationConfig)) !== '0005') {
      await t.store.knex.migrate.down(migrationConfig);
    }
    await t.store.knex('tokens').update({ realm: 'Example.COM' });
    expect(await t.store.migrate()).toContain('0006_realm_lowercase');
    expect((await t.store.tokens.list({ username: 'carol', realm: 'example.com' })).length).toBe(1);
    expect((await challenge('carol@EXAMPLE.com')).outcome).toBe('challenge');
  });

  it('rejects a user name with a control character (NUL, tab) before the store sees it, and audits it printably', async () => {
    await enroll();
    expect(await login('ali\u0000ce', '1234')).toEqual({ outcome: 'reject', message: Messages.invalidUserName });
    expect(await login('alice\t', '1234', '12345678901234567890123456789012345678901')).toEqual({ outcome: 'reject', message: Messages.invalidUserName });
    const entries = await t.store.audit.newest({}, 10);
    expect(entries.map((e) => [e.username, e.action, e.reason]).sort()).toEqual([
      ['alice\u2409', 'reject', 'user name with control characters'],
      ['ali\u2400ce', 'reject', 'user name with control characters'],
    ]);
    await expect(enroll({ username: 'bob\u0000' })).rejects.toThrow('--user must not contain control characters');
    await expect(enroll({ username: 'bob', realm: 'example.com\n' })).rejects.toThrow('--realm must not contain control characters');
  });

  it('renders smstext and sms_challenge_text with their tags', async () => {
    await t.store.settings.setMany([['smstext', 'Code {otp} for {user} ({serial}) <otp>']]);
    await t.store.settings.setMany([['sms_challenge_text', 'OTP sent to {phone_redacted}{nosuch}']]);
    const { serial } = await enroll();
    const r = await challenge();
    expect(r.message).toBe('OTP sent to *************78');
    expect(sms.sent[0]?.message).toBe(`Code ${RFC4226_HOTP[1]} for alice (${serial}) ${RFC4226_HOTP[1]}`);
  });

  it('counts every SMS as a failure with increase_failcounter_on_challenge', async () => {
    // Every request sends: a challenge still fresh (sms.resend_interval) is repeated to the same caller, as in the daemon.
    await t.store.settings.setMany([['sms.resend_interval', '0']]);
    const { serial } = await enroll();
    await t.store.settings.setMany([['increase_failcounter_on_challenge', 'true']]);
    await challenge();
    await challenge();
    expect((await t.store.tokens.bySerial(serial))?.failcount).toBe(2);
  });

  it('writes an audit entry per decision, without PINs or OTPs', async () => {
    await enroll();
    const r = await challenge();
    await login('alice', RFC4226_HOTP[1]!, r.transactionId);
    const entries = await t.store.audit.newest({}, 10);
    expect(entries.map((e) => e.action).sort()).toEqual(['accept', 'challenge']);
    expect(JSON.stringify(entries)).not.toMatch(/1234|287082/);
  });

  it('audits the gateway, the redacted number, what the NAS said of the session, and why an SMS failed', async () => {
    await enroll();
    const nas = { callingStationId: '203.0.113.7', ipAddress: '192.0.2.10', identifier: 'vpn-1' };
    const r = await auth.authenticate({ username: 'alice', password: '1234', client, nas });
    if (r.outcome !== 'challenge') throw new Error(r.message);
    await auth.authenticate({ username: 'alice', password: RFC4226_HOTP[1]!, transactionId: r.transactionId, client, nas });
    sms.failWith = 'gateway gw1: HTTP 500';
    await login('alice', '1234');
    const [failed, accepted, challenged] = await t.store.audit.newest({}, 10);
    expect(challenged).toMatchObject({ action: 'challenge', gateway: 'gw1', phone: '*************78', nas, clientAddress: '192.0.2.1' });
    expect(accepted).toMatchObject({ action: 'accept', gateway: '', phone: '', nas });
    expect(failed).toMatchObject({
      action: 'reject',
      gateway: 'gw1',
      phone: '*************78',
      reason: 'no SMS could be sent: gateway gw1: HTTP 500',
      nas: { callingStationId: '', ipAddress: '', identifier: '' },
    });
  });
});

describe.each(STORE_KINDS)('resend and foreign States on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
    // The default must name a defined gateway; the SMS itself is recorded, not sent.
    await t.store.gateways.set({ identifier: 'gw1', description: '', module: 'http', options: { URL: 'http://127.0.0.1:9/' }, headers: {} });
    await t.store.settings.setMany([['sms.identifier', 'gw1']]);
    sms = new RecordingSms();
    auth = await openLoginEngine(t, sms);
    await new TokenAdmin(t.store, t.pins).enroll({ username: 'alice', phone: '+111', pin: '1234', otpKeyHex: RFC4226_KEY, serial: 'PISMR' });
  });
  afterEach(async () => {
    await auth.close();
    await t.close();
  });

  const request = (password: string, transactionId?: string, resend = false): AuthRequest => ({
    username: 'alice', password, client, ...(transactionId !== undefined ? { transactionId, resend } : {}),
  });

  it('throttles a resend to sms.resend_interval, then sends the next OTP under a fresh transaction', async () => {
    const first = await auth.authenticate(request('1234'));
    if (first.outcome !== 'challenge') throw new Error(first.message);
    t.clock.advance(10_000);
    const tooSoon = await auth.authenticate(request('', first.transactionId, true));
    expect(tooSoon).toMatchObject({ outcome: 'challenge', message: 'A new code can be requested in 20 s.', transactionId: first.transactionId });
    expect(sms.sent).toHaveLength(1);
    t.clock.advance(20_000);
    const again = await auth.authenticate(request('', first.transactionId, true));
    if (again.outcome !== 'challenge') throw new Error(again.message);
    expect(again.transactionId).not.toBe(first.transactionId);
    expect(sms.sent.map((s) => s.message)).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2]]);
    expect((await auth.authenticate(request(RFC4226_HOTP[1]!, first.transactionId))).message).toBe(Messages.invalidTransaction);
    expect((await auth.authenticate(request(RFC4226_HOTP[2]!, again.transactionId))).outcome).toBe('accept');
  });

  it('rejects a State that is not a transaction id of ours without touching the fail counter', async () => {
    for (const state of ['', 'abc', '\u0000\u0001binary', '1'.repeat(20), '9'.repeat(40)]) {
      expect(await auth.authenticate(request('1234', state))).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    }
    expect((await t.store.tokens.bySerial('PISMR'))?.failcount).toBe(0);
    expect(sms.sent).toEqual([]);
  });

  it('uses the client’s own challenge prompt', async () => {
    const r = await auth.authenticate({ username: 'alice', password: '1234', client: { ...client, challengePrompt: 'Code to {phone_redacted} for {user}' } });
    expect(r.message).toBe('Code to **** for alice');
  });
});
