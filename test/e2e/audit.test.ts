// The audit trail as an operator reads it: a login through radclient with what the NAS says
// of the session, `gateway test`, `audit list` with its filters, `audit tail -f` on a row
// written after it started, and the retention, on both stores.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/store/connection.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { BIN, RFC4226_KEY } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const DAY = 86_400_000;
const NAS = { 'Calling-Station-Id': '"203.0.113.7"', 'NAS-IP-Address': '192.0.2.10', 'NAS-Identifier': '"fw-1"' };

interface Row {
  id: number;
  time: string;
  action: string;
  user: string;
  client: string;
  callingStationId: string;
  nasIpAddress: string;
  nasIdentifier: string;
  gateway: string;
  phone: string;
  serials: string[];
  reason: string;
}

function oldRow(at: number, over: Record<string, unknown> = {}) {
  return { at, action: 'reject', username: 'bob', realm: '', client: 'other', client_address: '198.51.100.1', serials: '', reason: 'wrong PIN', ...over };
}

describe.each(['sqlite', 'pg'] as const)('audit trail on %s', (kind) => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let knex: Knex;

  const list = async (...args: string[]): Promise<Row[]> => JSON.parse(await daemon.ok('audit', 'list', '--json', ...args)) as Row[];

  beforeAll(async () => {
    gw = await startSmsGateway();
    db = kind === 'pg' ? await createTestDatabase() : undefined;
    daemon = await createDaemon({ database: db ? { client: 'pg', url: db.url } : { client: 'sqlite' }, radius: { reject_delay: '0' } });
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISMA1');
    await daemon.start();
    knex = connect(db ? { client: 'pg', url: db.url } : { client: 'sqlite', filename: path.join(daemon.dir, 'store.sqlite') });
  });
  afterAll(async () => {
    await knex?.destroy();
    await daemon?.stop();
    await gw?.close();
    await db?.drop();
  });

  it('records a radclient login with the NAS’s Calling-Station-Id, NAS-IP-Address and NAS-Identifier, the gateway and the redacted number', async () => {
    const first = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"pin1234"', ...NAS });
    expect(first.code).toBe('Access-Challenge');
    const otp = (await gw.next()).query.get('text');
    const second = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${otp}"`, State: first.attributes.State![0]!, ...NAS });
    expect(second.code).toBe('Access-Accept');

    // The setup's configuration commands wrote rows of action admin (settings are audited); the login's are these.
    const rows = (await list()).filter((r) => r.action !== 'admin');
    expect(rows.map((r) => r.action)).toEqual(['challenge', 'accept']);
    const nas = { callingStationId: '203.0.113.7', nasIpAddress: '192.0.2.10', nasIdentifier: 'fw-1' };
    expect(rows[0]).toMatchObject({ user: 'alice', client: 'localhost', gateway: 'gw1', phone: '*********45', serials: ['PISMA1'], reason: 'SMS sent', ...nas });
    expect(rows[1]).toMatchObject({ user: 'alice', gateway: '', phone: '', reason: 'challenge answered', ...nas });
    expect(rows[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(rows[1]!.time) - Date.now())).toBeLessThan(60_000);

    const text = await daemon.ok('audit', 'list');
    expect(text.split('\n')[0]).toMatch(/^TIME\s+ACTION\s+USER\s+CLIENT\s+CALLING-STATION\s+GATEWAY\s+PHONE\s+SERIALS\s+REASON$/);
    expect(text.split('\n').at(-1)).toMatch(/Z\s+accept\s+alice\s+localhost\s+203\.0\.113\.7\s+-\s+-\s+PISMA1\s+challenge answered$/);
  });

  it('audits gateway test sends, accepted or not', async () => {
    expect(await daemon.ok('gateway', 'test', 'gw1', '--phone', '+4917099988')).toBe('gateway gw1 accepted the message');
    await gw.next();
    gw.respond(500, 'overloaded');
    const failed = await daemon.cli('gateway', 'test', 'gw1', '--phone', '+4917099977');
    gw.respond(200, 'OK');
    await gw.next();
    expect(failed.code).toBe(1);
    const rows = await list('--action', 'gateway-test');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ action: 'gateway-test', client: 'cli', gateway: 'gw1', phone: '*********88', reason: 'accepted by the gateway' });
    expect(rows[1]).toMatchObject({ gateway: 'gw1', phone: '*********77' });
    expect(rows[1]!.reason).toMatch(/^gateway gw1: .*500/);
  });

  it('filters by user, client, action and time, and limits to the newest rows', async () => {
    const now = Date.now();
    await knex('audit').insert([oldRow(now - 2 * 3_600_000), oldRow(now - 3 * DAY, { action: 'accept' })]);
    expect((await list('--user', 'bob')).map((r) => r.action)).toEqual(['accept', 'reject']);
    expect((await list('--client', 'other', '--action', 'reject')).map((r) => r.user)).toEqual(['bob']);
    // alice's token was enrolled from the CLI: its admin row first, then her login.
    expect((await list('--user', 'alice')).map((r) => r.action)).toEqual(['admin', 'challenge', 'accept']);
    expect((await list('--user', 'bob', '--since', '1h'))).toEqual([]);
    expect((await list('--user', 'bob', '--since', '3h')).map((r) => r.action)).toEqual(['reject']);
    expect((await list('--user', 'bob', '--since', new Date(now - 4 * DAY).toISOString())).map((r) => r.action)).toEqual(['accept', 'reject']);
    const newest = await list('--limit', '2');
    expect(newest.map((r) => r.action)).toEqual(['gateway-test', 'gateway-test']);
    expect(Date.parse(newest[0]!.time)).toBeLessThanOrEqual(Date.parse(newest[1]!.time));
  });

  it('refuses bad option values as usage errors naming the option', async () => {
    for (const [args, option] of [
      [['--since', 'yesterday'], '--since'],
      [['--limit', '0'], '--limit'],
      [['--limit', 'ten'], '--limit'],
      [['--action', 'login'], '--action'],
    ] as const) {
      const r = await daemon.cli('audit', 'list', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(option);
    }
  });

  it('audit tail -f prints a row written after it started, and stops cleanly on SIGINT', async () => {
    const tail = spawn(process.execPath, [BIN, 'audit', 'tail', '-f', '--json', '-n', '1', '--config', daemon.config], { cwd: daemon.dir });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    tail.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
    const until = async (test: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`${what}; stdout: ${stdout}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(() => lines().length === 1, 'the last row was not printed first');
    const carol = await radclient(daemon, { 'User-Name': '"carol"', 'User-Password': '"whatever"', ...NAS });
    expect(carol.code).toBe('Access-Reject');
    await until(() => lines().length === 2, 'the new row was not printed');
    expect(lines()[1]).toMatchObject({ action: 'reject', user: 'carol', reason: 'no token', callingStationId: '203.0.113.7' });
    tail.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(lines()).toHaveLength(2);
  });

  it('removes rows older than audit.retention_days in the background, and only those', async () => {
    const now = Date.now();
    await knex.batchInsert('audit', [...Array.from({ length: 2500 }, (_v, i) => oldRow(now - 200 * DAY + i)), oldRow(now - 100 * DAY, { username: 'dave' })], 100);
    const count = async (before: number) => Number((await knex('audit').where('at', '<', before).count({ n: '*' }))[0]!.n);
    expect(await count(now - 150 * DAY)).toBe(2500);
    // A changed setting reaches the daemon within a second and starts a pass at once.
    await daemon.configure('setting', 'set', 'audit.retention_days', '150');
    const deadline = Date.now() + 10_000;
    while ((await count(now - 150 * DAY)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await count(now - 150 * DAY)).toBe(0);
    expect((await list('--user', 'dave')).length).toBe(1);
    expect((await list('--user', 'alice')).length).toBe(3); // her enrollment and her login's two rows
    expect(daemon.logs()).toMatch(/"removed":2500,.*audit rows past audit.retention_days removed/);
    expect(daemon.logs()).not.toMatch(/pruning the audit trail failed/);
  });
});
