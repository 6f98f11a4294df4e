// Notifications (privacyIDEA's UserNotification handler, for SMS) end to end: the daemon,
// the CLI, radclient, a real slapd for the users and two real HTTP SMS gateways, one for
// the OTPs and one for the notifications. gateway_down, which only failover emits, is fed to
// the daemon's dispatcher directly, delivered through the real gateway code and peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Token } from '../../src/core/model.js';
import { GatewayRegistry } from '../../src/gateways/registry.js';
import { NotificationDispatcher } from '../../src/notifications/dispatcher.js';
import { resolveSettings } from '../../src/core/settings.js';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { defineUserStore, startSlapd, type Slapd } from '../helpers/slapd.js';

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('notifications over RADIUS', () => {
  let slapd: Slapd;
  let otp: SmsGateway;
  let notify: SmsGateway;
  let daemon: TestDaemon;

  const login = (user: string, password: string, extra: Record<string, string> = {}) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...extra });
  const counterOf = async (serial: string) => (JSON.parse(await daemon.ok('token', 'show', serial)) as { counter: number }).counter;
  /** PIN+OTP in one request (no SMS), from the caller `from`. */
  const loginFrom = async (from: string) =>
    login('alice', `alice-pw${RFC4226_HOTP[await counterOf('NOTE0001')]}`, { 'Calling-Station-Id': JSON.stringify(from) });

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell' },
      { uid: 'bob', password: 'bob-pw', givenName: 'Bob', sn: 'Builder' },
      { uid: 'carol', password: 'carol-pw', sn: 'Singer' },
      { uid: 'dora', password: 'dora-pw', givenName: 'Dora', sn: 'Explorer', mobile: '+4917044444' },
    ]);
    otp = await startSmsGateway();
    notify = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    await defineUserStore(daemon, [slapd.uri]);
    await daemon.ok('gateway', 'set', 'otp', '--module', 'http', '--option', `URL=${otp.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('gateway', 'set', 'notify', '--module', 'http', '--option', `URL=${notify.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'otp');
    await daemon.ok('setting', 'set', 'otppin', 'userstore');
    await daemon.ok('setting', 'set', 'enroll_via_multichallenge', 'sms');
    // Each login with the password sends its own SMS: no reuse of a fresh challenge.
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'example', '--phone', '+4917011111', '--pin', 'unused1', '--otpkey', RFC4226_KEY, '--serial', 'NOTE0001');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--realm', 'example', '--phone', '+4917022222', '--pin', 'unused2', '--serial', 'NOTE0002');
    await daemon.ok('token', 'set', 'NOTE0002', '--maxfail', '2');
    await daemon.ok('token', 'enroll', '--user', 'carol', '--realm', 'example', '--phone', '+4917033333', '--pin', 'unused3', '--serial', 'NOTE0003');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await otp?.close();
    await notify?.close();
    await slapd?.stop();
  });

  it('notification set refuses what cannot work, naming the option; list and delete', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--event', 'token_stolen', '--gateway', 'notify', '--text', 'x'], /--event takes one of token_locked, token_enrolled, login_from_new_client, sms_limit_reached, gateway_down, not 'token_stolen'/],
      [['--event', 'gateway_down', '--gateway', 'notify', '--text', 'x'], /--to owner: gateway_down is about no user; give an operator's number/],
      [['--event', 'token_locked', '--gateway', 'nosuch', '--text', 'x'], /no gateway 'nosuch' for notification n1; define it first/],
      [['--event', 'token_locked', '--gateway', 'notify', '--to', 'ops desk', '--text', 'x'], /--to takes owner or a phone number; 'ops desk' must be a phone number/],
      [['--event', 'token_locked', '--gateway', 'notify', '--text', ' '], /--text is empty/],
    ];
    for (const [args, message] of cases) {
      const r = await daemon.cli('notification', 'set', 'n1', ...args);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(await daemon.ok('notification', 'list', '--json')).toBe('[]');
    await daemon.configure('notification', 'set', 'n1', '--event', 'token_locked', '--gateway', 'notify', '--text', 'x');
    expect(JSON.parse(await daemon.ok('notification', 'list', '--json'))).toEqual([{ identifier: 'n1', event: 'token_locked', gateway: 'notify', to: 'owner', text: 'x' }]);
    // The gateway a notification sends through is not deleted from under it.
    const inUse = await daemon.cli('gateway', 'delete', 'notify');
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toMatch(/gateway notify not deleted: notification n1 sends through it/);
    expect(await daemon.configure('notification', 'delete', 'n1')).toBe('notification n1 deleted');
    const gone = await daemon.cli('notification', 'delete', 'n1');
    expect(gone.stderr).toMatch(/no notification 'n1'/);
  });

  it('login_from_new_client: not for the first client, once for a new one, not again for a known one', async () => {
    await daemon.configure('notification', 'set', 'newclient', '--event', 'login_from_new_client', '--gateway', 'notify',
      '--text', 'Hello {givenname}: new login of {user} from {client} via {nas} at {date}');
    expect((await loginFrom('198.51.100.1')).code).toBe('Access-Accept');
    expect((await loginFrom('198.51.100.1')).code).toBe('Access-Accept');
    await settle(300);
    expect(notify.received).toHaveLength(0);
    expect((await loginFrom('203.0.113.7')).code).toBe('Access-Accept');
    const sms = await notify.next();
    expect(sms.query.get('to')).toBe('+4917011111');
    expect(sms.query.get('text')).toMatch(/^Hello Alice: new login of alice from 203\.0\.113\.7 via localhost at \d{4}-\d{2}-\d{2}$/);
    expect((await loginFrom('203.0.113.7')).code).toBe('Access-Accept');
    await settle(300);
    expect(notify.received).toHaveLength(1);
    expect(daemon.logs()).not.toContain('+4917011111');
  });

  it('a failing or slow notification gateway neither fails nor delays the login; the failure is logged', async () => {
    notify.respond(503, 'down for maintenance', 3000);
    const started = Date.now();
    expect((await loginFrom('192.0.2.99')).code).toBe('Access-Accept');
    expect(Date.now() - started).toBeLessThan(2500);
    await notify.next();
    await settle(3500);
    expect(daemon.logs()).toMatch(/"notification":"newclient".*notification not sent|notification not sent.*"notification":"newclient"/);
    notify.respond(200, 'OK');
    await daemon.configure('notification', 'delete', 'newclient');
  });

  it('token_locked: the failure that reaches maxfail sends it to the owner, once', async () => {
    await daemon.configure('notification', 'set', 'locked', '--event', 'token_locked', '--gateway', 'notify', '--text', 'Token {serial} of {user} was locked');
    const before = notify.received.length;
    expect((await login('bob', 'wrong-pw')).attributes['Reply-Message']).toEqual(['wrong otp pin']);
    await settle(300);
    expect(notify.received).toHaveLength(before);
    expect((await login('bob', 'wrong-pw')).code).toBe('Access-Reject');
    const sms = await notify.next();
    expect([sms.query.get('to'), sms.query.get('text')]).toEqual(['+4917022222', 'Token NOTE0002 of bob was locked']);
    // A locked token: more failures tell nobody again; the right password meets the lock.
    expect((await login('bob', 'wrong-pw')).code).toBe('Access-Reject');
    expect((await login('bob', 'bob-pw')).attributes['Reply-Message']).toEqual(['Failcounter exceeded']);
    await settle(300);
    expect(notify.received).toHaveLength(before + 1);
  });

  it('token_enrolled: enrollment by challenge tells the new token’s number (the directory’s mobile) and an operator', async () => {
    await daemon.configure('notification', 'set', 'enrolled', '--event', 'token_enrolled', '--gateway', 'notify', '--text', 'Welcome {givenname} {surname}: token {serial}');
    await daemon.configure('notification', 'set', 'enrolled-ops', '--event', 'token_enrolled', '--gateway', 'notify', '--to', '+4930123456', '--text', '{user} enrolled {serial}');
    const first = await login('dora', 'dora-pw');
    expect(first.code).toBe('Access-Challenge');
    const code = (await otp.next()).query.get('text')!;
    const accepted = await login('dora', code, { State: stateOf(first) });
    expect(accepted.code).toBe('Access-Accept');
    const serial = JSON.parse(await daemon.ok('token', 'list', '--json')).find((t: { username: string }) => t.username === 'dora').serial as string;
    const received = [await notify.next(), await notify.next()].map((m) => [m.query.get('to'), m.query.get('text')]).sort();
    expect(received).toEqual([
      ['+4917044444', `Welcome Dora Explorer: token ${serial}`],
      ['+4930123456', `dora enrolled ${serial}`],
    ].sort());
  });

  it('sms_limit_reached: the first refusal of a window is told to the owner, the next ones are not', async () => {
    await daemon.configure('setting', 'set', 'sms.limit.phone', '1/10m');
    await daemon.configure('notification', 'set', 'flood', '--event', 'sms_limit_reached', '--gateway', 'notify',
      '--text', 'Codes for {user} are held back ({limit}); next in {retry_minutes} min');
    const before = notify.received.length;
    expect((await login('carol', 'carol-pw')).code).toBe('Access-Challenge');
    const refused = await login('carol', 'carol-pw');
    expect(refused.attributes['Reply-Message']).toEqual(['Too many codes requested; try again in 10 minutes']);
    const sms = await notify.next();
    expect([sms.query.get('to'), sms.query.get('text')]).toEqual(['+4917033333', 'Codes for carol are held back (sms.limit.phone); next in 10 min']);
    expect((await login('carol', 'carol-pw')).code).toBe('Access-Reject');
    await settle(300);
    expect(notify.received).toHaveLength(before + 1);
  });
});

