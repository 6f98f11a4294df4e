// A real radcli NAS: ocserv 1.1.6 (AnyConnect-compatible VPN server) authenticating against the
// daemon over RADIUS, and openconnect 9 as the user at a terminal (--authenticate: the login
// dialog only, no tunnel). radcli sends a zero-length User-Password when the user just presses
// Enter at the OTP prompt; it must be the empty answer (a new SMS within the resend rules, or
// a Reply-Message that says when), never silence (ocserv would retry, mark us dead, 401).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { OpenconnectLogin, startOcserv, type Ocserv } from '../helpers/ocserv.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'ocserv-secret-42';
const RESEND_INTERVAL = 3;
/** radcli's wait for an answer: an answer must come well within it (no retransmission). */
const RADIUS_TIMEOUT = 10;
const PROMPT = /Password\d*:\s*$/;

interface CountersLine {
  counters: Record<string, { dropped: Record<string, number>; duplicates: number; refused: Record<string, number> }>;
}

describe('ocserv + openconnect (radcli)', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let ocserv: Ocserv;
  const logins: OpenconnectLogin[] = [];

  beforeAll(async () => {
    gw = await startSmsGateway();
    // radcli 1.2 signs no Access-Request (no Message-Authenticator): such a NAS is configured `no`.
    daemon = await createDaemon({
      secret: SECRET,
      clients: [{ name: 'ocserv', address: '127.0.0.1/32', secret: SECRET, require_message_authenticator: 'no' }],
      radius: { reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'sms.resend_interval', String(RESEND_INTERVAL));
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    ocserv = await startOcserv({ radiusPort: daemon.port, secret: SECRET, radiusTimeout: RADIUS_TIMEOUT });
  });
  afterAll(async () => {
    for (const login of logins) login.kill();
    await ocserv?.stop();
    await daemon?.stop();
    await gw?.close();
  });

  function login(user: string): OpenconnectLogin {
    const l = new OpenconnectLogin(ocserv, user);
    logins.push(l);
    return l;
  }

  it('logs in with the PIN, then the OTP from the SMS at the challenge prompt', async () => {
    const user = login('alice');
    await user.waitFor(PROMPT);
    user.type('pin1234');
    const otp = (await gw.next()).query.get('text')!;
    expect(await user.waitFor(PROMPT)).toContain('Enter the OTP from the SMS');
    user.type(otp);
    const { code, shown } = await user.finish();
    expect(shown).toMatch(/COOKIE=/);
    expect(code, shown).toBe(0);
  });

  it('Enter at the OTP prompt: a Reply-Message that says when, then after sms.resend_interval a new SMS', async () => {
    const user = login('alice');
    await user.waitFor(PROMPT);
    user.type('pin1234');
    const first = (await gw.next()).query.get('text')!;
    await user.waitFor(PROMPT);

    // Within the resend interval: no SMS, the prompt says when a new code can be had.
    let pressed = Date.now();
    user.type('');
    const early = await user.waitFor(PROMPT);
    expect(Date.now() - pressed, 'answered without a retransmission').toBeLessThan((RADIUS_TIMEOUT * 1000) / 2);
    expect(early).toMatch(/A new code can be requested in \d+ s\./);
    expect(gw.received.filter((sms) => sms.query.get('text') !== first).length).toBe(1); // only the first test's SMS

    // After it: a new SMS, and its OTP logs in.
    await new Promise((resolve) => setTimeout(resolve, RESEND_INTERVAL * 1000 + 200));
    pressed = Date.now();
    user.type('');
    const second = (await gw.next()).query.get('text')!;
    expect(second).not.toBe(first);
    await user.waitFor(PROMPT);
    expect(Date.now() - pressed, 'answered without a retransmission').toBeLessThan((RADIUS_TIMEOUT * 1000) / 2);
    user.type(second);
    const { code, shown } = await user.finish();
    expect(shown).toMatch(/COOKIE=/);
    expect(code, shown).toBe(0);
  });

  it('Enter at the password prompt: an Access-Reject, never silence', async () => {
    const user = login('alice');
    await user.waitFor(PROMPT);
    const pressed = Date.now();
    user.type('');
    // openconnect asks again after a failed login, or gives up: either way, it was answered.
    await user.waitFor(/Login failed|Password\d*:\s*$|[Ff]ailed/);
    expect(Date.now() - pressed, 'answered without a retransmission').toBeLessThan((RADIUS_TIMEOUT * 1000) / 2);
    user.kill();
  });

  it('dropped nothing and answered every request at the first try', async () => {
    await daemon.stop();
    const line = daemon.logs().split('\n').find((l) => l.includes('"counters"'));
    expect(line).toBeDefined();
    const counters = (JSON.parse(line!) as CountersLine).counters.ocserv!;
    expect(counters.dropped).toEqual({});
    expect(counters.duplicates).toBe(0);
    expect(counters.refused).toEqual({ empty_password: 1 });
  });
});
