// The SMS flood and toll-fraud limits end to end: two daemons sharing one PostgreSQL store,
// radclient, a real HTTP SMS gateway, and the CLI (settings and their errors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase } from '../helpers/pg.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const messageOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes['Reply-Message'] ?? [];
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SMS limits across two daemons sharing PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SmsGateway;
  let a: TestDaemon;
  let b: TestDaemon;
  const pin = (daemon: TestDaemon, user: string, password: string) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password) });
  /** A change through a's CLI; b polls the same store and must have it within a second too. */
  const configure = async (...args: string[]) => {
    await a.configure(...args);
    await settle(1100);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startSmsGateway();
    a = await createDaemon({ database: { client: 'pg', url: db.url }, radius: { reject_delay: '0' } });
    await useHttpGateway(a, gw.url);
    // Every PIN request here asks for a new SMS: a repeated one within sms.resend_interval
    // would get the fresh challenge again and send nothing, which no limit then counts.
    await a.ok('setting', 'set', 'sms.resend_interval', '0');
    await a.ok('token', 'enroll', '--user', 'alice', '--phone', '+4917012345', '--pin', 'alicepin', '--serial', 'LIM0001');
    await a.ok('token', 'enroll', '--user', 'bob', '--phone', '+4917054321', '--pin', 'bobpin', '--serial', 'LIM0002');
    await a.ok('token', 'enroll', '--user', 'carol', '--phone', '+4917099999', '--pin', 'carolpin', '--serial', 'LIM0003');
    await a.start();
    b = await createDaemon({ database: { client: 'pg', url: db.url }, keyfile: a.keyfile, radius: { reject_delay: '0' } });
    await b.start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await gw?.close();
    await db?.drop();
  });

  it('the 6th SMS to one number within 10 minutes is refused, whichever daemon is asked; warned once per minute', async () => {
    for (const daemon of [a, b, a, b, a]) {
      const r = await pin(daemon, 'alice', 'alicepin');
      expect(r.code, daemon.logs()).toBe('Access-Challenge');
      expect((await gw.next()).query.get('to')).toBe('+4917012345');
    }
    for (const daemon of [b, b, a]) {
      const refused = await pin(daemon, 'alice', 'alicepin');
      expect(refused.code).toBe('Access-Reject');
      expect(messageOf(refused)).toEqual(['Too many codes requested; try again in 10 minutes']);
    }
    await settle(300);
    expect(gw.received).toHaveLength(5);
    const warnings = b.logs().split('\n').filter((l) => l.includes('one warning per limit and key per minute'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"limit":"sms.limit.phone"');
    expect(warnings[0]).toContain('"subject":"phone *********45"');
    for (const log of [a.logs(), b.logs()]) expect(log).not.toContain('+4917012345');
    const audit = await a.ok('audit', 'list', '--json');
    expect(audit).toContain('SMS limit reached: sms.limit.phone 5/10m for phone *********45');
  });

  it('the user limit, changed while the daemons run, holds on both', async () => {
    await configure('setting', 'set', 'sms.limit.user', '2/1h');
    expect((await pin(a, 'bob', 'bobpin')).code).toBe('Access-Challenge');
    expect((await pin(b, 'bob', 'bobpin')).code).toBe('Access-Challenge');
    const refused = await pin(a, 'bob', 'bobpin');
    expect(messageOf(refused)).toEqual(['Too many codes requested; try again in 60 minutes']);
    await configure('setting', 'unset', 'sms.limit.user');
  });

  it('a number outside sms.allowed_prefixes is refused without an SMS; the log shows it redacted', async () => {
    await configure('setting', 'set', 'sms.allowed_prefixes', '+43, +41');
    const sent = gw.received.length;
    const refused = await pin(b, 'carol', 'carolpin');
    expect(refused.code).toBe('Access-Reject');
    expect(messageOf(refused)).toEqual(['The PIN was correct, but the SMS could not be sent!']);
    await settle(300);
    expect(gw.received).toHaveLength(sent);
    expect(b.logs()).toMatch(/"phone":"\*{9}99".*outside sms\.allowed_prefixes/);
    expect(b.logs()).not.toContain('+4917099999');
    await configure('setting', 'set', 'sms.allowed_prefixes', '+4917');
    expect((await pin(b, 'carol', 'carolpin')).code).toBe('Access-Challenge');
    await configure('setting', 'unset', 'sms.allowed_prefixes');
  });

  it('refuses limit and prefix settings it cannot read, naming the key and the form', async () => {
    for (const [key, value] of [['sms.limit.phone', '5/10x'], ['sms.limit.user', 'ten per hour'], ['sms.limit.client', '0/1m'], ['sms.limit.prefix', '5/25h']]) {
      const r = await a.cli('setting', 'set', key!, value!);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`setting '${key}' takes N/Ds|m|h (at most N SMS in D seconds, minutes or hours, e.g. 5/10m; the window at most 24h), or nothing to switch the limit off, not '${value}'`);
    }
    const prefixes = await a.cli('setting', 'set', 'sms.allowed_prefixes', '49,+43');
    expect(prefixes.code).toBe(2);
    expect(prefixes.stderr).toContain("setting 'sms.allowed_prefixes' takes international prefixes separated by commas, each + and 1 to 15 digits (e.g. +49,+43,+41)");
    expect(await a.ok('setting', 'set', 'sms.limit.client', ' 30/1m ')).toBe('setting sms.limit.client = 30/1m (was )');
    expect(await a.ok('setting', 'set', 'sms.allowed_prefixes', '+49, +43,+49')).toBe('setting sms.allowed_prefixes = +49,+43 (was )');
    await a.ok('setting', 'unset', 'sms.limit.client');
    await a.ok('setting', 'unset', 'sms.allowed_prefixes');
  });
});
