// OpenVPN's static challenge as radclient sends it (the password field as OpenVPN builds it,
// SCRV1:<base64 password>:<base64 response>), for what the OpenVPN interop test cannot show:
// the Reply-Message of each answer, and the refusal of a malformed SCRV1 password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { counter } from '../helpers/metrics.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const scrv1 = (pin: string, response: string) => `SCRV1:${b64(pin)}:${b64(response)}`;

describe('OpenVPN static challenge (SCRV1) over RADIUS', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({ metrics: true, radius: { reject_delay: '0' } });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISM0SCRV001');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  const login = (password: string) => radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${password}"` });

  it('an empty response sends the SMS and rejects with the prompt; the code as the response is accepted', async () => {
    const ask = await login(scrv1('pin1234', ''));
    expect(ask.code).toBe('Access-Reject');
    expect(ask.attributes['Reply-Message']).toEqual(['Enter the OTP from the SMS:']);
    expect(ask.attributes.State).toBeUndefined();
    const otp = (await gw.next()).query.get('text')!;
    expect(otp).toBe(RFC4226_HOTP[1]);

    const answer = await login(scrv1('pin1234', otp));
    expect(answer.code).toBe('Access-Accept');
    expect(answer.attributes['Reply-Message']).toEqual(['Access granted']);
  });

  it('a wrong PIN or a wrong code is an ordinary reject', async () => {
    expect((await login(scrv1('pin9999', ''))).attributes['Reply-Message']).toEqual(['wrong otp pin']);
    expect((await login(scrv1('pin1234', '000000'))).attributes['Reply-Message']).toEqual(['wrong otp value']);
  });

  it('a malformed SCRV1 password is refused before anything is checked, logged once and counted', async () => {
    const failcount = async () => (JSON.parse(await daemon.ok('token', 'show', 'PISM0SCRV001')) as { failcount: number }).failcount;
    const before = await failcount();
    const refused = await login('SCRV1:not base64:MTIz');
    expect(refused.code).toBe('Access-Reject');
    expect(refused.attributes['Reply-Message']).toEqual(['The static-challenge password (SCRV1) is malformed']);
    expect((await login('SCRV1:cGluMTIzNA==')).code).toBe('Access-Reject');
    expect(await counter(daemon.metricsUrl!, 'sms_otp_radius_refused_total', { client: 'localhost', reason: 'bad_static_challenge' })).toBe(2);
    const lines = daemon.logs().split('\n').filter((l) => l.includes('malformed OpenVPN static-challenge password'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"user":"alice"');
    expect(lines[0]).not.toContain('"stack"');
    // The token's fail counter did not move: nothing was checked.
    expect(await failcount()).toBe(before);
  });
});
