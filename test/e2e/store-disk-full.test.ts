// The embedded store on a small disk that fills up under a running daemon (a real tmpfs of a
// few MB, mounted for the test: the tests run as root): health must follow the writes, not
// only the reads. Status-Server falls silent, both /readyz answer 503 and the metrics say the
// store is unreachable within a second of the first failed write; all come back once space
// returns, and no login that was answered Accept is lost. Also: the WAL does not keep the
// size of a burst.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, Code, parsePacket } from '../../src/radius/packet.js';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY, tempDir } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { probe, scrape } from '../helpers/metrics.js';
import { createTestDatabase } from '../helpers/pg.js';
import { buildRequest, RawClient } from '../helpers/raw-radius.js';

const SECRET = 'testing123-long-enough';
const PIN = 'pin1234';
const WAL_LIMIT = 1024 * 1024;

describe('the SQLite store on a disk that fills up', () => {
  let mountPoint: string;
  let mounted = false;
  let daemon: TestDaemon;
  let client: RawClient;
  let httpUrl: string;
  let filler: string;
  /** The next HOTP counter value to log in with. */
  let counter = 0;

  const statusServer = async (timeoutMs = 600) =>
    (await client.request(buildRequest({ secret: SECRET, code: Code.StatusServer }), daemon.port, timeoutMs))?.[0];
  const login = async (password: string, user = 'alice') => {
    const reply = await client.request(buildRequest({ secret: SECRET, user, password }), daemon.port, 5000);
    return {
      code: reply?.[0],
      message: reply && parsePacket(reply).attributes.find((a) => a.type === Attr.ReplyMessage)?.value.toString(),
    };
  };
  const readiness = async () => {
    const [metrics, front] = await Promise.all([probe(daemon.metricsUrl!, '/readyz'), fetch(`${httpUrl}/readyz`)]);
    return { metrics, front: { status: front.status, body: await front.text() } };
  };
  /** Fills what is left of the tmpfs with one file, until the kernel says ENOSPC. */
  const fillDisk = () => {
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
    // Page by page, what no full chunk fitted in.
    try {
      for (;;) writeSync(fd, chunk, 0, 4096);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      closeSync(fd);
    }
  };

  beforeAll(async () => {
    mountPoint = tempDir('smsotp-smalldisk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint]);
    mounted = true;
    filler = path.join(mountPoint, 'filler');
    const httpPort = await freeTcpPort();
    httpUrl = `http://127.0.0.1:${httpPort}`;
    daemon = await createDaemon({
      dir: mountPoint,
      secret: SECRET,
      metrics: true,
      radius: { reject_delay: '0' },
      http: { listen: `[ { host: "127.0.0.1", port: ${httpPort} } ]` },
    });
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'DISK0001');
    await daemon.start();
    client = await RawClient.open('127.0.0.1');
  });
  afterAll(async () => {
    client?.close();
    await daemon?.stop();
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('keeps the WAL below its limit after a burst of logins', async () => {
    const wal = path.join(daemon.dir, 'store.sqlite-wal');
    let largest = 0;
    const watch = setInterval(() => {
      if (existsSync(wal)) largest = Math.max(largest, statSync(wal).size);
    }, 10);
    // Wrong OTPs would lock alice: an unknown user's rejects write their audit rows all the same.
    for (let i = 0; i < 300; i++) await login(`${PIN}000000`, `nobody${i}`);
    clearInterval(watch);
    const until = Date.now() + 3000;
    while (statSync(wal).size > WAL_LIMIT && Date.now() < until) await sleep(100);
    console.log(`WAL: largest ${largest} bytes during the burst, ${statSync(wal).size} after`);
    // The burst did write more than the limit: the checkpoint had work to do.
    expect(largest).toBeGreaterThan(WAL_LIMIT);
    expect(statSync(wal).size).toBeLessThanOrEqual(WAL_LIMIT);
  });

  it('is healthy and accepts logins while there is space', async () => {
    expect((await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`)).code).toBe(Code.AccessAccept);
    expect(await statusServer()).toBe(Code.AccessAccept);
    const ready = await readiness();
    expect(ready.metrics.status).toBe(200);
    expect(ready.front.status).toBe(200);
    expect((await scrape(daemon.metricsUrl!)).value('sms_otp_store_reachable')).toBe(1);
  });

  it('falls silent and answers 503 within a second of the first failed write, and recovers once space returns', async () => {
    const acceptedBefore = counter - 1;
    fillDisk();
    // Logins until one fails on its write (the WAL may still have a little room).
    let failedAt: number | undefined;
    for (let i = 0; i < 20 && failedAt === undefined; i++) {
      const r = await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`);
      if (r.code === Code.AccessReject && r.message?.includes('unavailable')) failedAt = Date.now();
      else expect(r.code).toBe(Code.AccessAccept);
    }
    expect(failedAt, 'no login failed on the full disk').toBeDefined();
    // Read together at once: the failed commit's rollback and checkpoint may free a few pages,
    // and the probe write (every 0.5 s) then finds room; each of these must see the failure.
    const [ready, reachable] = await Promise.all([readiness(), scrape(daemon.metricsUrl!).then((m) => m.value('sms_otp_store_reachable'))]);
    expect(Date.now() - failedAt!).toBeLessThan(1000);
    // Asked at once: no answer within 600 ms (the health changed before the failed login's reply left).
    expect(await statusServer()).toBeUndefined();
    expect(ready.metrics.status).toBe(503);
    expect(ready.metrics.body).toMatch(/not ready: the store takes no writes: .*full/);
    expect(ready.front.status).toBe(503);
    expect(JSON.parse(ready.front.body)).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/takes no writes/) });
    expect(reachable).toBe(0);
    expect(daemon.logs()).toMatch(/the store takes no writes/);
    // Nothing writes now (no logins): the daemon's probe write finds the space.
    rmSync(filler);
    const until = Date.now() + 3000;
    while ((await statusServer(300)) !== Code.AccessAccept) {
      if (Date.now() > until) throw new Error('Status-Server did not come back within 3 s after space returned');
    }
    const back = await readiness();
    expect(back.metrics.status).toBe(200);
    expect(back.front.status).toBe(200);
    expect((await scrape(daemon.metricsUrl!)).value('sms_otp_store_reachable')).toBe(1);
    expect(daemon.logs()).toMatch(/the store takes writes again/);
    const after = counter++;
    expect((await login(`${PIN}${hotp(RFC4226_KEY, after)}`)).code).toBe(Code.AccessAccept);

    // Nothing lost: after a restart, the OTPs that were accepted are spent.
    await daemon.stop();
    await daemon.start();
    for (const spent of [acceptedBefore, after]) expect((await login(`${PIN}${hotp(RFC4226_KEY, spent)}`)).code).toBe(Code.AccessReject);
    expect((await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`)).code).toBe(Code.AccessAccept);
  });
});

describe('the PostgreSQL store turned read-only under a running daemon (as a standby after a failover is)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let daemon: TestDaemon;
  let client: RawClient;
  let counter = 0;

  /** As the superuser, on the server: sets the database read-only (or back) and drops its sessions, so every new one starts so. */
  const setReadOnly = async (on: boolean) => {
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    } finally {
      await admin.end();
    }
  };
  const statusServer = async (timeoutMs = 600) =>
    (await client.request(buildRequest({ secret: SECRET, code: Code.StatusServer }), daemon.port, timeoutMs))?.[0];
  const login = async (password: string) => {
    const reply = await client.request(buildRequest({ secret: SECRET, user: 'alice', password }), daemon.port, 5000);
    return { code: reply?.[0], message: reply && parsePacket(reply).attributes.find((a) => a.type === Attr.ReplyMessage)?.value.toString() };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    daemon = await createDaemon({ database: { client: 'pg', url: db.url }, secret: SECRET, metrics: true, radius: { reject_delay: '0' } });
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'RO000001');
    await daemon.start();
    client = await RawClient.open('127.0.0.1');
  });
  afterAll(async () => {
    client?.close();
    await daemon?.stop();
    await db?.drop();
  });

  it('marks the store unhealthy on the first refused write, and healthy again once writes work', async () => {
    expect((await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`)).code).toBe(Code.AccessAccept);
    expect(await statusServer()).toBe(Code.AccessAccept);
    await setReadOnly(true);
    // The first login may meet a terminated session, and when that happens on one of its reads it
    // fails without a write having failed (reads are the revision probe's to judge); the next
    // logins' writes meet the read-only database. Readiness must flip with the first failed write.
    let failedAt: number | undefined;
    let ready: Awaited<ReturnType<typeof probe>> | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`);
      if (!(r.code === Code.AccessReject && r.message?.includes('unavailable'))) continue;
      failedAt = Date.now();
      ready = await probe(daemon.metricsUrl!, '/readyz');
      if (ready.status === 503) break;
    }
    expect(failedAt, 'no login failed on the read-only database').toBeDefined();
    expect(Date.now() - failedAt!).toBeLessThan(1000);
    expect(await statusServer()).toBeUndefined();
    expect(ready!.status).toBe(503);
    expect(ready!.body).toMatch(/the store takes no writes: .*(read-only|connection)/);
    expect((await scrape(daemon.metricsUrl!)).value('sms_otp_store_reachable')).toBe(0);
    await setReadOnly(false);
    const until = Date.now() + 5000;
    while ((await statusServer(300)) !== Code.AccessAccept) {
      if (Date.now() > until) throw new Error('Status-Server did not come back within 5 s after the database took writes again');
    }
    expect((await probe(daemon.metricsUrl!, '/readyz')).status).toBe(200);
    expect((await login(`${PIN}${hotp(RFC4226_KEY, counter++)}`)).code).toBe(Code.AccessAccept);
  });
});
