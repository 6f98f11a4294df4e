// An operator changes gateways, settings and tokens with the CLI while the daemon on the
// embedded SQLite store is busy with logins. Both processes write the same file: neither
// may fail with SQLITE_BUSY, no login may be lost or answered 'unavailable'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { describeAnswer, RadiusPeer, type Answer } from '../helpers/radius-peer.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const SECRET = 'testing123';
const USERS = 16; // one worker per user, so 16 requests in flight
const LOAD_MS = 8_000;
const CLI_WRITES = 15;
const REQUEST_TIMEOUT_MS = 10_000;
const UNAVAILABLE = 'The authentication service is unavailable, try again later';
const BUSY = /SQLITE_BUSY|database is locked/i;

const phoneOf = (i: number) => `+49170555${String(i).padStart(4, '0')}`;

interface LoadResult {
  requests: number;
  logins: number;
  lost: string[];
  unavailable: string[];
  unexpected: string[];
}

/**
 * Logs user i in over and over until stop(): three full logins (PIN → SMS → State+OTP, six
 * store writes) to one PIN+OTP login.
 */
async function worker(i: number, peer: RadiusPeer, gw: SmsGateway, stopped: () => boolean, result: LoadResult): Promise<void> {
  const user = `load${i}`;
  const pin = `pin${i}`;
  let counter = 0; // the token's counter as the test expects it
  const check = (what: string, a: Answer, expected: number): boolean => {
    result.requests++;
    const line = `${user} ${what}: ${describeAnswer(a)}`;
    if (a.code === undefined) result.lost.push(line);
    else if (a.message === UNAVAILABLE) result.unavailable.push(line);
    else if (a.code !== expected) result.unexpected.push(line);
    else return true;
    return false;
  };
  for (let round = 0; !stopped(); round++) {
    if (round % 4 === 3) {
      const a = await peer.request({ user, password: `${pin}${hotp(RFC4226_KEY, counter)}` }, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (!check('PIN+OTP', a, Code.AccessAccept)) return;
      counter += 1;
    } else {
      const c = await peer.request({ user, password: pin }, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (!check('PIN', c, Code.AccessChallenge)) return;
      // The SMS left before the challenge was answered; the template may be changing under us.
      const sms = [...gw.received].reverse().find((m) => m.query.get('to') === phoneOf(i));
      const otp = /\b(\d{6})\b/.exec(sms?.query.get('text') ?? '')?.[1];
      if (otp !== hotp(RFC4226_KEY, counter + 1)) {
        result.unexpected.push(`${user}: SMS '${sms?.query.get('text')}' does not carry HOTP(${counter + 1})`);
        return;
      }
      const a = await peer.request({ user, password: otp, state: c.state! }, { timeoutMs: REQUEST_TIMEOUT_MS });
      if (!check('State+OTP', a, Code.AccessAccept)) return;
      counter += 2;
    }
    result.logins++;
  }
}

describe('CLI writes while the daemon is under load (SQLite)', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let peer: RadiusPeer;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}',
      '--option', 'api_secret=gw-secret');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    // Cheap PIN hashes: more logins per second, so more store writes competing with the CLI.
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    // Every user gets an SMS every few hundred milliseconds: the flood limits would refuse them,
    // and they are not what this measures (test/e2e/sms-limits.test.ts is).
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    const enroll = (i: number) =>
      daemon.ok('token', 'enroll', '--user', `load${i}`, '--phone', phoneOf(i), '--pin', `pin${i}`, '--otpkey', RFC4226_KEY, '--serial', `LOAD${i}`);
    for (let i = 0; i < USERS; i += 4) await Promise.all([i, i + 1, i + 2, i + 3].filter((n) => n < USERS).map(enroll));
    await daemon.ok('token', 'enroll', '--user', 'spare', '--phone', '+4917000000', '--pin', 'sparepin', '--serial', 'SPARE');
    await daemon.start();
    peer = await RadiusPeer.open({ port: daemon.port, secret: SECRET });
  });
  afterAll(async () => {
    peer?.close();
    await daemon?.stop();
    await gw?.close();
  });

  it(`${CLI_WRITES} CLI writes during ${USERS} logins in flight: every one exits 0 without SQLITE_BUSY; no login lost or 'unavailable'`, async () => {
    const result: LoadResult = { requests: 0, logins: 0, lost: [], unavailable: [], unexpected: [] };
    let stop = false;
    const started = Date.now();
    const load = Promise.all(Array.from({ length: USERS }, (_x, i) => worker(i, peer, gw, () => stop, result)));

    await new Promise((resolve) => setTimeout(resolve, 500));
    const cli: string[] = [];
    const run = async (...args: string[]) => {
      const t = Date.now();
      const r = await daemon.cli(...args);
      const line = `${args.slice(0, 2).join(' ')}: exit ${r.code} after ${Date.now() - t} ms${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`;
      cli.push(line);
      return { ...r, line };
    };
    const failedCli: string[] = [];
    for (let n = 0; n < CLI_WRITES; n++) {
      const steps: Array<Awaited<ReturnType<typeof run>>> = [];
      if (n % 3 === 0) {
        // gateway set reads the stored definition (to keep censored secrets) and writes it back
        steps.push(
          await run('gateway', 'set', 'gw1', '--module', 'http', '--description', `revision ${n}`, '--option', `URL=${gw.url}`,
            '--option', 'to={phone}', '--option', 'text={otp}', '--option', 'api_secret=__CENSORED__'),
        );
      } else if (n % 3 === 1) {
        steps.push(await run('setting', 'set', 'smstext', `Code {otp} revision ${n}`));
      } else {
        steps.push(await run('token', 'set', 'SPARE', '--phone', `+49170000${String(n).padStart(4, '0')}`));
      }
      for (const s of steps) if (s.code !== 0 || BUSY.test(s.stdout + s.stderr)) failedCli.push(s.line);
    }
    while (Date.now() - started < LOAD_MS) await new Promise((resolve) => setTimeout(resolve, 100));
    stop = true;
    await load;
    const seconds = (Date.now() - started) / 1000;
    const summary =
      `${result.logins} logins, ${result.requests} requests in ${seconds.toFixed(1)} s\n` +
      `CLI:\n  ${cli.join('\n  ')}\nlost:\n  ${result.lost.join('\n  ')}\nunavailable:\n  ${result.unavailable.join('\n  ')}\n` +
      `unexpected:\n  ${result.unexpected.join('\n  ')}`;

    expect.soft(failedCli, summary).toEqual([]);
    expect.soft(result.lost, summary).toEqual([]);
    expect.soft(result.unavailable, summary).toEqual([]);
    expect.soft(result.unexpected, summary).toEqual([]);
    expect(result.logins, `the load ran: ${summary}`).toBeGreaterThanOrEqual(USERS * 2);
    // The writes took effect; the censored secret was kept.
    expect(JSON.parse(await daemon.ok('gateway', 'show', 'gw1')).description).toBe('revision 12');
    expect(gw.received.at(-1)?.query.get('api_secret')).toBe('gw-secret');
    expect(await daemon.ok('setting', 'get', 'smstext')).toContain('revision 13');
    expect(JSON.parse(await daemon.ok('token', 'show', 'SPARE')).phone).toBe('+491700000014');
  }, 60_000);
});
