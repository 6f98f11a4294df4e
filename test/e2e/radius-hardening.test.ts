// RADIUS rules beyond the happy path, with real packets on loopback: Message-Authenticator
// policy per client, Proxy-State, retransmissions, foreign States, resend, reject delay,
// reply attributes, and the counters that record it all.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { buildRequest, isSignedReply, RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'testing123';

/** Checks a reply's authenticators against the request: Message-Authenticator first and valid, Response Authenticator valid. */
function expectSigned(reply: Buffer | undefined, request: Buffer): Buffer {
  expect(reply, 'no reply').toBeDefined();
  expect(isSignedReply(reply as Buffer, request, SECRET)).toBe(true);
  return reply as Buffer;
}

const attrs = (reply: Buffer, type: number) => parsePacket(reply).attributes.filter((a) => a.type === type).map((a) => a.value);
const text = (reply: Buffer, type: number) => attrs(reply, type).map((v) => v.toString('utf8'));

describe('RADIUS hardening', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  const clients: Record<string, RawClient> = {};

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      clients: [
        { name: 'strict', address: '127.0.0.1/32', secret: SECRET },
        { name: 'auto', address: '127.0.0.2/32', secret: SECRET, require_message_authenticator: 'auto' },
        { name: 'legacy', address: '127.0.0.3/32', secret: SECRET, require_message_authenticator: 'no' },
        { name: 'proxyok', address: '127.0.0.4/32', secret: SECRET, require_message_authenticator: false, limit_proxy_state: false },
        {
          name: 'custom', address: '127.0.0.5/32', secret: SECRET, challenge_prompt: 'Code for {user} sent to {phone_redacted}',
          accept_attributes: [
            { attribute: 'Filter-Id', value: 'vpn-admins' },
            { attribute: 'Cisco-AVPair', vendor: 'Cisco', value: 'shell:priv-lvl=15' },
            { attribute: 'Session-Timeout', value: 3600 },
          ],
        },
      ],
      radius: { accept_attributes: '[ { attribute: Class, value: "otp:{serial}:{user}" } ]' },
    });
    await useHttpGateway(daemon, gw.url, 'configure');
    // alice gets far more than 5 SMS in these tests: the flood limits are not what they test
    // (test/e2e/sms-limits.test.ts is).
    await daemon.configure('setting', 'set', 'sms.limit.phone', '');
    await daemon.configure('setting', 'set', 'sms.limit.user', '');
    // Each PIN request sends its own SMS: no reuse of a fresh challenge (sms.resend_interval),
    // which the resend test turns on where it needs the throttle.
    await daemon.configure('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISMA');
    await daemon.start();
    for (const [name, from] of Object.entries({ strict: '127.0.0.1', auto: '127.0.0.2', legacy: '127.0.0.3', proxyok: '127.0.0.4', custom: '127.0.0.5' })) {
      clients[name] = await RawClient.open(from);
    }
  });
  afterAll(async () => {
    Object.values(clients).forEach((c) => c.close());
    await daemon?.stop();
    await gw?.close();
  });

  /** PIN → challenge → OTP from the SMS, through one raw client; returns the Accept. */
  async function login(client: RawClient, ma: 'valid' | 'absent' = 'valid'): Promise<Buffer> {
    const first = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234', messageAuthenticator: ma });
    const challenge = expectSigned(await client.request(first, daemon.port), first);
    expect(challenge[0]).toBe(Code.AccessChallenge);
    const otp = (await gw.next()).query.get('text')!;
    const second = buildRequest({ secret: SECRET, user: 'alice', password: otp, state: attrs(challenge, Attr.State)[0], messageAuthenticator: ma });
    return expectSigned(await client.request(second, daemon.port), second);
  }

  it('signs Access-Challenge, Access-Accept, Access-Reject and the Status-Server reply with Message-Authenticator first', async () => {
    const accept = await login(clients.strict!);
    expect(accept[0]).toBe(Code.AccessAccept);
    const rejectRequest = buildRequest({ secret: SECRET, user: 'nobody', password: 'x' });
    expect(expectSigned(await clients.strict!.request(rejectRequest, daemon.port), rejectRequest)[0]).toBe(Code.AccessReject);
    const status = buildRequest({ secret: SECRET, code: Code.StatusServer });
    expect(expectSigned(await clients.strict!.request(status, daemon.port), status)[0]).toBe(Code.AccessAccept);
  });

  it('drops requests without or with a wrong Message-Authenticator from a client that must sign (the default)', async () => {
    expect(await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234', messageAuthenticator: 'absent' }), daemon.port, 1500)).toBeUndefined();
    expect(await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234', messageAuthenticator: 'wrong' }), daemon.port, 1500)).toBeUndefined();
    expect(await clients.strict!.request(buildRequest({ secret: SECRET, code: Code.StatusServer, messageAuthenticator: 'absent' }), daemon.port, 1500)).toBeUndefined();
    expect(gw.received.length).toBe(1);
  });

  it('auto: answers unsigned requests until the client signs once, then requires it', async () => {
    const unsigned = () => buildRequest({ secret: SECRET, user: 'nobody', password: 'x', messageAuthenticator: 'absent' });
    expect(await clients.auto!.request(unsigned(), daemon.port)).toBeDefined();
    expect(await clients.auto!.request(buildRequest({ secret: SECRET, user: 'nobody', password: 'x' }), daemon.port)).toBeDefined();
    expect(await clients.auto!.request(unsigned(), daemon.port, 1500)).toBeUndefined();
  });

  it('no: answers unsigned requests, but still drops a wrong signature and an unsigned Proxy-State (limit_proxy_state)', async () => {
    expect((await login(clients.legacy!, 'absent'))[0]).toBe(Code.AccessAccept);
    expect(await clients.legacy!.request(buildRequest({ secret: SECRET, user: 'nobody', password: 'x', messageAuthenticator: 'wrong' }), daemon.port, 1500)).toBeUndefined();
    expect(await clients.legacy!.request(buildRequest({ secret: SECRET, user: 'nobody', password: 'x', messageAuthenticator: 'absent', proxyStates: [Buffer.from('p1')] }), daemon.port, 1500)).toBeUndefined();
  });

  it('copies every Proxy-State unchanged and in order to the end of the reply', async () => {
    const request = buildRequest({ secret: SECRET, user: 'nobody', password: 'x', messageAuthenticator: 'absent', proxyStates: [Buffer.from([0, 1, 2]), Buffer.from('second'), Buffer.from('3')] });
    const reply = expectSigned(await clients.proxyok!.request(request, daemon.port), request);
    const types = parsePacket(reply).attributes.map((a) => a.type);
    expect(types.slice(-3)).toEqual([Attr.ProxyState, Attr.ProxyState, Attr.ProxyState]);
    expect(attrs(reply, Attr.ProxyState).map((v) => v.toString('hex'))).toEqual(['000102', Buffer.from('second').toString('hex'), '33']);
  });

  it('sends one SMS for a first step that radclient retransmits while the gateway is slow, and replays the cached reply byte for byte', async () => {
    const before = gw.received.length;
    gw.respond(200, 'OK', 2500);
    // radclient -t 1 -r 3 retransmits the same packet every second until it gets an answer.
    const viaRadclient = radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' }, { timeout: 1, retries: 3 });
    const reply = await viaRadclient;
    gw.respond(200, 'OK');
    expect(reply.code).toBe('Access-Challenge');
    expect(reply.output.match(/Sent Access-Request/g)?.length).toBeGreaterThan(1);
    expect(gw.received.length - before).toBe(1);
    await gw.next();

    const request = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const first = await clients.strict!.request(request, daemon.port);
    const again = await clients.strict!.request(request, daemon.port);
    expect(again?.equals(first!)).toBe(true);
    expect(gw.received.length - before).toBe(2);
    await gw.next();
  });

  it('rejects a State it did not issue, or issued to another client, without counting a PIN failure', async () => {
    const foreign = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234', state: randomBytes(16) });
    const reply = expectSigned(await clients.strict!.request(foreign, daemon.port), foreign);
    expect(reply[0]).toBe(Code.AccessReject);
    expect(text(reply, Attr.ReplyMessage)).toEqual(['The challenge is unknown or has expired']);

    const pin = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const challenge = (await clients.strict!.request(pin, daemon.port))!;
    const state = attrs(challenge, Attr.State)[0]!;
    expect(state.toString('latin1')).toMatch(/^\d{40}$/);
    const otp = (await gw.next()).query.get('text')!;
    const elsewhere = buildRequest({ secret: SECRET, user: 'alice', password: otp, state, messageAuthenticator: 'absent' });
    expect(text((await clients.legacy!.request(elsewhere, daemon.port))!, Attr.ReplyMessage)).toEqual(['The challenge is unknown or has expired']);
    expect(JSON.parse(await daemon.ok('token', 'show', 'PISMA')).failcount).toBe(0);
  });

  it('splits a Reply-Message longer than 253 bytes over several attributes', async () => {
    const prompt = `Enter the code ${'x'.repeat(300)} end`;
    await daemon.configure('setting', 'set', 'sms_challenge_text', prompt);
    const request = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const reply = (await clients.strict!.request(request, daemon.port))!;
    await daemon.configure('setting', 'unset', 'sms_challenge_text');
    await gw.next();
    expect(attrs(reply, Attr.ReplyMessage).map((v) => v.length)).toEqual([253, prompt.length - 253]);
    expect(text(reply, Attr.ReplyMessage).join('')).toBe(prompt);
  });

  it('resends the SMS on an empty password or the resend keyword, throttled by sms.resend_interval', async () => {
    const pin = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const first = (await clients.strict!.request(pin, daemon.port))!;
    const s1 = attrs(first, Attr.State)[0]!;
    const otp1 = (await gw.next()).query.get('text')!;
    const count = gw.received.length;
    await daemon.configure('setting', 'set', 'sms.resend_interval', '30');

    const tooSoon = (await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: '', state: s1 }), daemon.port))!;
    expect(tooSoon[0]).toBe(Code.AccessChallenge);
    expect(text(tooSoon, Attr.ReplyMessage)[0]).toMatch(/^A new code can be requested in \d+ s\.$/);
    expect(attrs(tooSoon, Attr.State)[0]?.equals(s1)).toBe(true);
    expect(gw.received.length).toBe(count);

    await daemon.configure('setting', 'set', 'sms.resend_interval', '0');
    const resent = (await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: 'resend', state: s1 }), daemon.port))!;
    expect(resent[0]).toBe(Code.AccessChallenge);
    const s2 = attrs(resent, Attr.State)[0]!;
    expect(s2.equals(s1)).toBe(false);
    const otp2 = (await gw.next()).query.get('text')!;
    expect(otp2).not.toBe(otp1);
    expect((await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: otp1, state: s1 }), daemon.port))![0]).toBe(Code.AccessReject);
    const accept = (await clients.strict!.request(buildRequest({ secret: SECRET, user: 'alice', password: otp2, state: s2 }), daemon.port))!;
    expect(accept[0]).toBe(Code.AccessAccept);
    expect(text(accept, Attr.Class)).toEqual(['otp:PISMA:alice']);
  });

  it('holds an Access-Reject back for reject_delay (1 s by default)', async () => {
    const started = Date.now();
    const reply = await clients.strict!.request(buildRequest({ secret: SECRET, user: 'nobody', password: 'x' }), daemon.port);
    expect(reply?.[0]).toBe(Code.AccessReject);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('uses the client’s own prompt and Access-Accept attributes, vendor-specific ones included', async () => {
    const pin = buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' });
    const challenge = (await clients.custom!.request(pin, daemon.port))!;
    expect(text(challenge, Attr.ReplyMessage)).toEqual(['Code for alice sent to *********45']);
    const otp = (await gw.next()).query.get('text')!;
    const accept = (await clients.custom!.request(buildRequest({ secret: SECRET, user: 'alice', password: otp, state: attrs(challenge, Attr.State)[0] }), daemon.port))!;
    expect(accept[0]).toBe(Code.AccessAccept);
    expect(text(accept, Attr.FilterId)).toEqual(['vpn-admins']);
    expect(attrs(accept, Attr.SessionTimeout).map((v) => v.readUInt32BE(0))).toEqual([3600]);
    expect(text(accept, Attr.Class)).toEqual([]);
    // Vendor-Specific: vendor 9 (Cisco), sub-attribute 1 (Cisco-AVPair).
    const vsa = attrs(accept, Attr.VendorSpecific)[0]!;
    expect(vsa.readUInt32BE(0)).toBe(9);
    expect([vsa[4], vsa.subarray(6).toString()]).toEqual([1, 'shell:priv-lvl=15']);
  });

  it('counts what it dropped and answered per client, and logs the counters at shutdown', async () => {
    await daemon.stop();
    const line = daemon.logs().split('\n').find((l) => l.includes('sms-otp-radiusd stopped'))!;
    const counters = JSON.parse(line).counters;
    expect(counters.strict.dropped.missing_message_authenticator).toBeGreaterThanOrEqual(2);
    expect(counters.strict.dropped.bad_message_authenticator).toBeGreaterThanOrEqual(1);
    expect(counters.strict.duplicates).toBeGreaterThanOrEqual(2);
    expect(counters.legacy.dropped.proxy_state_without_message_authenticator).toBe(1);
    expect(counters.auto.dropped.missing_message_authenticator).toBe(1);
    expect(counters.custom.accepts).toBe(1);
    expect(daemon.logs()).toMatch(/upgrade the client to send one, or set require_message_authenticator: no \(or auto\)/);
  });
});
