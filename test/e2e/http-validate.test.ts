// The HTTP front as privacyIDEA's clients use it: the daemon process with an http listener,
// a real HTTP SMS gateway, and clients that are not ours (curl as the PAM module, Python's
// urllib as the FreeRADIUS plugin, radclient for the other front).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { counter as metricCounter, scrape } from '../helpers/metrics.js';
import { curl, freeradiusPlugin, pamModule, type HttpAnswer } from '../helpers/http-clients.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const PIN = 'pin4711';
const SMS_FAILED = 'The PIN was correct, but the SMS could not be sent!';

describe('HTTP front: privacyIDEA /validate API', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let base: string;
  const otps: string[] = [];
  const keys: string[] = [];

  /** The OTP of the next SMS the gateway receives (remembered, to look for it in the logs). */
  const nextOtp = async () => {
    const otp = (await gw.next()).query.get('text') ?? '';
    expect(otp).toMatch(/^\d{6}$/);
    otps.push(otp);
    return otp;
  };
  const counter = async () => (JSON.parse(await daemon.ok('token', 'show', 'PISM00000001')) as { counter: number }).counter;
  /** PIN+OTP for the token's next counter, computed from the RFC 4226 key as the phone would. */
  const nextPinOtp = async () => {
    const otp = hotp(RFC4226_KEY, await counter());
    otps.push(otp);
    return `${PIN}${otp}`;
  };
  const expectNoInternals = (a: HttpAnswer) => {
    expect(a.text).not.toMatch(/\bat .*\.(js|ts):\d+|node_modules|stack|Error:/);
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    daemon = await createDaemon({
      radius: { reject_delay: '0' },
      // Loopback plays the reverse proxy: its X-Forwarded-For names the client.
      http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]`, trusted_proxies: '[ 127.0.0.1/32 ]' },
      metrics: true,
    });
    base = `http://127.0.0.1:${port}`;
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    // alice gets many SMS here, each PIN request its own: neither the flood limits nor the
    // reuse of a fresh challenge are what these tests look at.
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'PISM00000001');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('names the HTTP address in the start line and answers /healthz and /readyz', async () => {
    expect(daemon.logs()).toMatch(new RegExp(`"http":\\["${base.replace(/[/.]/g, '\\$&')}"\\]`));
    expect(await curl(`${base}/healthz`, [])).toMatchObject({ status: 200, json: { status: 'alive' } });
    expect(await curl(`${base}/readyz`, [])).toMatchObject({ status: 200, json: { status: 'ready' } });
  });

  it('PAM module (curl): PIN → CHALLENGE with transaction_id → OTP with transaction_id → ACCEPT; a replay is rejected', async () => {
    const first = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN });
    expect(first.status).toBe(200);
    const tid = first.json?.detail?.transaction_id ?? '';
    expect(tid).toMatch(/^\d{40}$/);
    expect(first.json).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: { status: true, value: false, authentication: 'CHALLENGE' },
      detail: {
        transaction_ids: [tid],
        multi_challenge: [{ transaction_id: tid, serial: 'PISM00000001', type: 'sms', client_mode: 'interactive', message: 'Enter the OTP from the SMS:', attributes: null }],
        messages: ['Enter the OTP from the SMS:'],
        message: 'Enter the OTP from the SMS:',
        serial: 'PISM00000001',
        type: 'sms',
        preferred_client_mode: 'interactive',
      },
    });
    expect(first.json?.version).toMatch(/^privacyIDEA \d+\.\d+/);
    const otp = await nextOtp();

    const second = await pamModule(`${base}/validate/check`, { user: 'alice', pass: otp, transaction_id: tid });
    expect(second).toMatchObject({ status: 200, json: { result: { status: true, value: true, authentication: 'ACCEPT' }, detail: { message: 'Access granted', serial: 'PISM00000001' } } });

    const replay = await pamModule(`${base}/validate/check`, { user: 'alice', pass: otp, transaction_id: tid });
    expect(replay.json).toMatchObject({ result: { value: false, authentication: 'REJECT' }, detail: { message: 'The challenge is unknown or has expired' } });
  });

  it('FreeRADIUS plugin (urllib): the legacy state parameter answers the challenge; PIN+OTP in one request is accepted', async () => {
    const first = await freeradiusPlugin(`${base}/validate/check`, { user: 'alice', pass: PIN, client: '192.0.2.10' });
    const tid = first.json?.detail?.transaction_id ?? '';
    expect(first.json?.result).toEqual({ status: true, value: false, authentication: 'CHALLENGE' });
    const otp = await nextOtp();
    const second = await freeradiusPlugin(`${base}/validate/check`, { user: 'alice', pass: otp, state: tid, client: '192.0.2.10' });
    expect(second.json?.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });

    const oneShot = await freeradiusPlugin(`${base}/validate/check`, { user: 'alice', pass: await nextPinOtp() });
    expect(oneShot.json).toMatchObject({ result: { value: true, authentication: 'ACCEPT' }, detail: { message: 'Access granted' } });
    // JSON bodies (the SSO plugins) and GET with a query string work the same.
    const json = await freeradiusPlugin(`${base}/validate/check`, { user: 'alice', pass: await nextPinOtp() }, { json: true });
    expect(json.json?.result.authentication).toBe('ACCEPT');
    const get = await curl(`${base}/validate/check`, ['-G', '--data-urlencode', 'user=alice', '--data-urlencode', `pass=${await nextPinOtp()}`]);
    expect(get.json?.result.authentication).toBe('ACCEPT');
    // realm apart, and serial without a user, name the same token.
    // A realm nobody is in: privacyIDEA's ERR904 (issue 19; it was a 200 REJECT "no tokens" before).
    const byRealm = await pamModule(`${base}/validate/check`, { user: 'alice', realm: 'nowhere', pass: `${PIN}000000` });
    expect(byRealm).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 904, message: 'ERR904: User <alice@nowhere> does not exist.' } } } });
    const bySerial = await pamModule(`${base}/validate/check`, { serial: 'PISM00000001', pass: await nextPinOtp() });
    expect(bySerial.json?.result.authentication).toBe('ACCEPT');
  });

  it('counts its requests in the metrics by route and status, never by raw URL', async () => {
    const url = daemon.metricsUrl!;
    const before = await metricCounter(url, 'sms_otp_http_requests_total', { endpoint: '/validate/check', status: '400' });
    const unmatchedBefore = await metricCounter(url, 'sms_otp_http_requests_total', { endpoint: 'unmatched', status: '404' });
    // An unknown user: privacyIDEA's ERR904, HTTP 400 (it was 200 before issue 19).
    await pamModule(`${base}/validate/check`, { user: 'nobody-here', pass: 'x' });
    await curl(`${base}/no/such/path?pass=123456`, []);
    expect(await metricCounter(url, 'sms_otp_http_requests_total', { endpoint: '/validate/check', status: '400' })).toBe(before + 1);
    expect(await metricCounter(url, 'sms_otp_http_requests_total', { endpoint: 'unmatched', status: '404' })).toBe(unmatchedBefore + 1);
    expect((await scrape(url)).text).not.toContain('no/such/path');
  });

  it('rejects a wrong PIN with privacyIDEA\'s message, HTTP 200 and status true', async () => {
    const wrong = await pamModule(`${base}/validate/check`, { user: 'alice', pass: 'nope1234' });
    expect(wrong).toMatchObject({ status: 200, json: { result: { status: true, value: false, authentication: 'REJECT' }, detail: { message: 'wrong otp pin' } } });
    await daemon.ok('token', 'reset', 'PISM00000001');
  });

  it('says the SMS could not be sent (a reject, or HTTP 500 with exception=1)', async () => {
    gw.respond(503, 'busy');
    try {
      const failed = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN });
      expect(failed).toMatchObject({ status: 200, json: { result: { status: true, value: false, authentication: 'REJECT' }, detail: { message: SMS_FAILED } } });
      const raised = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN, exception: '1' });
      expect(raised).toMatchObject({ status: 500, json: { result: { status: false, error: { message: SMS_FAILED } }, detail: null } });
      await gw.next();
      await gw.next();
    } finally {
      gw.respond(200, 'OK');
    }
  });

  it('/validate/radiuscheck: 204 without a body on accept, 400 otherwise', async () => {
    const ok = await pamModule(`${base}/validate/radiuscheck`, { user: 'alice', pass: await nextPinOtp() });
    expect(ok).toMatchObject({ status: 204, text: '' });
    const no = await pamModule(`${base}/validate/radiuscheck`, { user: 'alice', pass: 'nope1234' });
    expect(no.status).toBe(400);
    await daemon.ok('token', 'reset', 'PISM00000001');
  });

  it('/validate/triggerchallenge: refused without a key (401) and with a validate key (403); an admin key sends the SMS without a PIN', async () => {
    const admin = await daemon.ok('apikey', 'create', '--role', 'admin', '--description', 'SSO portal');
    const validate = await daemon.ok('apikey', 'create', '--role', 'validate');
    keys.push(admin, validate);
    expect(admin).toMatch(/^smsotp_[\w-]{43}$/);
    await new Promise((r) => setTimeout(r, 1200)); // every daemon knows a new key within a second

    const without = await pamModule(`${base}/validate/triggerchallenge`, { user: 'alice' });
    expect(without).toMatchObject({ status: 401, json: { result: { status: false, error: { code: 4033 } }, detail: null } });
    const wrongRole = await pamModule(`${base}/validate/triggerchallenge`, { user: 'alice' }, { 'PI-Authorization': validate });
    expect(wrongRole).toMatchObject({ status: 403, json: { result: { status: false } } });
    const unknown = await pamModule(`${base}/validate/triggerchallenge`, { user: 'alice' }, { Authorization: `${admin}x` });
    expect(unknown.status).toBe(401);
    const sentBefore = gw.received.length;

    const triggered = await freeradiusPlugin(`${base}/validate/triggerchallenge`, { user: 'alice' }, { headers: { 'PI-Authorization': admin } });
    expect(triggered).toMatchObject({ status: 200, json: { result: { status: true, value: 1, authentication: 'CHALLENGE' }, detail: { multi_challenge: [{ serial: 'PISM00000001', type: 'sms' }] } } });
    expect(gw.received.length).toBe(sentBefore + 1);
    const otp = await nextOtp();
    const answered = await pamModule(`${base}/validate/check`, { user: 'alice', pass: otp, transaction_id: triggered.json?.detail?.transaction_id ?? '' });
    expect(answered.json?.result.authentication).toBe('ACCEPT');

    const bySerial = await pamModule(`${base}/validate/triggerchallenge`, { serial: 'PISM00000001' }, { Authorization: admin });
    expect(bySerial.json?.result.value).toBe(1);
    await nextOtp();
    // Nobody of that name (no user store here: only token owners exist): privacyIDEA's ERR904 (issue 19).
    const nobody = await pamModule(`${base}/validate/triggerchallenge`, { user: 'nobody' }, { Authorization: admin });
    expect(nobody).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 904, message: 'ERR904: User <nobody@> does not exist.' } }, detail: null } });
  });

  it('api_key_required: /validate/check needs a key of role validate (or admin); a deleted key stops working', async () => {
    await daemon.configure('setting', 'set', 'api_key_required', 'true');
    try {
      const without = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN });
      expect(without).toMatchObject({ status: 401, json: { result: { status: false, error: { code: 4033 } } } });
      const listed = JSON.parse(await daemon.ok('apikey', 'list', '--json')) as Array<{ id: number; role: string; description: string }>;
      expect(listed.map((k) => [k.role, k.description])).toEqual([['admin', 'SSO portal'], ['validate', '']]);
      expect(JSON.stringify(listed)).not.toContain(keys[1]);
      const withKey = await pamModule(`${base}/validate/check`, { user: 'alice', pass: await nextPinOtp() }, { 'PI-Authorization': keys[1]! });
      expect(withKey.json?.result.authentication).toBe('ACCEPT');
      await daemon.configure('apikey', 'delete', String(listed[1]!.id));
      const deleted = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN }, { 'PI-Authorization': keys[1]! });
      expect(deleted.status).toBe(401);
      // Health checks stay open: a load balancer has no key.
      expect((await curl(`${base}/readyz`, [])).status).toBe(200);
    } finally {
      await daemon.configure('setting', 'unset', 'api_key_required');
    }
  });

  it('a transaction started over HTTP is not answered over RADIUS (and the other way round)', async () => {
    const http = await pamModule(`${base}/validate/check`, { user: 'alice', pass: PIN });
    const otp = await nextOtp();
    const tid = http.json?.detail?.transaction_id ?? '';
    const state = `0x${Buffer.from(tid, 'latin1').toString('hex')}`;
    const overRadius = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: state });
    expect(overRadius.code).toBe('Access-Reject');
    expect(overRadius.attributes['Reply-Message']).toEqual(['The challenge is unknown or has expired']);

    const radius = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${PIN}"` });
    expect(radius.code).toBe('Access-Challenge');
    const otp2 = await nextOtp();
    const radiusTid = Buffer.from((radius.attributes.State?.[0] ?? '').slice(2), 'hex').toString('latin1');
    const overHttp = await pamModule(`${base}/validate/check`, { user: 'alice', pass: otp2, transaction_id: radiusTid });
    expect(overHttp.json).toMatchObject({ result: { authentication: 'REJECT' }, detail: { message: 'The challenge is unknown or has expired' } });
    await daemon.ok('token', 'reset', 'PISM00000001');
  });

  it('answers oversized (413), malformed and unparseable requests (400) in privacyIDEA\'s error shape, without a stack trace', async () => {
    const url = `${base}/validate/check`;
    const cases: HttpAnswer[] = [
      await curl(url, ['-H', 'content-type: application/x-www-form-urlencoded', '--data-binary', `user=alice&pass=${'x'.repeat(20_000)}`]),
      await curl(url, ['-H', 'content-type: application/json', '--data-binary', '{"user": "alice", "pass": ']),
      await curl(url, ['-H', 'content-type: application/json', '--data-binary', '["alice"]']),
      await curl(url, ['-H', 'content-type: application/json', '--data-binary', '{"user": {"$ne": 1}, "pass": "x"}']),
      await curl(url, ['-H', 'content-type: application/json', '--data-binary', '{"__proto__": {"admin": true}, "user": "alice", "pass": "x"}']),
      await curl(url, ['-H', 'content-type: application/xml', '--data-binary', '<user>alice</user>']),
      await curl(url, ['--data-urlencode', 'user=alice', '--data-urlencode', 'user=bob', '--data-urlencode', 'pass=x']),
      await curl(url, ['--data-urlencode', 'user=alice']),
      await curl(url, ['--data-urlencode', 'pass=x']),
    ];
    for (const [i, a] of cases.entries()) {
      // Over the body limit: 413 since issue 19 (it was 400), so that a client can tell it apart.
      expect(a.status, a.text).toBe(i === 0 ? 413 : 400);
      expect(a.json?.result.status, a.text).toBe(false);
      expect(a.json?.result.error?.code, a.text).toBe(905);
      expect(a.json?.detail).toBeNull();
      expectNoInternals(a);
    }
    expect(cases[0]!.json?.result.error).toMatchObject({ message: 'the request body is larger than 16384 bytes', name: 'ERR_BODY_TOO_LARGE' });
    expect(cases[7]!.json?.result.error?.message).toBe("missing parameter: 'pass'");
    const notFound = await curl(`${base}/validate/nothing`, []);
    expect(notFound).toMatchObject({ status: 404, json: { result: { status: false, error: { code: 601 } } } });
    // A raw request that is no HTTP at all: an answer, no crash.
    const raw = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => socket.end('GARBAGE \x00\x01 HTTP/9\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(raw).toContain('"error":{"code":905,"message":"the request is malformed"');
    expect((await curl(`${base}/healthz`, [])).status).toBe(200);
  });

  it('audits HTTP requests as client http at the address the trusted proxy names', async () => {
    await pamModule(`${base}/validate/check`, { user: 'alice', pass: 'nope1234' }, { 'X-Forwarded-For': '203.0.113.7' });
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--client', 'http', '--json')) as Array<{ client: string; clientAddress: string; reason: string; nasIdentifier: string }>;
    expect(rows.at(-1)).toMatchObject({ client: 'http', clientAddress: '203.0.113.7', reason: 'wrong PIN', nasIdentifier: 'privacyIDEA-PAM/1.0' });
    expect(rows.some((r) => r.reason === 'SMS sent (triggerchallenge, without a first factor)')).toBe(true);
    await daemon.ok('token', 'reset', 'PISM00000001');
  });

  it('logs every request without the PIN, an OTP or an API key, and stops on SIGTERM', async () => {
    await daemon.stop();
    const logs = daemon.logs();
    expect(logs).toMatch(/"msg":"http request"/);
    expect(logs).toMatch(/"path":"\/validate\/check","status":200/);
    expect(otps.length).toBeGreaterThan(5);
    for (const secret of [PIN, ...keys]) expect(logs).not.toContain(secret);
    // An OTP as a value of its own: the same six digits inside a timestamp or a transaction id are no leak.
    for (const otp of otps) expect(logs).not.toMatch(new RegExp(`(?<!\\d)${otp}(?!\\d)`));
    expect(logs).toContain('sms-otp-radiusd stopped');
  });
});

