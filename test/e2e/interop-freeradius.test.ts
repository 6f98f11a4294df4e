// FreeRADIUS proxying to us: radclient (the NAS) → FreeRADIUS → sms-otp-radiusd, through
// the challenge and back, with FreeRADIUS checking our authenticators on the way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startFreeRadiusProxy, type FreeRadiusProxy } from '../helpers/freeradius.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

describe('FreeRADIUS 3.2 as a proxy in front of the daemon', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let proxy: FreeRadiusProxy;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      secret: 'proxysecret',
      clients: [{ name: 'freeradius', address: '127.0.0.1/32', secret: 'proxysecret' }],
      radius: { reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    proxy = await startFreeRadiusProxy({ homePort: daemon.port, homeSecret: 'proxysecret', nasSecret: 'nassecret' });
  });
  afterAll(async () => {
    await proxy?.stop();
    await daemon?.stop();
    await gw?.close();
  });

  const nas = () => ({ host: '127.0.0.1', port: proxy.port, secret: 'nassecret' });

  it('carries the challenge, the State and the OTP through the proxy to an Access-Accept', async () => {
    const first = await radclient(nas(), { 'User-Name': '"alice"', 'User-Password': '"pin1234"' }, { timeout: 10 });
    expect(first.code, proxy.output().slice(-3000)).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toEqual(['Enter the OTP from the SMS:']);
    const otp = (await gw.next()).query.get('text')!;
    const second = await radclient(nas(), { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: first.attributes.State![0]! }, { timeout: 10 });
    expect(second.code).toBe('Access-Accept');
    expect(second.attributes['Reply-Message']).toEqual(['Access granted']);
  });

  it('passes our Access-Reject and its message back', async () => {
    const r = await radclient(nas(), { 'User-Name': '"alice"', 'User-Password': '"wrong"' }, { timeout: 10 });
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['wrong otp pin']);
  });

  it('passes our reject of a CHAP request back (no silence that would mark us dead), and the next login goes through', async () => {
    const chap = await radclient(nas(), { 'User-Name': '"alice"', 'CHAP-Password': '"x"' }, { timeout: 10 });
    expect(chap.code, proxy.output().slice(-3000)).toBe('Access-Reject');
    expect(chap.attributes['Reply-Message']).toEqual(['Only PAP (User-Password) is supported, not CHAP']);
    const next = await radclient(nas(), { 'User-Name': '"alice"', 'User-Password': '"wrong"' }, { timeout: 10 });
    expect(next.attributes['Reply-Message']).toEqual(['wrong otp pin']);
  });
});
