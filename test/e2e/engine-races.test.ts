// One correct answer, sent many times at once as separate requests (own Identifier and
// Authenticator each, so not RFC 5080 retransmissions), as a NAS cluster or an impatient
// user with two tabs produces. Exactly one may log in; the losers of the race are refused,
// but losing a race is not a wrong answer: the token's fail counter must not move, or a
// burst of correct answers would lock the user out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { createTestDatabase } from '../helpers/pg.js';
import { describeAnswer, RadiusPeer, type Answer } from '../helpers/radius-peer.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'testing123';
const PARALLEL = 12;
const otpAt = (counter: number) => hotp(RFC4226_KEY, counter);
const UNAVAILABLE = 'The authentication service is unavailable, try again later';

interface TokenView {
  counter: number;
  failcount: number;
  maxfail: number;
  locked: boolean;
}

function tally(answers: Answer[]): { accepts: number; rejects: number; silent: number; unavailable: number; summary: string } {
  return {
    accepts: answers.filter((a) => a.code === Code.AccessAccept).length,
    rejects: answers.filter((a) => a.code === Code.AccessReject).length,
    silent: answers.filter((a) => a.code === undefined).length,
    unavailable: answers.filter((a) => a.message === UNAVAILABLE).length,
    summary: answers.map(describeAnswer).join('\n'),
  };
}

it('the test computes RFC 4226 OTPs right (Appendix D)', () => {
  expect(RFC4226_HOTP.map((_otp, counter) => otpAt(counter))).toEqual(RFC4226_HOTP);
});

describe.each(['sqlite', 'pg'] as const)('identical correct answers racing (%s store)', (kind) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let peer: RadiusPeer;
  const show = async (serial: string) => JSON.parse(await daemon.ok('token', 'show', serial)) as TokenView;

  beforeAll(async () => {
    gw = await startSmsGateway();
    if (kind === 'pg') db = await createTestDatabase();
    daemon = await createDaemon({
      ...(db ? { database: { client: 'pg' as const, url: db.url } } : {}),
      radius: { reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917000001', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'RACE0001');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '+4917000002', '--pin', 'bobpin', '--otpkey', RFC4226_KEY, '--serial', 'RACE0002');
    await daemon.start();
    peer = await RadiusPeer.open({ port: daemon.port, secret: SECRET });
  });
  afterAll(async () => {
    peer?.close();
    await daemon?.stop();
    await gw?.close();
    await db?.drop();
  });

  it(`${PARALLEL} identical PIN+OTP requests at once: one Access-Accept, the rest Access-Reject, fail counter unchanged, next OTP logs in`, async () => {
    const before = await show('RACE0001');
    expect(before.failcount).toBe(0);
    const password = `pin1234${otpAt(before.counter)}`;
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () => peer.request({ user: 'alice', password }, { timeoutMs: 15_000 })),
    );
    const t = tally(answers);
    expect(t.silent, `every request is answered:\n${t.summary}`).toBe(0);
    expect(t.unavailable, `no store error:\n${t.summary}`).toBe(0);
    expect(t.accepts, `exactly one Access-Accept:\n${t.summary}`).toBe(1);
    expect(t.rejects, t.summary).toBe(PARALLEL - 1);

    const after = await show('RACE0001');
    expect(after.failcount, `losing the race is not a failure; answers were:\n${t.summary}`).toBe(0);
    expect(after.counter).toBe(before.counter + 1);

    const next = await peer.request({ user: 'alice', password: `pin1234${otpAt(after.counter)}` }, { timeoutMs: 10_000 });
    expect(describeAnswer(next)).toMatch(/^Access-Accept "Access granted"/);
    expect((await show('RACE0001')).failcount).toBe(0);
  });

  it(`PIN → challenge, then ${PARALLEL} identical State+OTP answers at once: one Access-Accept, fail counter unchanged`, async () => {
    const before = await show('RACE0002');
    expect(before.failcount).toBe(0);
    const challenge = await peer.request({ user: 'bob', password: 'bobpin' }, { timeoutMs: 10_000 });
    expect(describeAnswer(challenge)).toMatch(/^Access-Challenge "Enter the OTP from the SMS:"/);
    const otp = (await gw.next()).query.get('text')!;
    expect(otp).toBe(otpAt(before.counter + 1));

    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () => peer.request({ user: 'bob', password: otp, state: challenge.state! }, { timeoutMs: 15_000 })),
    );
    const t = tally(answers);
    expect(t.silent, `every request is answered:\n${t.summary}`).toBe(0);
    expect(t.unavailable, `no store error:\n${t.summary}`).toBe(0);
    expect(t.accepts, `exactly one Access-Accept:\n${t.summary}`).toBe(1);
    expect(t.rejects, t.summary).toBe(PARALLEL - 1);

    const after = await show('RACE0002');
    expect(after.failcount, `losing the race is not a failure; answers were:\n${t.summary}`).toBe(0);

    const next = await peer.request({ user: 'bob', password: `bobpin${otpAt(after.counter)}` }, { timeoutMs: 10_000 });
    expect(describeAnswer(next)).toMatch(/^Access-Accept "Access granted"/);
  });
});