describe('HTTP front: listener lifecycle', () => {
  it('SIGTERM lets a login in flight finish (its SMS gateway is slow), then the daemon exits', async () => {
    const gw = await startSmsGateway();
    const port = await freeTcpPort();
    const daemon = await createDaemon({ http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
    try {
      await useHttpGateway(daemon, gw.url);
      await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
      await daemon.ok('token', 'enroll', '--user', 'carol', '--phone', '+4917011111', '--pin', PIN, '--otpkey', RFC4226_KEY);
      await daemon.start();
      gw.respond(200, 'OK', 1500);
      const login = pamModule(`http://127.0.0.1:${port}/validate/check`, { user: 'carol', pass: PIN });
      await gw.next(); // the SMS is on its way: the request is in flight
      daemon.process()?.signal('SIGTERM');
      const answer = await login;
      expect(answer.json?.result.authentication).toBe('CHALLENGE');
      expect(await daemon.process()?.exited()).toBe(0);
      expect(daemon.logs()).toContain('sms-otp-radiusd stopped');
    } finally {
      await daemon.stop();
      await gw.close();
    }
  });


  it('a port in use is one line naming http.listen.N', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const daemon = await createDaemon({ http: { listen: `[ { host: "127.0.0.1", port: ${await freeTcpPort()} }, { host: "127.0.0.1", port: ${port} } ]` } });
    try {
      const failure = await daemon.start().then(() => '', (err: Error) => err.message);
      expect(failure).toContain(`cannot listen on 127.0.0.1:${port} (http.listen.1): the address is in use by another process`);
      expect(failure).not.toMatch(/\n\s+at /);
    } finally {
      await daemon.stop();
      blocker.close();
    }
  });
});
