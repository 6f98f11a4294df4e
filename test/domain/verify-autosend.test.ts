// verify_enrollment and smsautosend against a real store (SQLite and PostgreSQL, whose
// server-side unit runner got the verifyToken step in migration 0009), with the SMS port
// recording what would be sent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenAdmin, viewToken } from '../../src/app/token-admin.js';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import { migrationConfig } from '../../src/store/migrations/index.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';


const client = { name: 'vpn', address: '192.0.2.1' };
const VERIFY_PROMPT = 'Your phone number is being verified. Enter the OTP from the SMS:';

describe.each(STORE_KINDS)('verify_enrollment and smsautosend on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;
  let admin: TokenAdmin;

  const login = (password: string, transactionId?: string): Promise<AuthResult> =>
    auth.authenticate({ username: 'alice', password, client, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);
  const challenge = async (pin = '1234') => {
    const r = await login(pin);
    if (r.outcome !== 'challenge') throw new Error(`expected a challenge, got ${r.outcome}: ${r.message}`);
    return r;
  };
  const enroll = (over: Partial<Parameters<TokenAdmin['enroll']>[0]> = {}) =>
    admin.enroll({ username: 'alice', phone: '+49 171 2345678', pin: '1234', otpKeyHex: RFC4226_KEY, ...over });
  const token = async (serial: string) => (await t.store.tokens.bySerial(serial))!;
  const sentOtps = () => sms.sent.map((s) => s.message);

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
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

  describe('verify_enrollment', () => {
    it('is off by default; --verify (verify: true) enrolls a token that is not verified, shown as such', async () => {
      expect((await enroll({ serial: 'PISMPLAIN' })).verified).toBe(true);
      const pending = await enroll({ serial: 'PISMVERIFY', verify: true });
      expect(pending.verified).toBe(false);
      expect(viewToken(pending, t.clock.now, 0)).toMatchObject({ verified: false, active: true, locked: false });
      expect((await admin.show('PISMVERIFY')).verified).toBe(false);
    });

    it('the setting makes every new token wait for verification; verify: false overrides it for one', async () => {
      await t.store.settings.setMany([['verify_enrollment', 'true']]);
      expect((await enroll()).verified).toBe(false);
      expect((await enroll({ verify: false })).verified).toBe(true);
    });

    it('takes no PIN+OTP from an unverified token, counting no failure and sending nothing', async () => {
      const { serial } = await enroll({ verify: true });
      expect(await login(`1234${RFC4226_HOTP[0]}`)).toEqual({ outcome: 'reject', message: Messages.notVerified });
      expect((await token(serial)).failcount).toBe(0);
      expect(sms.sent).toEqual([]);
      expect(await login('9999')).toEqual({ outcome: 'reject', message: Messages.wrongPin });
    });

    it('the PIN sends the verifying SMS; only that OTP, answered with the State, verifies the token and logs in', async () => {
      const { serial } = await enroll({ verify: true });
      const r = await challenge();
      expect(r.message).toBe(VERIFY_PROMPT);
      expect(sentOtps()).toEqual([RFC4226_HOTP[1]]);
      // In the counter window, but never sent: it proves nothing about the phone.
      expect(await login(RFC4226_HOTP[2]!, r.transactionId)).toEqual({ outcome: 'reject', message: Messages.responseMismatch(1) });
      expect(await token(serial)).toMatchObject({ verified: false, failcount: 1 });
      expect(await login(RFC4226_HOTP[1]!, r.transactionId)).toMatchObject({ outcome: 'accept', serial });
      expect(await token(serial)).toMatchObject({ verified: true, failcount: 0, counter: 2 });
      // From now on an ordinary token: PIN+OTP and the ordinary prompt.
      expect((await login(`1234${RFC4226_HOTP[2]}`)).outcome).toBe('accept');
      expect((await challenge()).message).toBe('Enter the OTP from the SMS:');

      const reasons = (await t.store.audit.newest({}, 10)).reverse().map((e) => [e.action, e.reason]);
      expect(reasons.slice(0, 3)).toEqual([
        ['challenge', `SMS sent; it verifies the enrollment of ${serial}`],
        ['reject', 'response did not match; enrollment not verified'],
        ['accept', 'challenge answered; enrollment verified'],
      ]);
    });

    it('renders verify_enrollment_text with the challenge tags', async () => {
      await t.store.settings.setMany([['verify_enrollment_text', 'Verifying {phone_redacted} for {user}']]);
      await enroll({ verify: true });
      expect((await challenge()).message).toBe('Verifying *************78 for alice');
    });

    it('a disabled or locked unverified token is refused like any other', async () => {
      const { serial } = await enroll({ verify: true });
      await admin.setActive(serial, false);
      expect(await login('1234')).toEqual({ outcome: 'reject', message: Messages.disabled });
      await admin.setActive(serial, true);
      for (let i = 0; i < 10; i++) await login('0000');
      expect(await login('1234')).toEqual({ outcome: 'reject', message: Messages.locked });
      expect(sms.sent).toEqual([]);
    });

    it('beside a verified token: PIN+OTP uses the verified one; the shared challenge shows both prompts', async () => {
      const a = await enroll({ serial: 'PISMA' });
      const b = await enroll({ serial: 'PISMB', phone: '+222', otpKeyHex: 'ab'.repeat(20), verify: true });
      expect(await login(`1234${RFC4226_HOTP[0]}`)).toMatchObject({ outcome: 'accept', serial: a.serial });
      const r = await challenge();
      expect(r.message).toBe(`Enter the OTP from the SMS:, ${VERIFY_PROMPT}`);
      const otpA = sms.sent.find((s) => s.phone !== '+222')!.message;
      expect(await login(otpA, r.transactionId)).toMatchObject({ outcome: 'accept', serial: a.serial });
      expect((await token(b.serial)).verified).toBe(false);
    });

    it('migration 0009 leaves the tokens already in the store verified, and can be undone', async () => {
      const { serial } = await enroll({ verify: true });
      while ((await t.store.knex.migrate.currentVersion(migrationConfig)) !== '0007') await t.store.knex.migrate.down(migrationConfig);
      expect(await t.store.migrate()).toContain('0009_token_verification');
      expect((await token(serial)).verified).toBe(true);
    });
  });

  describe('smsautosend', () => {
    it('is off by default: an accept sends nothing', async () => {
      await enroll();
      const r = await challenge();
      expect((await login(RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1]]);
    });

    it('after an accept sends the OTP of the next counter, which the next PIN+OTP login takes; audited', async () => {
      await t.store.settings.setMany([['smsautosend', 'true']]);
      const { serial } = await enroll();
      const r = await challenge();
      expect((await login(RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2]]);
      // The counter is not advanced for it (as in privacyIDEA): the autosent OTP is the next one valid.
      expect((await token(serial)).counter).toBe(2);
      expect((await login(`1234${RFC4226_HOTP[2]}`)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2], RFC4226_HOTP[3]]);

      const rows = (await t.store.audit.newest({ action: 'autosend' }, 10)).reverse();
      expect(rows.map((e) => [e.reason, e.serials, e.gateway, e.phone, e.client])).toEqual([
        ['next OTP sent (smsautosend)', [serial], 'gw1', '*************78', 'vpn'],
        ['next OTP sent (smsautosend)', [serial], 'gw1', '*************78', 'vpn'],
      ]);
      expect(JSON.stringify(rows)).not.toContain(RFC4226_HOTP[2]);
    });

    it('a PIN-only login later issues a new OTP and voids the autosent one', async () => {
      await t.store.settings.setMany([['smsautosend', 'true']]);
      await enroll();
      expect((await login(`1234${RFC4226_HOTP[0]}`)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1]]);
      const r = await challenge();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2]]);
      expect((await login(RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('reject');
      expect((await login(RFC4226_HOTP[2]!, r.transactionId)).outcome).toBe('accept');
    });

    it('a gateway failure does not undo the accept; the audit row says why nothing was sent', async () => {
      await t.store.settings.setMany([['smsautosend', 'true']]);
      await enroll();
      sms.failWith = 'gateway gw1: HTTP 500';
      expect((await login(`1234${RFC4226_HOTP[0]}`)).outcome).toBe('accept');
      await auth.idle();
      const [row] = await t.store.audit.newest({ action: 'autosend' }, 1);
      expect(row).toMatchObject({ reason: 'next OTP not sent (smsautosend): gateway gw1: HTTP 500', gateway: 'gw1' });
    });

    it('the answer that verifies an enrollment is a login too: the next OTP follows', async () => {
      await t.store.settings.setMany([['smsautosend', 'true']]);
      await enroll({ verify: true });
      const r = await challenge();
      expect((await login(RFC4226_HOTP[1]!, r.transactionId)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2]]);
    });

    it('with concurrent challenges an older challenge answered sends nothing (that OTP went out already)', async () => {
      await t.store.settings.setMany([['smsautosend', 'true']]);
      await t.store.settings.setMany([['sms.concurrent_challenges', 'true']]);
      await enroll();
      const first = await challenge();
      const second = await challenge();
      expect((await login(RFC4226_HOTP[2]!, second.transactionId)).outcome).toBe('accept');
      await auth.idle();
      expect((await login(RFC4226_HOTP[1]!, first.transactionId)).outcome).toBe('accept');
      await auth.idle();
      expect(sentOtps()).toEqual([RFC4226_HOTP[1], RFC4226_HOTP[2], RFC4226_HOTP[3]]);
    });
  });
});
