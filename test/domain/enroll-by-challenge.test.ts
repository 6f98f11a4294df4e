// Enrollment by challenge (enroll_via_multichallenge = sms) in the login core, on SQLite and
// PostgreSQL (whose server-side unit runner got the pending-enrollment steps in migration
// 0011), with users from a real slapd through the LDAP adapter and the SMS port recording
// what would be sent.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/core/login/request.js';
import { Messages } from '../../src/core/messages.js';
import type { LdapDirectory } from '../../src/directory/directory.js';
import { migrationConfig } from '../../src/store/migrations/index.js';
import { openLoginEngine, RecordingSms, type LoginEngine } from '../helpers/login-engine.js';
import { slapdDirectory, startSlapd, type Slapd } from '../helpers/slapd.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';


const vpn = { name: 'vpn', address: '192.0.2.1' };
const NUMBER_PROMPT = 'Please enter your new phone number!';
const OTP_PROMPT = 'Enter the OTP from the SMS:';

let slapd: Slapd;
let directory: LdapDirectory;

beforeAll(async () => {
  slapd = await startSlapd([
    { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: '+49 170 1111111' },
    { uid: 'bob', password: 'bob-pw', givenName: 'Bob', sn: 'Builder' },
    { uid: 'carl', password: 'carl-pw', sn: 'Wrongnumber', mobile: 'call me' },
  ]);
  directory = slapdDirectory(slapd);
});
afterAll(async () => {
  await directory?.close();
  await slapd?.stop();
});

