// The whole product as an operator runs it: the daemon process, the CLI, a real HTTP SMS
// gateway, and RADIUS clients nobody here wrote (FreeRADIUS's radclient, python3-pyrad).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { pyrad, radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

async function setUp(daemon: TestDaemon, gw: SmsGateway): Promise<void> {
  await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}',
    '--option', 'api_secret=gw-topsecret');
  await daemon.configure('setting', 'set', 'sms.identifier', 'gw1');
  // These tests send alice's PIN again and again without answering, and each must reach the
  // gateway: no fresh challenge is repeated (that rule is tested in never-outlast-the-nas).
  await daemon.configure('setting', 'set', 'sms.resend_interval', '0');
  await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISM00000001');
}

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';

describe('RADIUS login on the embedded store, with radclient', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon();
    await setUp(daemon, gw);
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('PIN → Access-Challenge with State and prompt → OTP from the SMS → Access-Accept; a replay is rejected', async () => {
    const first = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(first.code).toBe('Access-Challenge');
    expect(first.order[0]).toBe('Message-Authenticator');
    expect(first.attributes['Reply-Message']).toEqual(['Enter the OTP from the SMS:']);
    expect(first.attributes['Session-Timeout']).toEqual(['300']);
    const state = stateOf(first);
    expect(Buffer.from(state.slice(2), 'hex').toString('latin1')).toMatch(/^\d{40}$/);

    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917012345');
    expect(sms.query.get('text')).toBe(RFC4226_HOTP[1]);
    expect(sms.query.get('api_secret')).toBe('gw-topsecret');

    const second = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${sms.query.get('text')}"`, State: state });
    expect(second.code).toBe('Access-Accept');
    expect(second.attributes['Reply-Message']).toEqual(['Access granted']);

    const replay = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${sms.query.get('text')}"`, State: state });
    expect(replay.code).toBe('Access-Reject');
    expect(replay.attributes['Reply-Message']).toEqual(['The challenge is unknown or has expired']);
  });

  it('accepts PIN+OTP in one request, and rejects a wrong PIN and a wrong OTP with their messages', async () => {
    const token = JSON.parse(await daemon.ok('token', 'show', 'PISM00000001')) as { counter: number };
    const otp = RFC4226_HOTP[token.counter]!;
    expect((await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"pin1234${otp}"` })).code).toBe('Access-Accept');
    const wrongPin = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin9999"' });
    expect(wrongPin.code).toBe('Access-Reject');
    expect(wrongPin.attributes['Reply-Message']).toEqual(['wrong otp pin']);
    const wrongOtp = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"pin1234${otp}"` });
    expect(wrongOtp.attributes['Reply-Message']).toEqual(['wrong otp value']);
    await daemon.ok('token', 'reset', 'PISM00000001');
  });

  it('takes CLI changes at the next request, without a restart', async () => {
    await daemon.configure('setting', 'set', 'smstext', 'Your code: {otp}');
    await daemon.configure('setting', 'set', 'sms_challenge_text', 'Code sent to {phone_redacted}');
    const r = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(r.attributes['Reply-Message']).toEqual(['Code sent to *********45']);
    expect((await gw.next()).query.get('text')).toMatch(/^Your code: \d{6}$/);
    await daemon.ok('token', 'disable', 'PISM00000001');
    const disabled = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(disabled.attributes['Reply-Message']).toEqual(['Token is disabled']);
    await daemon.ok('token', 'enable', 'PISM00000001');
    await daemon.configure('setting', 'unset', 'smstext');
    await daemon.configure('setting', 'unset', 'sms_challenge_text');
  });

  it('rejects when the gateway fails, and logs the gateway id without PIN, OTP or gateway secret', async () => {
    gw.respond(503, 'busy');
    const r = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    gw.respond(200, 'OK');
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['The PIN was correct, but the SMS could not be sent!']);
    const failed = await gw.next();
    const logs = daemon.logs();
    expect(logs).toMatch(/"gateway":"gw1".*answered HTTP 503|answered HTTP 503.*"gateway":"gw1"/);
    for (const secret of ['pin1234', 'gw-topsecret', failed.query.get('text')!, 'testing123']) expect(logs).not.toContain(secret);
  });

  it('shows gateway secrets censored and keeps them when the censored value is sent back', async () => {
    const shown = await daemon.ok('gateway', 'show', 'gw1');
    expect(shown).not.toContain('gw-topsecret');
    expect(shown).toContain('__CENSORED__');
    await daemon.configure('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}',
      '--option', 'api_secret=__CENSORED__');
    await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect((await gw.next()).query.get('api_secret')).toBe('gw-topsecret');
  });

  it('answers Status-Server when the store is healthy', async () => {
    const r = await radclient(daemon, { 'Packet-Type': 'Status-Server' });
    expect(r.code).toBe('Access-Accept');
  });

  it('drops requests signed with the wrong secret (Message-Authenticator) instead of answering', async () => {
    const r = await radclient({ ...daemon, secret: 'not-the-secret' }, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
    expect(r.code).toBe('timeout');
  });
});

