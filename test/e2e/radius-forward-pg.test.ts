// passthru=radius:NAME on a PostgreSQL site of two daemons: a change made with one node's CLI,
// as a policy or as the site setting, reaches the other within a second; a policy forwards
// only the logins it matches; the old server's challenge, relayed by one node under our State,
// is answered through the other (the State maps back on any node, nothing stored).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startFreeRadiusUpstream, type FreeRadiusUpstream } from '../helpers/freeradius-upstream.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient } from '../helpers/radius-clients.js';

const NAS_SECRET = 'nas-secret-1234567890';
const UPSTREAM_SECRET = 'old-server-secret';

describe('forwarding on a PostgreSQL site of two daemons', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let upstream: FreeRadiusUpstream;
  let a: TestDaemon;
  let b: TestDaemon;

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await startFreeRadiusUpstream({ secret: UPSTREAM_SECRET });
    const options = { database: { client: 'pg' as const, url: db.url }, secret: NAS_SECRET, radius: { reject_delay: '0' } };
    a = await createDaemon(options);
    const secretFile = path.join(a.dir, 'old.secret');
    writeFileSync(secretFile, `${UPSTREAM_SECRET}\n`, { mode: 0o600 });
    await a.ok('radius_server', 'set', 'old', '--address', `127.0.0.1:${upstream.port}`, '--secret-file', secretFile);
    await a.start();
    b = await createDaemon({ ...options, keyfile: a.keyfile });
    await b.start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await upstream?.stop();
    await db?.drop();
  });

  const nas = (node: TestDaemon) => ({ host: '127.0.0.1', port: node.port, secret: NAS_SECRET });
  /** Waits until `node` logs `line`, failing after a second: the site's changes reach every node within one. */
  const loggedWithinASecond = async (node: TestDaemon, line: string) => {
    const until = Date.now() + 1000;
    while (!node.logs().includes(line)) {
      expect(Date.now()).toBeLessThan(until);
      await sleep(20);
    }
  };

  it('a policy passthru=radius:old made on one node forwards on the other within a second, and only the logins it matches', async () => {
    await a.configure('policy', 'set', 'carol-old', '--scope', 'authentication', '--user', 'carol', '--action', 'passthru=radius:old');
    await loggedWithinASecond(b, 'policy carol-old sets passthru=radius:old');
    const carol = await radclient(nas(b), { 'User-Name': '"carol"', 'User-Password': '"carolpass"' });
    expect(carol.code, upstream.output().slice(-3000)).toBe('Access-Accept');
    expect(carol.attributes['Filter-Id']).toBeDefined();
    const asked = upstream.requests();
    const dave = await radclient(nas(b), { 'User-Name': '"dave"', 'User-Password': '"davepin"' });
    expect(dave.code).toBe('Access-Reject');
    expect(upstream.requests()).toBe(asked); // not matched: answered here, the old server not asked
    await a.configure('policy', 'delete', 'carol-old');
  });

  it('takes passthru=radius:old on the other node within a second, and answers there the challenge the first node relayed', async () => {
    await a.configure('setting', 'set', 'passthru', 'radius:old');
    await loggedWithinASecond(b, 'setting passthru is radius:old');
    const first = await radclient(nas(a), { 'User-Name': '"dave"', 'User-Password': '"davepin"' });
    expect(first.code, upstream.output().slice(-3000)).toBe('Access-Challenge');
    const second = await radclient(nas(b), { 'User-Name': '"dave"', 'User-Password': '"654321"', State: first.attributes.State![0]! });
    expect(second.code, upstream.output().slice(-3000)).toBe('Access-Accept');
    expect(second.attributes.Class).toEqual(['0x6f74702d6f6b']); // "otp-ok"
  });
});
