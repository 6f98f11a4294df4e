// Issue 19: "the same challenge again" only where it cannot hurt, with the real daemon, a real
// HTTP SMS gateway, radclient as the NAS and curl as privacyIDEA's PAM module on two loopback
// addresses. What privacyIDEA 3.13.3 was seen to do (shared/reference): a PIN+OTP accept ends
// that OTP's challenge; every caller its own login; a failed SMS is tried again, never offered
// as a challenge; with concurrent challenges every PIN request its own SMS, each OTP accepted
// in any order; the SMS limits count what reached a gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { curl, type HttpAnswer } from '../helpers/http-clients.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient, type RadiusReply } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const SMS_FAILED = 'The PIN was correct, but the SMS could not be sent!';
const stateOf = (reply: RadiusReply) => reply.attributes.State?.[0] ?? '';
const messageOf = (reply: RadiusReply) => reply.attributes['Reply-Message'] ?? [];
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the same challenge again, only where it cannot hurt', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let base: string;

  const radius = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });
  /** A form POST to /validate/check as the PAM module sends it, from `source` (a loopback address). */
  const check = (fields: Record<string, string>, source = '127.0.0.1', headers: Record<string, string> = {}): Promise<HttpAnswer> => {
    const args = ['--interface', source, '-A', 'privacyIDEA-PAM/1.0'];
    for (const [k, v] of Object.entries(fields)) args.push('--data-urlencode', `${k}=${v}`);
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    return curl(`${base}/validate/check`, args);
  };
  const transactionOf = (a: HttpAnswer) => a.json?.detail?.transaction_id ?? '';
  const smsTo = (phone: string) => gw.received.filter((r) => r.query.get('to') === phone);
  /** The OTP of the next SMS, which must go to `phone`. */
  const nextOtp = async (phone: string) => {
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe(phone);
    return sms.query.get('text') ?? '';
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    daemon = await createDaemon({
      radius: { reject_delay: '0' },
      // 127.0.0.1 plays the reverse proxy; 127.0.0.2 is a caller of its own, not trusted.
      http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]`, trusted_proxies: '[ 127.0.0.1/32 ]' },
      // sms_deadline 2 s: a gateway slower than that is answered in the background.
      clients: [{ name: 'nas', address: '127.0.0.1/32', secret: 'testing123', sms_deadline: 2 }],
    });
    base = `http://127.0.0.1:${port}`;
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}',
      '--option', 'TIMEOUT=20');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    // The flood limits are not what these tests look at (but the last one).
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    // sms.resend_interval at its default (30 s): every repeat below comes well within it.
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    for (const [i, user] of users.entries()) {
      await daemon.ok('token', 'enroll', '--user', user, '--phone', `+49170000000${i}`, '--pin', `${user}pin`, '--otpkey', RFC4226_KEY, '--serial', `REUSE${i}`);
    }
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it("the two-pass login of docs/nas.md (PIN, then PIN+OTP) works again and again: after an accept, the next PIN sends a new SMS (RADIUS)", async () => {
    const phone = '+491700000000';
    let earlierState = '';
    for (let round = 0; round < 3; round++) {
      const first = await radius('alice', 'alicepin');
      expect(first.code).toBe('Access-Challenge');
      // Never the challenge whose OTP the accept before used.
      expect(stateOf(first)).not.toBe(earlierState);
      earlierState = stateOf(first);
      const otp = await nextOtp(phone);
      const accepted = await radius('alice', `alicepin${otp}`);
      expect(accepted.code, daemon.logs()).toBe('Access-Accept');
    }
    expect(smsTo(phone)).toHaveLength(3);
    // And the challenge answered the other way: the next PIN gets a new one too.
    const challenge = await radius('alice', 'alicepin');
    const otp = await nextOtp(phone);
    expect((await radius('alice', otp, stateOf(challenge))).code).toBe('Access-Accept');
    const next = await radius('alice', 'alicepin');
    expect(next.code).toBe('Access-Challenge');
    expect(stateOf(next)).not.toBe(stateOf(challenge));
    expect((await radius('alice', await nextOtp(phone), stateOf(next))).code).toBe('Access-Accept');
    // No failure was counted on the way.
    expect((JSON.parse(await daemon.ok('token', 'show', 'REUSE0')) as { failcount: number }).failcount).toBe(0);
  });

  it('within sms.resend_interval the same caller still gets the same challenge, without an SMS (a NAS asking again)', async () => {
    const first = await radius('bob', 'bobpin');
    const otp = await nextOtp('+491700000001');
    const again = await radius('bob', 'bobpin');
    expect(again.code).toBe('Access-Challenge');
    expect(stateOf(again)).toBe(stateOf(first));
    await settle(300);
    expect(smsTo('+491700000001')).toHaveLength(1);
    expect((await radius('bob', otp, stateOf(again))).code).toBe('Access-Accept');
  });

  it('two HTTP callers are two logins: their own transaction and SMS each; the same caller asking again gets its own back', async () => {
    const phone = '+491700000002';
    const one = await check({ user: 'carol', pass: 'carolpin' }, '127.0.0.1');
    const otpOne = await nextOtp(phone);
    const two = await check({ user: 'carol', pass: 'carolpin' }, '127.0.0.2');
    const otpTwo = await nextOtp(phone);
    expect(transactionOf(one)).toMatch(/^\d{20,}$/);
    expect(transactionOf(two)).toMatch(/^\d{20,}$/);
    expect(transactionOf(two)).not.toBe(transactionOf(one));
    expect(otpTwo).not.toBe(otpOne);
    // Each caller asking again within the interval: its own transaction, no SMS.
    expect(transactionOf(await check({ user: 'carol', pass: 'carolpin' }, '127.0.0.2'))).toBe(transactionOf(two));
    await settle(300);
    expect(smsTo(phone)).toHaveLength(2);
    // Without concurrent challenges the newest OTP logs in (privacyIDEA's rule too).
    const accepted = await check({ user: 'carol', pass: otpTwo, transaction_id: transactionOf(two) }, '127.0.0.2');
    expect(accepted.json?.result.authentication, accepted.text).toBe('ACCEPT');
  });

  it('behind a trusted proxy, X-Forwarded-For and the client parameter name the caller; from anyone else client is ignored', async () => {
    const phone = '+491700000003';
    const ask = (source: string, extra: Record<string, string>, headers: Record<string, string> = {}) =>
      check({ user: 'dave', pass: 'davepin', ...extra }, source, headers).then(transactionOf);
    // One caller asking twice gets its own challenge back; the next caller gets its own (and,
    // without concurrent challenges, the newer challenge is the one that can be answered).
    const viaProxyA = await ask('127.0.0.1', {}, { 'X-Forwarded-For': '192.0.2.10' });
    expect(await ask('127.0.0.1', {}, { 'X-Forwarded-For': '192.0.2.10' })).toBe(viaProxyA);
    const viaProxyB = await ask('127.0.0.1', {}, { 'X-Forwarded-For': '192.0.2.11' });
    expect(viaProxyB).not.toBe(viaProxyA);
    // privacyIDEA's client parameter, from the trusted proxy: a caller of its own.
    const named = await ask('127.0.0.1', { client: '198.51.100.7' });
    expect(named).not.toBe(viaProxyB);
    expect(await ask('127.0.0.1', { client: '198.51.100.7' })).toBe(named);
    // From a caller that is no trusted proxy, client (and X-Forwarded-For) change nothing.
    const plain = await ask('127.0.0.2', {});
    expect(plain).not.toBe(named);
    expect(await ask('127.0.0.2', { client: '198.51.100.8' }, { 'X-Forwarded-For': '192.0.2.12' })).toBe(plain);
    // A client parameter that is no address, from the trusted proxy: a clear 400.
    const bad = await check({ user: 'dave', pass: 'davepin', client: 'not an address' }, '127.0.0.1');
    expect(bad.status).toBe(400);
    expect(bad.json?.result.error?.message).toContain("parameter 'client' must be an IP address");
    for (let i = 0; i < 4; i++) await nextOtp(phone);
    await settle(300);
    expect(smsTo(phone)).toHaveLength(4);
  });

  it('a transaction started over HTTP is still not answered over RADIUS, whoever asks', async () => {
    const started = await check({ user: 'dave', pass: 'davepin' }, '127.0.0.1', { 'X-Forwarded-For': '192.0.2.99' });
    const otp = await nextOtp('+491700000003');
    const state = `0x${Buffer.from(transactionOf(started), 'latin1').toString('hex')}`;
    const answer = await radius('dave', otp, state);
    expect(answer.code).toBe('Access-Reject');
    expect(messageOf(answer)).toEqual(['The challenge is unknown or has expired']);
  });

  it('with sms.concurrent_challenges every PIN request gets its own challenge and SMS, and each OTP logs in, in any order', async () => {
    const phone = '+491700000004';
    await daemon.configure('setting', 'set', 'sms.concurrent_challenges', 'true');
    try {
      // RADIUS: three PIN requests, three SMS; answered newest first, then oldest, then the middle.
      const challenges: Array<{ state: string; otp: string }> = [];
      for (let i = 0; i < 3; i++) {
        const c = await radius('erin', 'erinpin');
        expect(c.code).toBe('Access-Challenge');
        challenges.push({ state: stateOf(c), otp: await nextOtp(phone) });
      }
      expect(new Set(challenges.map((c) => c.state)).size).toBe(3);
      for (const i of [2, 0, 1]) {
        const { state, otp } = challenges[i]!;
        expect((await radius('erin', otp, state)).code, `challenge ${i}`).toBe('Access-Accept');
      }
      // HTTP: two callers, both logged in, the older one last.
      const one = await check({ user: 'erin', pass: 'erinpin' }, '127.0.0.1');
      const otpOne = await nextOtp(phone);
      const two = await check({ user: 'erin', pass: 'erinpin' }, '127.0.0.2');
      const otpTwo = await nextOtp(phone);
      expect(transactionOf(two)).not.toBe(transactionOf(one));
      expect((await check({ user: 'erin', pass: otpTwo, transaction_id: transactionOf(two) }, '127.0.0.2')).json?.result.authentication).toBe('ACCEPT');
      expect((await check({ user: 'erin', pass: otpOne, transaction_id: transactionOf(one) }, '127.0.0.1')).json?.result.authentication).toBe('ACCEPT');
    } finally {
      await daemon.configure('setting', 'set', 'sms.concurrent_challenges', 'false');
    }
  });

  it('gateway down, then up: the first login says the SMS could not be sent, the next one sends a new SMS (RADIUS and HTTP)', async () => {
    const phone = '+491700000005';
    gw.respond(503, 'down');
    try {
      const down = await radius('frank', 'frankpin');
      expect(down.code).toBe('Access-Reject');
      expect(messageOf(down)).toEqual([SMS_FAILED]);
      const downHttp = await check({ user: 'frank', pass: 'frankpin' });
      expect(downHttp.json?.detail?.message).toBe(SMS_FAILED);
    } finally {
      gw.respond(200, 'OK');
    }
    // Each request tried the gateway (nothing was offered instead).
    expect(smsTo(phone)).toHaveLength(2);
    const up = await radius('frank', 'frankpin');
    expect(up.code).toBe('Access-Challenge');
    await settle(200);
    expect(smsTo(phone)).toHaveLength(3);
    const otp = smsTo(phone).at(-1)!.query.get('text')!;
    expect((await radius('frank', otp, stateOf(up))).code).toBe('Access-Accept');
  });

  it('an SMS that fails after its challenge was answered (past sms_deadline) is never offered again: the next request tries the gateway', async () => {
    const phone = '+491700000005';
    const seen = smsTo(phone).length;
    // Slower than the NAS's sms_deadline (2 s), and then a failure.
    gw.respond(503, 'down', 3500);
    const first = await radius('frank', 'frankpin');
    expect(first.code).toBe('Access-Challenge');
    // Still on its way: a NAS asking again gets the same challenge, nothing is sent twice.
    const again = await radius('frank', 'frankpin');
    expect(stateOf(again)).toBe(stateOf(first));
    expect(smsTo(phone)).toHaveLength(seen + 1);
    // The late failure is known (audited, logged) ...
    for (let waited = 0; !daemon.logs().includes('SMS not sent after sms_deadline') && waited < 10_000; waited += 100) await settle(100);
    expect(daemon.logs()).toContain('SMS not sent after sms_deadline');
    // ... so the next request, well within sms.resend_interval, tries the gateway again.
    gw.respond(503, 'down');
    const stillDown = await radius('frank', 'frankpin');
    expect(stillDown.code).toBe('Access-Reject');
    expect(messageOf(stillDown)).toEqual([SMS_FAILED]);
    expect(smsTo(phone)).toHaveLength(seen + 2);
    gw.respond(200, 'OK');
    const up = await radius('frank', 'frankpin');
    expect(up.code).toBe('Access-Challenge');
    expect(stateOf(up)).not.toBe(stateOf(first));
    await settle(200);
    expect(smsTo(phone)).toHaveLength(seen + 3);
    expect((await radius('frank', smsTo(phone).at(-1)!.query.get('text')!, stateOf(up))).code).toBe('Access-Accept');
  });
});

