// "Never outlast the NAS" with the real daemon, a real HTTP gateway that takes 10 s to answer,
// and a bare RADIUS client playing a NAS that retransmits every 2 s and then gives up and
// sends new requests. Whatever the NAS does, one SMS goes out, the challenge comes within the
// client's sms_deadline, and the OTP of that one SMS logs in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, firstAttribute, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const SECRET = 'testing123';
const GATEWAY_DELAY_MS = 10_000;

interface Answer {
  code: number;
  state: Buffer | undefined;
  message: string;
  /** ms from the first transmission to the answer. */
  after: number;
  transmissions: number;
}

/** A NAS: sends the packet, and the same bytes again every `everyMs` until answered or `tries` are spent. */
async function nasRequest(nas: RawClient, port: number, packet: Buffer, everyMs: number, tries: number): Promise<Answer | undefined> {
  const started = Date.now();
  for (let i = 1; i <= tries; i++) {
    const reply = await nas.request(packet, port, everyMs);
    if (reply) {
      const parsed = parsePacket(reply);
      const message = firstAttribute(parsed, Attr.ReplyMessage)?.toString('utf8') ?? '';
      return { code: parsed.code, state: firstAttribute(parsed, Attr.State), message, after: Date.now() - started, transmissions: i };
    }
  }
  return undefined;
}

const pinRequest = (user: string) => buildRequest({ secret: SECRET, user, password: 'pin1234' });

describe('never outlast the NAS', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      clients: [
        // sms_deadline at its default (4 s).
        { name: 'nas', address: '127.0.0.1/32', secret: SECRET },
        // A NAS that waits long, so that the gateway answers before the deadline; replies are
        // kept only 2 s (below) so that a pending request outlives its cache lifetime many times.
        { name: 'patient-nas', address: '127.0.0.2/32', secret: SECRET, sms_deadline: 12, max_request_time: 20 },
      ],
      radius: { reject_delay: '0', duplicate_cache_seconds: '2' },
    });
    await daemon.ok('gateway', 'set', 'slow', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}',
      '--option', 'TIMEOUT=30');
    await daemon.ok('setting', 'set', 'sms.identifier', 'slow');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917011111', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'ALICE');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--phone', '+4917022222', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'BOB');
    await daemon.start();
    gw.respond(200, 'OK', GATEWAY_DELAY_MS);
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  const smsTo = (phone: string) => gw.received.filter((r) => r.query.get('to') === phone);

  it('a 10 s gateway, a NAS retransmitting every 2 s, then new requests: one SMS, the challenge by the deadline, the same challenge again, the OTP works', async () => {
    const nas = await RawClient.open('127.0.0.1');
    try {
      // The NAS gives up after 3 tries of 2 s each; the challenge comes at the 4 s deadline.
      const first = await nasRequest(nas, daemon.port, pinRequest('alice'), 2000, 3);
      expect(first?.code).toBe(Code.AccessChallenge);
      expect(first!.after).toBeGreaterThanOrEqual(3500);
      expect(first!.after).toBeLessThan(5000);
      // The deadline (4 s after arrival) and the NAS's second retransmission (4 s after its first
      // send) coincide: the challenge may come just before that retransmission or just after it.
      expect(first!.transmissions).toBeGreaterThanOrEqual(2);
      expect(first!.transmissions).toBeLessThanOrEqual(3);
      expect(first!.message).toBe('Enter the OTP from the SMS:');
      expect(smsTo('+4917011111')).toHaveLength(1);

      // New Access-Requests (new authenticator) with the same PIN while the gateway still works
      // and after it answered: the same State and Reply-Message, at once, no SMS.
      for (let i = 0; i < 3; i++) {
        const again = await nasRequest(nas, daemon.port, pinRequest('alice'), 2000, 1);
        expect(again?.code).toBe(Code.AccessChallenge);
        expect(again!.state).toEqual(first!.state);
        expect(again!.message).toBe(first!.message);
        expect(again!.after).toBeLessThan(1500);
        await new Promise((r) => setTimeout(r, 2000));
      }
      expect(smsTo('+4917011111')).toHaveLength(1);

      // The gateway's late answer is logged and audited; the OTP of the one SMS logs in.
      await new Promise((r) => setTimeout(r, 1500));
      expect(daemon.logs()).toContain('SMS sent after sms_deadline');
      const audit = JSON.parse(await daemon.ok('audit', 'list', '--json', '--action', 'sms-late')) as Array<{ serials: string; reason: string }>;
      expect(audit).toHaveLength(1);
      expect(audit[0]!.reason).toBe('SMS sent after sms_deadline (the challenge had been answered)');
      const otp = smsTo('+4917011111')[0]!.query.get('text')!;
      const answer = await nasRequest(nas, daemon.port, buildRequest({ secret: SECRET, user: 'alice', password: otp, state: first!.state }), 2000, 1);
      expect(answer?.code).toBe(Code.AccessAccept);
      expect(smsTo('+4917011111')).toHaveLength(1);
    } finally {
      nas.close();
    }
  }, 40_000);

  it('a retransmission never sends again, however long the gateway takes (longer than the duplicate cache keeps replies)', async () => {
    const nas = await RawClient.open('127.0.0.2');
    try {
      const answer = await nasRequest(nas, daemon.port, pinRequest('bob'), 2000, 8);
      expect(answer?.code).toBe(Code.AccessChallenge);
      expect(answer!.after).toBeGreaterThanOrEqual(GATEWAY_DELAY_MS - 500);
      expect(answer!.transmissions).toBeGreaterThanOrEqual(5);
      expect(smsTo('+4917022222')).toHaveLength(1);
      // Worked on once: the retransmissions were recognised as such (RFC 5080), not taken for
      // new requests that the fresh-challenge rule would have caught (each of those is audited).
      // (The admin row is his token's enrollment from the CLI.)
      const rows = (JSON.parse(await daemon.ok('audit', 'list', '--json', '--user', 'bob')) as Array<{ action: string; reason: string }>).filter((r) => r.action !== 'admin');
      expect(rows.map((r) => r.action)).toEqual(['challenge']);
      expect(rows[0]!.reason).toBe('SMS sent');
      const otp = smsTo('+4917022222')[0]!.query.get('text')!;
      const accepted = await nasRequest(nas, daemon.port, buildRequest({ secret: SECRET, user: 'bob', password: otp, state: answer!.state }), 2000, 1);
      expect(accepted?.code).toBe(Code.AccessAccept);
    } finally {
      nas.close();
    }
  }, 40_000);

  it('refuses an sms_deadline that is not below the client\'s max_request_time, naming the key', async () => {
    const bad = await createDaemon({ clients: [{ name: 'nas', address: '127.0.0.1/32', secret: SECRET, sms_deadline: 15 }] });
    const r = await bad.cli('setting', 'list');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('radius.clients.0.sms_deadline');
    expect(r.stderr).toContain("must be below this client's max_request_time (15 s)");
    const zero = await createDaemon({ clients: [{ name: 'nas', address: '127.0.0.1/32', secret: SECRET, sms_deadline: 0 }] });
    const z = await zero.cli('setting', 'list');
    expect(z.code).not.toBe(0);
    expect(z.stderr).toContain('radius.clients.0.sms_deadline');
  });
});
