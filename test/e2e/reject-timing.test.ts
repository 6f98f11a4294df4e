// A NAS must not be an oracle for user names (issues 18 and 19): over RADIUS, the reject of an
// unknown user, of a wrong PIN and of a locked token leave at the same time from arrival
// (reject_delay pads, it does not add), and an unknown user is told what a wrong PIN is told.
// 200 rejects of each kind, each kind one request after the other (the three kinds side by
// side, so that load on the machine hits them alike), through a raw UDP client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { RadiusPeer, describeAnswer, type Answer } from '../helpers/radius-peer.js';

const REJECT_DELAY_MS = 200;
const PER_KIND = 200;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('RADIUS reject timing', () => {
  let daemon: TestDaemon;
  const peers: RadiusPeer[] = [];

  beforeAll(async () => {
    daemon = await createDaemon({ radius: { reject_delay: String(REJECT_DELAY_MS / 1000) } });
    // A PIN hash of real but modest cost: the check takes time, well within the delay.
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '12');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917000001', '--pin', 'alice-pin', '--otpkey', RFC4226_KEY, '--serial', 'TIME0001');
    await daemon.ok('token', 'enroll', '--user', 'locked', '--phone', '+4917000002', '--pin', 'locked-pin', '--otpkey', RFC4226_KEY, '--serial', 'TIME0002');
    await daemon.ok('token', 'set', 'TIME0001', '--maxfail', '1000');
    await daemon.ok('token', 'set', 'TIME0002', '--maxfail', '2');
    await daemon.start();
    for (let i = 0; i < 3; i++) peers.push(await RadiusPeer.open({ port: daemon.port, secret: daemon.secret }));
    for (let i = 0; i < 2; i++) await peers[0]!.request({ user: 'locked', password: 'wrong' });
    expect(JSON.parse(await daemon.ok('token', 'show', 'TIME0002'))).toMatchObject({ locked: true });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await daemon?.stop();
  });

  it(`${PER_KIND} rejects each for an unknown user, a wrong PIN and a locked token: medians within 5 ms, none before reject_delay`, async () => {
    const kinds = [
      { name: 'unknown user', user: (i: number) => `nobody-${i}`, password: 'some-pin' },
      { name: 'wrong PIN', user: () => 'alice', password: 'wrong-pin' },
      { name: 'locked token', user: () => 'locked', password: 'locked-pin' },
    ];
    const answers = await Promise.all(
      kinds.map(async (kind, k) => {
        const got: Answer[] = [];
        for (let i = 0; i < PER_KIND; i++) got.push(await peers[k]!.request({ user: kind.user(i), password: kind.password }, { timeoutMs: 5000 }));
        return got;
      }),
    );
    const medians = answers.map((a) => median(a.map((x) => x.ms)));
    const said = kinds.map((k, i) => `${k.name}: median ${medians[i]} ms, e.g. ${describeAnswer(answers[i]![0]!)}`).join('\n');
    console.log(`reject timing (reject_delay ${REJECT_DELAY_MS} ms):\n${said}`);
    for (const a of answers) expect(a.filter((x) => x.code !== Code.AccessReject).map(describeAnswer), said).toEqual([]);
    // The same words for an unknown user and a wrong PIN; a locked token says so, as privacyIDEA does.
    expect(new Set(answers[0]!.map((x) => x.message)), said).toEqual(new Set(['wrong otp pin']));
    expect(new Set(answers[1]!.map((x) => x.message)), said).toEqual(new Set(['wrong otp pin']));
    expect(new Set(answers[2]!.map((x) => x.message)), said).toEqual(new Set(['Failcounter exceeded']));
    for (const a of answers) expect(Math.min(...a.map((x) => x.ms)), said).toBeGreaterThanOrEqual(REJECT_DELAY_MS - 1);
    expect(Math.max(...medians) - Math.min(...medians), said).toBeLessThanOrEqual(5);
    expect(JSON.parse(await daemon.ok('token', 'show', 'TIME0002')), 'a locked token counts no more failures').toMatchObject({ failcount: 2 });
  }, 180_000);
});
