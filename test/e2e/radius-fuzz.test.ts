// 100 000 random and mutated datagrams at the running daemon; then a normal login must work,
// nothing may have crashed, and every bad packet must have been dropped and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const SECRET = 'testing123';
const TOTAL = 100_000;

/** xorshift32: a reproducible stream, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { int: (n: number) => next() % n, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => next() & 0xff)) };
}

function mutate(base: Buffer, rnd: ReturnType<typeof prng>): Buffer {
  const p = Buffer.from(base);
  switch (rnd.int(5)) {
    case 0: // flip a few bytes anywhere
      for (let i = 0, n = 1 + rnd.int(4); i < n; i++) p[rnd.int(p.length)] = rnd.int(256);
      return p;
    case 1: // truncate
      return p.subarray(0, rnd.int(p.length));
    case 2: // append garbage (inside or beyond the Length field)
      return Buffer.concat([p, rnd.bytes(1 + rnd.int(64))]);
    case 3: // lie in the Length field
      p.writeUInt16BE(rnd.int(5000), 2);
      return p;
    default: // break an attribute length
      p[20 + 1 + rnd.int(Math.max(1, p.length - 21))] = rnd.int(4);
      return p;
  }
}

describe('fuzzing the running daemon', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({
      clients: [
        { name: 'strict', address: '127.0.0.1/32', secret: SECRET },
        { name: 'legacy', address: '127.0.0.3/32', secret: SECRET, require_message_authenticator: 'no', limit_proxy_state: 'no' },
      ],
      radius: { reject_delay: '0' },
    });
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('survives 100 000 bad datagrams, drops and counts them, and still logs alice in', async () => {
    const seed = Date.now() & 0x7fffffff;
    const rnd = prng(seed);
    const strict = await RawClient.open('127.0.0.1');
    const legacy = await RawClient.open('127.0.0.3');
    const signed = buildRequest({ secret: SECRET, user: 'fuzz', password: 'pin', extra: [[32, Buffer.from('nas-1')]] });
    const unsigned = buildRequest({ secret: SECRET, user: 'fuzz', password: 'pin', messageAuthenticator: 'absent', proxyStates: [Buffer.from('ps')] });
    for (let i = 0; i < TOTAL; i++) {
      const pick = rnd.int(100);
      if (pick < 30) strict.send(rnd.bytes(rnd.int(4200)), daemon.port);
      else if (pick < 95) strict.send(mutate(signed, rnd), daemon.port);
      else legacy.send(mutate(unsigned, rnd), daemon.port);
      // Stay within the socket buffers: the point is the daemon's parsing, not the kernel's drops.
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 3));
    }
    strict.close();
    legacy.close();

    const login = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"pin1234${RFC4226_HOTP[0]}"` }, { timeout: 10 });
    expect(login.code, `seed ${seed}`).toBe('Access-Accept');

    await daemon.stop();
    const line = daemon.logs().split('\n').find((l) => l.includes('sms-otp-radiusd stopped'))!;
    const counters = JSON.parse(line).counters as Record<string, { requests: number; errors: number; dropped: Record<string, number> }>;
    const dropped = Object.values(counters).flatMap((c) => Object.values(c.dropped)).reduce((a, b) => a + b, 0);
    expect(counters.strict!.errors + counters.legacy!.errors, `seed ${seed}`).toBe(0);
    expect(dropped, `seed ${seed}`).toBeGreaterThan(TOTAL * 0.5);
    expect(counters.strict!.dropped.bad_message_authenticator).toBeGreaterThan(1000);
    expect(counters.strict!.dropped.bad_length).toBeGreaterThan(100);
    expect(daemon.logs()).not.toMatch(/"level":50.*request failed/);
  }, 180_000);
});