describe('gateway_down through the dispatcher and a real gateway', () => {
  it('goes to the operator’s number through the notification’s gateway; no owner is asked for', async () => {
    const peer = await startSmsGateway();
    const definitions = new Map([['ops', { identifier: 'ops', description: '', module: 'http', options: { URL: peer.url, to: '{phone}', text: '{otp}' }, headers: {} }]]);
    const gateways = new GatewayRegistry(async (id) => definitions.get(id), { scriptDirectory: '/nonexistent', smtpServers: { get: async () => undefined } } as never);
    const logged: string[] = [];
    const dispatcher = new NotificationDispatcher({
      definitions: () => [{ identifier: 'down', event: 'gateway_down', gateway: 'ops', recipient: '+4930999999', text: 'Gateway {gateway} is down: {reason}' }],
      settings: () => resolveSettings(new Map()),
      sms: gateways,
      directory: { candidates: async () => [], lookup: async () => undefined, checkPassword: async () => false },
      tokenOf: async (): Promise<Token | undefined> => undefined,
      knownClients: { remember: async () => 'known' },
      now: () => Date.now(),
      log: { info: (_f, m) => logged.push(m), warn: (_f, m) => logged.push(m) },
    });
    try {
      dispatcher.emit({ type: 'gateway_down', gateway: 'primary', reason: 'unreachable: connect ECONNREFUSED' });
      await dispatcher.idle();
      const sms = await peer.next();
      expect([sms.query.get('to'), sms.query.get('text')]).toEqual(['+4930999999', 'Gateway primary is down: unreachable: connect ECONNREFUSED']);
      expect(logged).toEqual(['notification sent']);
    } finally {
      await gateways.close();
      await peer.close();
    }
  });
});