describe('RADIUS login on PostgreSQL, with pyrad, across two daemons', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestDaemon;
  let b: TestDaemon;
  let gw: SmsGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startSmsGateway();
    // pyrad 2.1 cannot send Message-Authenticator: this client is configured as such a NAS.
    const clients = [{ name: 'pyrad', address: '127.0.0.1/32', secret: 'testing123', require_message_authenticator: 'no' }];
    a = await createDaemon({ database: { client: 'pg', url: db.url }, clients });
    await setUp(a, gw);
    await a.start();
    b = await createDaemon({ database: { client: 'pg', url: db.url }, keyfile: a.keyfile, clients });
    await b.start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await gw?.close();
    await db?.drop();
  });

  it('a challenge issued by one daemon is answered at the other; pyrad verifies every response authenticator', async () => {
    const first = await pyrad(a, { user: 'alice', password: 'pin1234' });
    expect(first.code).toBe('Access-Challenge');
    expect(first.order[0]).toBe('80');
    const otp = (await gw.next()).query.get('text')!;
    expect(otp).toBe(RFC4226_HOTP[1]);
    const state = first.attributes.State?.[0] ?? '';
    const second = await pyrad(b, { user: 'alice', password: otp, state });
    expect(second.code).toBe('Access-Accept');
    expect((await pyrad(a, { user: 'alice', password: otp, state })).code).toBe('Access-Reject');
  });

  it('refuses to start a node whose key file differs from the store’s, naming the key', async () => {
    const stranger = await createDaemon({ database: { client: 'pg', url: db.url } });
    writeFileSync(stranger.keyfile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    await expect(stranger.start()).rejects.toThrow(/secrets.keyfile .* is not the key file this store was set up with/);
    const cli = await stranger.cli('token', 'list');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/every daemon and CLI of a site must use a copy of the same key file/);
  });

  it('a token enrolled through one daemon’s CLI logs in at the other at once', async () => {
    await b.ok('token', 'enroll', '--user', 'dave', '--phone', '+15550001', '--pin', 'dpin', '--otpkey', RFC4226_KEY);
    const r = await pyrad(a, { user: 'dave', password: `dpin${RFC4226_HOTP[0]}` });
    expect(r.code).toBe('Access-Accept');
    expect(r.attributes['Reply-Message']).toEqual(['Access granted']);
  });
});

describe('RADIUS over IPv6', () => {
  it('serves a client on ::1', async () => {
    const gw = await startSmsGateway();
    const daemon = await createDaemon({ listenHost: '::1' });
    try {
      await setUp(daemon, gw);
      await daemon.start();
      const r = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"pin1234${RFC4226_HOTP[0]}"` });
      expect(r.code).toBe('Access-Accept');
    } finally {
      await daemon.stop();
      await gw.close();
    }
  });
});

describe('shutdown', () => {
  it('answers a request already in flight (SMS on its way) before it exits on SIGTERM', async () => {
    const gw = await startSmsGateway();
    const daemon = await createDaemon();
    try {
      await setUp(daemon, gw);
      await daemon.start();
      gw.respond(200, 'OK', 1500);
      const pending = radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"' });
      await gw.next();
      const stopped = daemon.stop();
      const reply = await pending;
      expect(reply.code, daemon.logs()).toBe('Access-Challenge');
      await stopped;
      expect(daemon.logs()).toContain('sms-otp-radiusd stopped');
    } finally {
      await daemon.stop();
      await gw.close();
    }
  });
});
