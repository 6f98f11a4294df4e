// verify_enrollment and smsautosend as an operator and a NAS meet them: the CLI process, the
// daemon process, a real HTTP SMS gateway and FreeRADIUS's radclient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';

describe('verify_enrollment and smsautosend over RADIUS, with radclient', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;

  const enroll = (user: string, ...more: string[]) =>
    daemon.ok('token', 'enroll', '--user', user, '--phone', '+4917012345', '--pin', `${user}-pin`, '--otpkey', RFC4226_KEY, ...more);
  const access = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${password}"`, ...(state === undefined ? {} : { State: state }) });
  /** The STATE column of `token list` (read by the header's position: REALM may be empty). */
  const stateColumn = async (serial: string) => {
    const [header = '', ...lines] = (await daemon.ok('token', 'list')).split('\n');
    const line = lines.find((l) => l.startsWith(serial)) ?? '';
    return line.slice(header.indexOf('STATE')).split(/\s+/)[0];
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
    // Rejects are part of the story here; reject_delay would only make the test slow.
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    await useHttpGateway(daemon, gw.url);
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('token enroll --verify: unverified in list and show, no PIN+OTP, the challenge verifies and logs in', async () => {
    const serial = await enroll('bob', '--verify', '--serial', 'PISMBOB');
    expect(serial).toBe('PISMBOB');
    expect(await stateColumn(serial)).toBe('unverified');
    expect(JSON.parse(await daemon.ok('token', 'show', serial))).toMatchObject({ verified: false, active: true });

    const pinOtp = await access('bob', `bob-pin${RFC4226_HOTP[0]}`);
    expect(pinOtp.code).toBe('Access-Reject');
    expect(pinOtp.attributes['Reply-Message']).toEqual(['The token is not verified yet: enter the PIN alone, then the OTP from the SMS']);

    const first = await access('bob', 'bob-pin');
    expect(first.code).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toEqual(['Your phone number is being verified. Enter the OTP from the SMS:']);
    const otp = (await gw.next()).query.get('text')!;
    expect(otp).toBe(RFC4226_HOTP[1]);
    const wrong = await access('bob', '000000', stateOf(first));
    expect(wrong.attributes['Reply-Message']).toEqual(['Response did not match the challenge.']);
    expect(await stateColumn(serial)).toBe('unverified');
    const second = await access('bob', otp, stateOf(first));
    expect(second.code).toBe('Access-Accept');
    expect(await stateColumn(serial)).toBe('active');
    expect(JSON.parse(await daemon.ok('token', 'show', serial))).toMatchObject({ verified: true, failcount: 0 });
    // An ordinary token from now on.
    expect((await access('bob', `bob-pin${RFC4226_HOTP[2]}`)).code).toBe('Access-Accept');

    const audit = JSON.parse(await daemon.ok('audit', 'list', '--user', 'bob', '--json')) as Array<{ action: string; reason: string }>;
    expect(audit.map((e) => `${e.action}: ${e.reason}`)).toEqual([
      'admin: SMS token PISMBOB enrolled for *********45 (by root)',
      'reject: PIN+OTP for a token not verified yet',
      'challenge: SMS sent; it verifies the enrollment of PISMBOB',
      'reject: response did not match; enrollment not verified',
      'accept: challenge answered; enrollment verified',
      'accept: PIN+OTP matched',
    ]);
  });

  it('setting verify_enrollment makes new tokens unverified; --no-verify enrolls one verified', async () => {
    await daemon.configure('setting', 'set', 'verify_enrollment', 'true');
    try {
      const pending = await enroll('carol');
      const direct = await enroll('dave', '--no-verify');
      expect(await stateColumn(pending)).toBe('unverified');
      expect(await stateColumn(direct)).toBe('active');
      expect((await access('dave', `dave-pin${RFC4226_HOTP[0]}`)).code).toBe('Access-Accept');
      expect((await access('carol', `carol-pin${RFC4226_HOTP[0]}`)).code).toBe('Access-Reject');
      const list = JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string; verified: boolean }>;
      expect(list.find((t) => t.serial === pending)?.verified).toBe(false);
    } finally {
      await daemon.configure('setting', 'unset', 'verify_enrollment');
    }
  });

  it('smsautosend: after the accept the next OTP arrives by itself, and PIN+that OTP logs in next time', async () => {
    await enroll('erin', '--serial', 'PISMERIN');
    await daemon.configure('setting', 'set', 'smsautosend', 'true');
    try {
      const first = await access('erin', 'erin-pin');
      const otp = (await gw.next()).query.get('text')!;
      expect((await access('erin', otp, stateOf(first))).code).toBe('Access-Accept');
      const next = await gw.next();
      expect(next.query.get('to')).toBe('+4917012345');
      expect(next.query.get('text')).toBe(RFC4226_HOTP[2]);
      expect((await access('erin', `erin-pin${next.query.get('text')}`)).code).toBe('Access-Accept');
      expect((await gw.next()).query.get('text')).toBe(RFC4226_HOTP[3]);

      const audit = JSON.parse(await daemon.ok('audit', 'list', '--user', 'erin', '--action', 'autosend', '--json')) as Array<Record<string, unknown>>;
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({ action: 'autosend', reason: 'next OTP sent (smsautosend)', gateway: 'gw1', phone: '*********45' });
      expect(daemon.logs()).toContain('next OTP sent (smsautosend)');
      expect(daemon.logs()).not.toContain(RFC4226_HOTP[3]);
    } finally {
      await daemon.configure('setting', 'unset', 'smsautosend');
    }
  });

  it('smsautosend does not hold the Access-Accept while the gateway is slow', async () => {
    await enroll('fay');
    await daemon.configure('setting', 'set', 'smsautosend', 'true');
    try {
      gw.respond(200, 'OK', 2500);
      const started = Date.now();
      const reply = await access('fay', `fay-pin${RFC4226_HOTP[0]}`);
      expect(reply.code).toBe('Access-Accept');
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await gw.next()).query.get('text')).toBe(RFC4226_HOTP[1]);
    } finally {
      gw.respond(200, 'OK');
      await daemon.configure('setting', 'unset', 'smsautosend');
    }
  });
});
