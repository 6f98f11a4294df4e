// `sms-otp-radiusd backup FILE` through the real CLI process, taken while a daemon on the
// SQLite store serves logins (and so writes counters and audit rows), then restored: a second
// daemon on the copy, with the same key file, accepts the token enrolled before the backup.
import Database from 'better-sqlite3';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/radius/packet.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY, tempDir } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { describeAnswer, RadiusPeer } from '../helpers/radius-peer.js';

const USERS = 4;

describe('backup of the SQLite store while the daemon serves logins', () => {
  let live: TestDaemon;
  let restored: TestDaemon | undefined;
  let peer: RadiusPeer;
  const serials: string[] = [];

  beforeAll(async () => {
    live = await createDaemon({ radius: { reject_delay: '0' } });
    await live.ok('setting', 'set', 'pin.kdf_cost', '10'); // cheap PIN checks: many logins per second
    for (let i = 0; i < USERS; i++) {
      serials.push(await live.ok('token', 'enroll', '--user', `user${i}`, '--phone', `+4917012345${i}0`, '--pin', `pin${i}`, '--otpkey', RFC4226_KEY));
    }
    await live.start();
    peer = await RadiusPeer.open({ port: live.port, secret: live.secret });
  });

  afterAll(async () => {
    peer?.close();
    await live?.stop();
    await restored?.stop();
  });

  it('copies a consistent store that a daemon with the same key file serves', async () => {
    // Every user logs in (PIN+OTP, one store write each) over and over during the backup.
    let stop = false;
    let logins = 0;
    const failures: string[] = [];
    const loop = async (i: number) => {
      for (let counter = 0; !stop; counter++) {
        const a = await peer.request({ user: `user${i}`, password: `pin${i}${hotp(RFC4226_KEY, counter)}` }, { timeoutMs: 5000 });
        if (a.code !== Code.AccessAccept) return void failures.push(`user${i} counter ${counter}: ${describeAnswer(a)}`);
        logins++;
      }
    };
    const load = Array.from({ length: USERS }, (_v, i) => loop(i));
    while (logins < 20 && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    const restoreDir = tempDir('smsotp-restore-');
    const copy = path.join(restoreDir, 'store.sqlite'); // where createDaemon's config looks
    const before = logins;
    const out = await live.ok('backup', copy);
    const during = logins - before;
    stop = true;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(during, 'logins were served while the backup command ran').toBeGreaterThan(0);
    expect(out).toContain(`to ${copy}`);
    expect(out).toContain(`the key file ${live.keyfile} is not in the backup`);
    expect(statSync(copy).mode & 0o777, 'the copy holds secrets: owner only').toBe(0o600);

    const db = new Database(copy, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    // A token enrolled after the backup is not in it: the copy is of one instant.
    await live.ok('token', 'enroll', '--user', 'late', '--phone', '+491709999999', '--pin', 'late', '--serial', 'LATE1');

    restored = await createDaemon({ dir: restoreDir, keyfile: live.keyfile, radius: { reject_delay: '0' } });
    await restored.start();
    const listed = await restored.ok('token', 'list');
    for (const serial of serials) expect(listed).toContain(serial);
    expect(listed).not.toContain('LATE1');

    // The restored token works: its next OTP (by the counter in the copy) logs in.
    const counter = JSON.parse(await restored.ok('token', 'show', serials[0]!)).counter as number;
    const restoredPeer = await RadiusPeer.open({ port: restored.port, secret: restored.secret });
    try {
      const a = await restoredPeer.request({ user: 'user0', password: `pin0${hotp(RFC4226_KEY, counter)}` }, { timeoutMs: 5000 });
      expect(a.code, describeAnswer(a)).toBe(Code.AccessAccept);
      const wrongPin = await restoredPeer.request({ user: 'user0', password: `nope${hotp(RFC4226_KEY, counter + 1)}` }, { timeoutMs: 5000 });
      expect(wrongPin.code, describeAnswer(wrongPin)).toBe(Code.AccessReject);
    } finally {
      restoredPeer.close();
    }
  });

  it('refuses to overwrite an existing file and leaves it as it was', async () => {
    const existing = path.join(tempDir('smsotp-backup-'), 'taken.sqlite');
    writeFileSync(existing, 'not to be lost\n');
    const r = await live.cli('backup', existing);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`sms-otp-radiusd: backup: ${existing} exists; a backup never overwrites a file: name a new one`);
    expect(readFileSync(existing, 'utf8')).toBe('not to be lost\n');
  });

  it('refuses on PostgreSQL with one line pointing to pg_dump', async () => {
    // Refused from the configuration alone: the database named here is never contacted.
    const pgNode = await createDaemon({ database: { client: 'pg', url: 'postgres://nobody@127.0.0.1:1/none' } });
    const target = path.join(pgNode.dir, 'copy.sqlite');
    const r = await pgNode.cli('backup', target);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('this store is PostgreSQL: use pg_dump');
    expect(() => statSync(target)).toThrow();
  });
});