describe.each(STORE_KINDS)('enrollment by challenge on %s', (kind) => {
  let t: TestStore;
  let sms: RecordingSms;
  let auth: LoginEngine;

  const login = (username: string, password: string, transactionId?: string, client = vpn): Promise<AuthResult> =>
    auth.authenticate({ username, password, client, ...(transactionId === undefined ? {} : { transactionId }) } as AuthRequest);
  const challenged = (r: AuthResult) => {
    if (r.outcome !== 'challenge') throw new Error(`expected a challenge, got ${r.outcome}: ${r.message}`);
    return r;
  };
  const tokensOf = (username: string) => t.store.tokens.list({ username });
  const pendingRows = async () => Number(((await t.store.knex('pending_enrollments').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const reasons = async () => (await t.store.audit.newest({}, 50)).reverse().map((e) => [e.action, e.reason]);

  beforeEach(async () => {
    t = await openTestStore(kind);
    await t.store.settings.setMany([['pin.kdf_cost', '10']]);
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

  it('directory mobile: the SMS goes there at once; the OTP creates the active token and logs in', async () => {
    const r = challenged(await login('alice', 'alice-pw'));
    expect(r.message).toBe(OTP_PROMPT);
    expect(r.serials).toEqual([]);
    // The directory's number, normalised as every send to a directory number is.
    expect(sms.last().phone).toBe('+491701111111');
    // No token before the OTP proved the phone.
    expect(await tokensOf('alice')).toEqual([]);
    expect(await pendingRows()).toBe(1);

    const accepted = await login('alice', sms.last().message, r.transactionId);
    expect(accepted).toMatchObject({ outcome: 'accept', username: 'alice', realm: 'example' });
    const [token] = await tokensOf('alice');
    // A dynamic-phone token: the directory keeps the number, read at every send.
    expect(token).toMatchObject({ realm: 'example', phone: '', dynamicPhone: true, active: true, verified: true, counter: 2, failcount: 0 });
    expect(accepted.outcome === 'accept' && accepted.serial).toBe(token!.serial);
    expect(await pendingRows()).toBe(0);
    // Single use: the same answer again finds nothing.
    expect(await login('alice', sms.last().message, r.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });

    // From now on an ordinary token: the directory password sends its SMS, whose OTP logs in.
    const next = challenged(await login('alice', 'alice-pw'));
    expect(await login('alice', sms.last().message, next.transactionId)).toMatchObject({ outcome: 'accept', serial: token!.serial });
    expect((await reasons()).slice(0, 3)).toEqual([
      ['challenge', "enrollment by challenge: SMS sent to the directory's mobile number"],
      ['accept', "enrollment by challenge: the OTP proved the directory's mobile number; token enrolled"],
      ['reject', 'unknown or expired transaction'],
    ]);
  });

  it('typed number: prompt, a non-number re-prompted under the same State, the number under a new State, a wrong OTP, the OTP', async () => {
    await t.store.settings.setMany([['enroll_via_multichallenge_text', 'Hello {givenname}, your mobile number please']]);
    const asked = challenged(await login('bob', 'bob-pw'));
    expect(asked.message).toBe('Hello Bob, your mobile number please');
    expect(sms.sent).toEqual([]);

    const again = challenged(await login('bob', 'call me maybe', asked.transactionId));
    expect(again.transactionId).toBe(asked.transactionId);
    expect(again.message).toBe(`${Messages.notAPhoneNumber} Hello Bob, your mobile number please`);
    expect(sms.sent).toEqual([]);

    const sent = challenged(await login('bob', ' +49 (0)171 2222-222 ', asked.transactionId));
    expect(sent.transactionId).not.toBe(asked.transactionId);
    expect(sent.message).toBe(OTP_PROMPT);
    expect(sms.last().phone).toBe('+49 (0)171 2222-222');
    // The number's State is used up.
    expect(await login('bob', '+49 171 3333333', asked.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });

    const otp = sms.last().message;
    const wrong = otp === '000000' ? '111111' : '000000';
    expect(await login('bob', wrong, sent.transactionId)).toEqual({ outcome: 'reject', message: Messages.responseMismatch(1) });
    expect(await tokensOf('bob')).toEqual([]);
    expect(await login('bob', otp, sent.transactionId)).toMatchObject({ outcome: 'accept', username: 'bob' });
    expect(await tokensOf('bob')).toMatchObject([{ phone: '+49 (0)171 2222-222', active: true, verified: true }]);
    expect(await reasons()).toEqual([
      ['challenge', 'enrollment by challenge: asked for a phone number'],
      ['challenge', 'enrollment by challenge: the answer is not a phone number'],
      ['challenge', 'enrollment by challenge: SMS sent to the typed number'],
      ['reject', 'unknown or expired transaction'],
      ['reject', 'enrollment by challenge: OTP wrong'],
      ['accept', 'enrollment by challenge: the OTP proved the typed number; token enrolled'],
    ]);
  });

  it('abandoned: the State expires, nothing is left after the purge but the audit lines', async () => {
    const asked = challenged(await login('bob', 'bob-pw'));
    const sent = challenged(await login('bob', '+491712222222', asked.transactionId));
    const otp = sms.last().message;
    t.clock.advance(300_000);
    expect(await login('bob', otp, sent.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    // One still waiting for the purge, then none.
    expect(await pendingRows()).toBe(1);
    expect(await auth.purgeExpired(t.clock.now)).toBe(1);
    expect(await pendingRows()).toBe(0);
    expect(await tokensOf('bob')).toEqual([]);
    expect((await reasons()).map(([action]) => action)).toEqual(['challenge', 'challenge', 'reject']);
  });

  it('the resend (State, empty answer) asks for the number again, or sends a new OTP after sms.resend_interval', async () => {
    const asked = challenged(await login('bob', 'bob-pw'));
    const resend = (id: string) => auth.authenticate({ username: 'bob', password: '', transactionId: id, resend: true, client: vpn });
    expect(challenged(await resend(asked.transactionId))).toMatchObject({ transactionId: asked.transactionId, message: NUMBER_PROMPT });
    const sent = challenged(await login('bob', '+491712222222', asked.transactionId));
    const first = sms.last().message;
    expect(challenged(await resend(sent.transactionId)).message).toBe(Messages.resendTooSoon(30));
    t.clock.advance(30_000);
    const renewed = challenged(await resend(sent.transactionId));
    expect(renewed.transactionId).not.toBe(sent.transactionId);
    expect(sms.sent).toHaveLength(2);
    // Only the newest OTP counts.
    expect((await login('bob', first, renewed.transactionId)).outcome).toBe('reject');
    expect(await login('bob', sms.last().message, renewed.transactionId)).toMatchObject({ outcome: 'accept' });
    expect(await tokensOf('bob')).toMatchObject([{ counter: 3 }]);
  });

  it('token.default_maxfail wrong answers end the enrollment', async () => {
    await t.store.settings.setMany([['token.default_maxfail', '2']]);
    const asked = challenged(await login('bob', 'bob-pw'));
    challenged(await login('bob', 'nope', asked.transactionId));
    expect(await login('bob', 'nope', asked.transactionId)).toEqual({ outcome: 'reject', message: Messages.enrollmentEnded });
    expect(await pendingRows()).toBe(0);
    expect((await reasons()).at(-1)).toEqual(['reject', 'enrollment by challenge ended after 2 wrong answers']);
  });

  it('a wrong directory password, a State of another user or client, a gateway down: nothing is enrolled', async () => {
    expect(await login('alice', 'wrong-pw')).toEqual({ outcome: 'reject', message: Messages.wrongPin });
    expect(sms.sent).toEqual([]);
    const asked = challenged(await login('bob', 'bob-pw'));
    expect(await login('alice', '+491712222222', asked.transactionId)).toEqual({ outcome: 'reject', message: Messages.invalidTransaction });
    expect(await login('bob', '+491712222222', asked.transactionId, { name: 'wifi', address: '192.0.2.2' })).toEqual({
      outcome: 'reject',
      message: Messages.invalidTransaction,
    });
    sms.failWith = 'gateway down';
    expect(await login('bob', '+491712222222', asked.transactionId)).toEqual({ outcome: 'reject', message: Messages.smsFailed });
    expect(await login('alice', 'alice-pw')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
    expect(await pendingRows()).toBe(0);
    expect(await tokensOf('bob')).toEqual([]);
    // A directory number that cannot be a phone number is never sent to.
    sms.failWith = undefined;
    expect(await login('carl', 'carl-pw')).toEqual({ outcome: 'reject', message: Messages.smsFailed });
    expect(sms.sent).toEqual([]);
    expect((await reasons()).at(-1)).toEqual(['reject', "enrollment by challenge: the directory's mobile number holds characters that are not digits or separators"]);
  });

  it('takes precedence over passOnNoToken and passthru; otppin none: the directory number only; tokenpin: off', async () => {
    await t.store.settings.setMany([['passOnNoToken', 'true']]);
    await t.store.settings.setMany([['passthru', 'true']]);
    expect(challenged(await login('bob', 'bob-pw')).message).toBe(NUMBER_PROMPT);
    expect(await login('bob', 'wrong')).toEqual({ outcome: 'reject', message: Messages.wrongPin });

    await t.store.settings.setMany([['otppin', 'none']]);
    expect(challenged(await login('alice', 'anything')).message).toBe(OTP_PROMPT);
    expect(await login('bob', 'anything')).toEqual({ outcome: 'reject', message: Messages.noToken });

    // tokenpin: a user without a token has no PIN to pass; the doors open as before.
    await t.store.settings.setMany([['otppin', 'tokenpin']]);
    expect((await login('bob', 'anything')).outcome).toBe('accept');
    await t.store.settings.setMany([['passOnNoToken', 'false']]);
    await t.store.settings.setMany([['passthru', 'false']]);
    expect(await login('bob', 'bob-pw')).toEqual({ outcome: 'reject', message: Messages.noToken });
  });

  it('migration 0011 can be undone and redone', async () => {
    challenged(await login('bob', 'bob-pw'));
    while ((await t.store.knex.migrate.currentVersion(migrationConfig)) !== '0009') await t.store.knex.migrate.down(migrationConfig);
    expect(await t.store.knex.schema.hasTable('pending_enrollments')).toBe(false);
    // Redone in order (the later migrations that were undone too follow them).
    expect((await t.store.migrate()).slice(0, 2)).toEqual(['0010_dynamic_phone', '0011_pending_enrollment']);
    expect(await t.store.knex.schema.hasTable('pending_enrollments')).toBe(true);
    expect(await pendingRows()).toBe(0);
  });
});
