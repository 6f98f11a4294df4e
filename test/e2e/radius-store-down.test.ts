// What a NAS sees when the shared PostgreSQL store goes away under a running daemon.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';

const SECRET = 'testing123';

describe('store unreachable', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let daemon: TestDaemon;
  let closed: RawClient;
  let failover: RawClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    daemon = await createDaemon({
      database: { client: 'pg', url: db.url },
      clients: [
        { name: 'closed', address: '127.0.0.1/32', secret: SECRET },
        { name: 'failover', address: '127.0.0.2/32', secret: SECRET, failmode: 'failover' },
      ],
      radius: { reject_delay: '0' },
    });
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+1555', '--pin', 'pin1234', '--otpkey', RFC4226_KEY);
    await daemon.start();
    closed = await RawClient.open('127.0.0.1');
    failover = await RawClient.open('127.0.0.2');
  });
  afterAll(async () => {
    closed?.close();
    failover?.close();
    await daemon?.stop();
    await db?.drop();
  });

  it('answers Status-Server while the store is up, and falls silent when it is gone', async () => {
    expect((await closed.request(buildRequest({ secret: SECRET, code: Code.StatusServer }), daemon.port))?.[0]).toBe(Code.AccessAccept);
    await db.drop();
    // Health comes from a probe every 0.5 s, not a query per packet: silent within 2 s.
    await sleep(2000);
    expect(await closed.request(buildRequest({ secret: SECRET, code: Code.StatusServer }), daemon.port, 3000)).toBeUndefined();
    // Not silently: counted as a drop (not_ready) and warned about, naming why.
    expect(daemon.logs()).toMatch(/"level":40,.*"client":"closed","address":"127.0.0.1","reason":"not_ready","msg":"Status-Server not answered: the daemon cannot answer in time/);
  });

  it('fails closed with a Reply-Message by default, and stays silent for a failmode: failover client', async () => {
    const reply = await closed.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' }), daemon.port, 5000);
    expect(reply?.[0]).toBe(Code.AccessReject);
    const message = parsePacket(reply!).attributes.find((a) => a.type === Attr.ReplyMessage)?.value.toString();
    expect(message).toBe('The authentication service is unavailable, try again later');
    expect(await failover.request(buildRequest({ secret: SECRET, user: 'alice', password: 'pin1234' }), daemon.port, 5000)).toBeUndefined();
  });
});