describe.each([
  ['SQLite', false],
  ['PostgreSQL', true],
] as const)('the SMS limits count what reached a gateway (%s)', (_name, onPg) => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let drop: (() => Promise<void>) | undefined;
  const pin = (password = 'limitpin') => radclient(daemon, { 'User-Name': '"lena"', 'User-Password': JSON.stringify(password) });

  beforeAll(async () => {
    gw = await startSmsGateway();
    let database: { client: 'pg'; url: string } | undefined;
    if (onPg) {
      const db = await createTestDatabase();
      drop = db.drop;
      database = { client: 'pg', url: db.url };
    }
    daemon = await createDaemon({ radius: { reject_delay: '0' }, ...(database ? { database } : {}) });
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    // A gateway nobody listens for: the connection is refused, nothing leaves.
    const closed = await freeTcpPort();
    await daemon.ok('gateway', 'set', 'dead', '--module', 'http', '--option', `URL=http://127.0.0.1:${closed}/sms`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    await daemon.ok('setting', 'set', 'sms.limit.phone', '3/10m');
    await daemon.ok('token', 'enroll', '--user', 'lena', '--phone', '+4917077777', '--pin', 'limitpin', '--serial', 'LIMIT1');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await drop?.();
  });

  it('refused and never-connected sends are not counted; a 5xx (the gateway may have taken it) is; then the limit holds', async () => {
    gw.respond(400, 'no such route');
    for (let i = 0; i < 4; i++) expect(messageOf(await pin())).toEqual([SMS_FAILED]);
    await daemon.configure('setting', 'set', 'sms.identifier', 'dead');
    for (let i = 0; i < 2; i++) expect(messageOf(await pin())).toEqual([SMS_FAILED]);
    await daemon.configure('setting', 'set', 'sms.identifier', 'gw1');
    expect(daemon.logs()).toContain('not counted against the SMS limits: it reached no gateway');
    gw.respond(503, 'busy');
    expect(messageOf(await pin())).toEqual([SMS_FAILED]);
    gw.respond(200, 'OK');
    // 1 of 3 counted so far (the 5xx): two more go out, the next is held back.
    for (let i = 0; i < 2; i++) expect((await pin()).code).toBe('Access-Challenge');
    const held = await pin();
    expect(held.code).toBe('Access-Reject');
    expect(messageOf(held)).toEqual(['Too many codes requested; try again in 10 minutes']);
    // What reached the gateway: 4 refused + 1 answered 5xx + 2 sent; the held one never went.
    expect(gw.received).toHaveLength(7);
  });
});

describe('token enroll --dynamic-phone under otppin userstore', () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await createDaemon();
  });

  it('asks for no PIN (none is used) where tokenpin insists on one, without a terminal', async () => {
    const refused = await daemon.cli('token', 'enroll', '--user', 'gina', '--dynamic-phone');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--pin');
    await daemon.ok('setting', 'set', 'otppin', 'userstore');
    const serial = await daemon.ok('token', 'enroll', '--user', 'gina', '--dynamic-phone');
    expect(serial).toMatch(/^PISM/);
  });
});
