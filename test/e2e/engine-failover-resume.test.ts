// The shared PostgreSQL store drops off the network and comes back, under a running daemon
// (reached through a TCP proxy the test cuts). While it is gone, a failmode: failover NAS
// gets silence (so it asks its next RADIUS server), a closed one the 'unavailable' reject,
// and Status-Server falls silent (within 2 s: the daemon may notice the outage by a periodic
// probe rather than at once). Once it is back the daemon must answer again at once, and a
// NAS that kept retransmitting its request must get a real answer: the silence of the
// outage is not an answer to be replayed from the RFC 5080 duplicate cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { createTestDatabase } from '../helpers/pg.js';
import { describeAnswer, RadiusPeer, type Answer } from '../helpers/radius-peer.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'testing123';
const UNAVAILABLE = 'The authentication service is unavailable, try again later';
const PROMPT = 'Enter the OTP from the SMS:';
const SILENCE_MS = 5_000;
const STATUS_SILENT_AFTER_MS = 2_000;
const RETRANSMISSION_ANSWERED_MS = 2_000;
const STATUS_ANSWERED_MS = 3_000;

/** Sends a fresh Status-Server every 250 ms until one is answered; the time from `from` to that answer. */
async function firstStatusAnswer(peer: RadiusPeer, from: number, deadlineMs: number): Promise<number | undefined> {
  const tries: Array<Promise<Answer>> = [];
  let answeredAt: number | undefined;
  while (answeredAt === undefined && Date.now() - from < deadlineMs) {
    tries.push(
      peer.request({ code: Code.StatusServer }, { timeoutMs: 1_000 }).then((a) => {
        if (a.code === Code.AccessAccept) answeredAt ??= Date.now();
        return a;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await Promise.all(tries);
  return answeredAt === undefined ? undefined : answeredAt - from;
}

describe('the PostgreSQL store goes away and comes back', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let closed: RadiusPeer;
  let failover: RadiusPeer;

  beforeAll(async () => {
    let viaProxy: string;
    ({ db, proxy, url: viaProxy } = await proxiedTestDatabase());
    gw = await startSmsGateway();
    daemon = await createDaemon({
      database: { client: 'pg', url: viaProxy },
      clients: [
        { name: 'closed', address: '127.0.0.1/32', secret: SECRET },
        { name: 'failover', address: '127.0.0.2/32', secret: SECRET, failmode: 'failover' },
      ],
      radius: { reject_delay: '0' },
    });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917000101', '--pin', 'alicepin', '--otpkey', RFC4226_KEY, '--serial', 'FAIL0001');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '+4917000102', '--pin', 'bobpin', '--otpkey', RFC4226_KEY, '--serial', 'FAIL0002');
    await daemon.ok('token', 'enroll', '--user', 'carol', '--phone', '+4917000103', '--pin', 'carolpin', '--otpkey', RFC4226_KEY, '--serial', 'FAIL0003');
    await daemon.start();
    closed = await RadiusPeer.open({ port: daemon.port, secret: SECRET }, '127.0.0.1');
    failover = await RadiusPeer.open({ port: daemon.port, secret: SECRET }, '127.0.0.2');
  });
  afterAll(async () => {
    closed?.close();
    failover?.close();
    await daemon?.stop();
    proxy?.up();
    await proxy?.close();
    await gw?.close();
    await db?.drop();
  });

  it('silence for failover, "unavailable" for closed, silent Status-Server while down; answers resume within seconds when it is back', async () => {
    // Through the proxy, everything works.
    expect(describeAnswer(await closed.request({ code: Code.StatusServer }))).toMatch(/^Access-Accept/);
    expect(describeAnswer(await failover.request({ user: 'carol', password: `carolpin${hotp(RFC4226_KEY, 0)}` }))).toMatch(
      /^Access-Accept "Access granted"/,
    );

    proxy.down('reset');
    const downAt = Date.now();
    const [status, rejected, silent] = await Promise.all([
      // The daemon may take a moment to notice the outage (a health probe's period); then it falls silent.
      new Promise((resolve) => setTimeout(resolve, STATUS_SILENT_AFTER_MS)).then(() =>
        closed.request({ code: Code.StatusServer }, { timeoutMs: SILENCE_MS - STATUS_SILENT_AFTER_MS })),
      closed.request({ user: 'bob', password: 'bobpin' }, { timeoutMs: SILENCE_MS }),
      failover.request({ user: 'alice', password: 'alicepin' }, { timeoutMs: SILENCE_MS }),
    ]);
    const outage = `${Date.now() - downAt} ms into the outage`;
    expect.soft(describeAnswer(status), `Status-Server sent ${STATUS_SILENT_AFTER_MS} ms into the outage`).toMatch(/^no answer/);
    expect.soft(describeAnswer(rejected), `closed client, ${outage}`).toMatch(new RegExp(`^Access-Reject "${UNAVAILABLE}"`));
    expect.soft(describeAnswer(silent), `failover client, ${outage}`).toMatch(/^no answer/);
    expect(gw.received, 'no SMS while the store is down').toHaveLength(0);

    proxy.up();
    const backAt = Date.now();
    // The NAS keeps retransmitting the very same packet (same Identifier and Authenticator).
    const [retransmitted, statusAfterMs] = await Promise.all([
      failover.request(silent.packet, { timeoutMs: RETRANSMISSION_ANSWERED_MS + 500, resendEveryMs: 500 }),
      firstStatusAnswer(closed, backAt, STATUS_ANSWERED_MS + 500),
    ]);
    const replayed = `retransmission of the request sent during the outage, ${retransmitted.sends} sends from the store's return: ${describeAnswer(retransmitted)}`;
    expect.soft(describeAnswer(retransmitted), replayed).toMatch(new RegExp(`^Access-Challenge "${PROMPT}"`));
    if (retransmitted.code !== undefined) expect.soft(retransmitted.ms, replayed).toBeLessThanOrEqual(RETRANSMISSION_ANSWERED_MS);
    expect.soft(statusAfterMs, `Status-Server answered ${statusAfterMs ?? 'never'} ms after the store came back`).toBeLessThanOrEqual(STATUS_ANSWERED_MS);

    // New requests are answered by both clients.
    const [fresh, freshClosed] = await Promise.all([
      failover.request({ user: 'carol', password: 'carolpin' }, { timeoutMs: 5_000 }),
      closed.request({ user: 'bob', password: 'bobpin' }, { timeoutMs: 5_000 }),
    ]);
    expect.soft(describeAnswer(fresh), 'a new request of the failover client').toMatch(/^Access-Challenge "Enter the OTP from the SMS:"/);
    expect.soft(describeAnswer(freshClosed), 'a new request of the closed client').toMatch(/^Access-Challenge "Enter the OTP from the SMS:"/);

    // The challenge answered to the retransmission is a real one: its OTP logs alice in.
    if (retransmitted.code === Code.AccessChallenge) {
      const sms = gw.received.find((m) => m.query.get('to') === '+4917000101');
      expect(sms?.query.get('text'), 'one SMS for alice, with HOTP(1)').toBe(hotp(RFC4226_KEY, 1));
      expect(gw.received.filter((m) => m.query.get('to') === '+4917000101'), 'retransmissions send no second SMS').toHaveLength(1);
      const accept = await failover.request({ user: 'alice', password: sms!.query.get('text')!, state: retransmitted.state! }, { timeoutMs: 5_000 });
      expect(describeAnswer(accept)).toMatch(/^Access-Accept "Access granted"/);
    }
  }, 45_000);
});
