// Every Access-Request of a configured client gets an answer (RFC 2865 §4.1): CHAP, MS-CHAP,
// MS-CHAPv2 and EAP (sent by radclient) are rejected saying only PAP is supported, EAP with an
// EAP-Failure (RFC 3579); a State without a password asks for the SMS again; a request without
// credentials or without a usable User-Name is rejected; a control character in User-Name is a
// reject on SQLite and PostgreSQL alike; realms compare without case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { buildRequest, isSignedReply, RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'testing123';
const ONLY_PAP = 'Only PAP (User-Password) is supported';
const EAP_IDENTITY_RESPONSE = '0207000a01616c696365'; // Response, Identifier 7, Identity "alice"

const attrs = (reply: Buffer, type: number) => parsePacket(reply).attributes.filter((a) => a.type === type).map((a) => a.value);
const text = (reply: Buffer, type: number) => attrs(reply, type).map((v) => v.toString('utf8'));

describe('answers to requests that carry no PAP password', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let strict: RawClient;
  let legacy: RawClient;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      clients: [
        { name: 'strict', address: '127.0.0.1/32', secret: SECRET },
        { name: 'legacy', address: '127.0.0.3/32', secret: SECRET, require_message_authenticator: 'no' },
      ],
    });
    await useHttpGateway(daemon, gw.url, 'configure');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'ALICE');
    await daemon.start();
    strict = await RawClient.open('127.0.0.1');
    legacy = await RawClient.open('127.0.0.3');
  });
  afterAll(async () => {
    strict?.close();
    legacy?.close();
    await daemon?.stop();
    await gw?.close();
  });

  it('rejects CHAP, MS-CHAP and MS-CHAPv2 from radclient, saying only PAP is supported', async () => {
    const chap = await radclient(daemon, { 'User-Name': '"alice"', 'CHAP-Password': '"x"' });
    expect(chap.output).toMatch(/CHAP-Password = 0x/);
    expect(chap.code).toBe('Access-Reject');
    expect(chap.order[0]).toBe('Message-Authenticator');
    expect(chap.attributes['Reply-Message']).toEqual([`${ONLY_PAP}, not CHAP`]);

    const challenge = `0x${'11'.repeat(16)}`;
    const mschap = await radclient(daemon, { 'User-Name': '"alice"', 'MS-CHAP-Challenge': challenge, 'MS-CHAP-Response': `0x${'00'.repeat(50)}` });
    expect(mschap.code).toBe('Access-Reject');
    expect(mschap.attributes['Reply-Message']).toEqual([`${ONLY_PAP}, not MS-CHAP`]);

    const mschap2 = await radclient(daemon, { 'User-Name': '"alice"', 'MS-CHAP-Challenge': challenge, 'MS-CHAP2-Response': `0x${'00'.repeat(50)}` });
    expect(mschap2.code).toBe('Access-Reject');
    expect(mschap2.attributes['Reply-Message']).toEqual([`${ONLY_PAP}, not MS-CHAPv2`]);
  });

  it('answers EAP with an Access-Reject carrying an EAP-Failure for the EAP-Response’s Identifier and a valid Message-Authenticator', async () => {
    const eap = await radclient(daemon, { 'User-Name': '"alice"', 'EAP-Message': `0x${EAP_IDENTITY_RESPONSE}` });
    expect(eap.code).toBe('Access-Reject');
    expect(eap.attributes['Reply-Message']).toEqual([`${ONLY_PAP}, not EAP`]);
    expect(eap.attributes['EAP-Message']).toEqual(['0x04070004']);

    const request = buildRequest({ secret: SECRET, user: 'alice', extra: [[Attr.EapMessage, Buffer.from('0242000601ff', 'hex')]] });
    const reply = await strict.request(request, daemon.port);
    expect(reply).toBeDefined();
    expect(isSignedReply(reply!, request, SECRET)).toBe(true);
    expect(reply![0]).toBe(Code.AccessReject);
    expect(attrs(reply!, Attr.EapMessage).map((v) => v.toString('hex'))).toEqual(['04420004']);
  });

  it('drops EAP without Message-Authenticator (RFC 3579 §3.2), even from a client that need not sign', async () => {
    const unsigned = buildRequest({ secret: SECRET, user: 'alice', messageAuthenticator: 'absent', extra: [[Attr.EapMessage, Buffer.from(EAP_IDENTITY_RESPONSE, 'hex')]] });
    expect(await legacy.request(unsigned, daemon.port, 1500)).toBeUndefined();
  });

  it('sends a protocol reject at once, while a wrong password still waits for reject_delay (1 s)', async () => {
    let started = Date.now();
    const chap = await strict.request(buildRequest({ secret: SECRET, user: 'alice', extra: [[Attr.ChapPassword, Buffer.alloc(17, 1)]] }), daemon.port);
    expect(chap?.[0]).toBe(Code.AccessReject);
    expect(Date.now() - started).toBeLessThan(500);
    started = Date.now();
    const wrong = await strict.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin9999' }), daemon.port);
    expect(wrong?.[0]).toBe(Code.AccessReject);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await daemon.ok('token', 'reset', 'ALICE');
  });

  it('takes a State without User-Password like an empty password: it asks for the SMS again', async () => {
    const pin = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const first = (await strict.request(pin, daemon.port))!;
    expect(first[0]).toBe(Code.AccessChallenge);
    const s1 = attrs(first, Attr.State)[0]!;
    await gw.next();

    const tooSoon = (await strict.request(buildRequest({ secret: SECRET, user: 'alice', state: s1 }), daemon.port))!;
    expect(tooSoon[0]).toBe(Code.AccessChallenge);
    expect(text(tooSoon, Attr.ReplyMessage)[0]).toMatch(/^A new code can be requested in \d+ s\.$/);
    expect(attrs(tooSoon, Attr.State)[0]?.equals(s1)).toBe(true);

    await daemon.configure('setting', 'set', 'sms.resend_interval', '0');
    const resent = (await strict.request(buildRequest({ secret: SECRET, user: 'alice', state: s1 }), daemon.port))!;
    await daemon.configure('setting', 'unset', 'sms.resend_interval');
    expect(resent[0]).toBe(Code.AccessChallenge);
    const s2 = attrs(resent, Attr.State)[0]!;
    expect(s2.equals(s1)).toBe(false);
    const otp = (await gw.next()).query.get('text')!;
    const accept = (await strict.request(buildRequest({ secret: SECRET, user: 'alice', password: otp, state: s2 }), daemon.port))!;
    expect(accept[0]).toBe(Code.AccessAccept);
  });

  it('rejects a request without any credentials, or without a usable User-Name, instead of staying silent', async () => {
    const bare = (await strict.request(buildRequest({ secret: SECRET, user: 'alice' }), daemon.port))!;
    expect(bare[0]).toBe(Code.AccessReject);
    expect(text(bare, Attr.ReplyMessage)).toEqual([`${ONLY_PAP}: the request carries no password`]);
    const anonymous = (await strict.request(buildRequest({ secret: SECRET, password: 'pin1234' }), daemon.port))!;
    expect(text(anonymous, Attr.ReplyMessage)).toEqual(['The User-Name is missing or not valid UTF-8']);
    const latin1 = (await strict.request(buildRequest({ secret: SECRET, password: 'pin1234', extra: [[Attr.UserName, Buffer.from([0x6a, 0xf6, 0x72, 0x67])]] }), daemon.port))!;
    expect(text(latin1, Attr.ReplyMessage)).toEqual(['The User-Name is missing or not valid UTF-8']);
  });

  it('compares realms without case: a token enrolled for Example.COM logs in as alice2@EXAMPLE.com', async () => {
    await daemon.ok('token', 'enroll', '--user', 'alice2', '--realm', 'Example.COM', '--phone', '+4917012346', '--pin', 'pin2', '--otpkey', RFC4226_KEY, '--serial', 'ALICE2');
    expect(JSON.parse(await daemon.ok('token', 'show', 'ALICE2')).realm).toBe('example.com');
    const login = await radclient(daemon, { 'User-Name': '"alice2@EXAMPLE.com"', 'User-Password': `"pin2${RFC4226_HOTP[0]}"` });
    expect(login.code).toBe('Access-Accept');
  });

  it('counts the refusals per client, and summarises the warnings the throttle held back when it stops', async () => {
    await daemon.stop();
    const logs = daemon.logs();
    const line = logs.split('\n').find((l) => l.includes('sms-otp-radiusd stopped'))!;
    const counters = JSON.parse(line).counters;
    expect(counters.strict.refused).toEqual({ chap: 2, mschap: 1, mschapv2: 1, eap: 2, no_password: 1, bad_user_name: 2 });
    expect(counters.strict.rejects).toBeGreaterThanOrEqual(10);
    expect(counters.legacy.dropped).toEqual({ eap_without_message_authenticator: 1 });
    expect(logs).toMatch(/"suppressed":1.*"1 more like this in the last \d+ s: CHAP Access-Request rejected: only PAP/);
    expect(logs).toContain('802.1X (WPA-Enterprise) cannot carry an SMS OTP');
    for (const secret of [SECRET, 'pin1234', 'pin2']) expect(logs).not.toContain(secret);
  });
});

describe.each(['sqlite', 'pg'] as const)('a control character in User-Name on %s', (kind) => {
  it('is an Access-Reject with its reason logged (after its audit entry is committed), never a store error', async () => {
    const db = kind === 'pg' ? await createTestDatabase() : undefined;
    const daemon = await createDaemon({ radius: { reject_delay: '0' }, ...(db ? { database: { client: 'pg' as const, url: db.url } } : {}) });
    const client = await RawClient.open();
    try {
      await daemon.start();
      for (const user of ['ali\u0000ce', 'bob\u001b[2J']) {
        const reply = await client.request(buildRequest({ secret: SECRET, user, password: 'x' }), daemon.port);
        expect(reply?.[0], daemon.logs()).toBe(Code.AccessReject);
        expect(text(reply!, Attr.ReplyMessage)).toEqual(['The user name contains characters that are not allowed']);
      }
      const logs = daemon.logs();
      expect(logs).toMatch(/"user":"ali␀ce".*"reason":"user name with control characters"/);
      expect(logs).toMatch(/"user":"bob␛\[2J".*"reason":"user name with control characters"/);
      expect(logs).not.toContain('request failed');
    } finally {
      client.close();
      await daemon.stop();
      await db?.drop();
    }
  });
});
