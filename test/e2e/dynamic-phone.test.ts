// Tokens with a dynamic phone against a real slapd, through the real daemon, CLI and radclient:
// bulk enrollment from the user store (twice: only the new users), the SMS sent to the
// directory's mobile (normalised: separators, (0), national numbers), a changed mobile used at
// the next login without any CLI step, a user without a mobile or with a number that is no
// number rejected with nothing sent, and `token import` with the dynamic_phone column.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';
import { BASE_DN, defineUserStore, SERVICE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';
const login = (daemon: TestDaemon, user: string, password: string, state?: string) =>
  radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });
const SMS_FAILED = 'The PIN was correct, but the SMS could not be sent!';

describe('tokens with a dynamic phone: the number from the user store at every send', () => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;

  const tokens = async () => JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<Record<string, unknown>>;
  /** A login with the directory password, the SMS's number, then the OTP from it: the Accept. */
  const smsLogin = async (user: string) => {
    const first = await login(daemon, user, `${user}-pw`);
    expect(first.code, `${user}: ${JSON.stringify(first.attributes)}\n${daemon.logs()}`).toBe('Access-Challenge');
    const sms = await gw.next();
    const otp = /(\d{6})$/.exec(sms.query.get('text') ?? '')?.[1] ?? '';
    const second = await login(daemon, user, otp, stateOf(first));
    expect(second.code, user).toBe('Access-Accept');
    return sms.query.get('to');
  };
  /** A login whose SMS cannot go out: rejected, nothing received by the gateway. */
  const noSms = async (user: string) => {
    const before = gw.received.length;
    const r = await login(daemon, user, `${user}-pw`);
    expect(r.code, user).toBe('Access-Reject');
    expect(r.attributes['Reply-Message'], user).toEqual([SMS_FAILED]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gw.received.length, user).toBe(before);
  };

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'dana', password: 'dana-pw', sn: 'D', mobile: '+49 (0)170 555-0101' },
      { uid: 'erik', password: 'erik-pw', sn: 'E', mobile: ['0170 / 555 02 02', '+491705559999'] },
      { uid: 'frank', password: 'frank-pw', sn: 'F' },
      { uid: 'gina', password: 'gina-pw', sn: 'G', mobile: 'call me 0170' },
    ]);
    gw = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    await defineUserStore(daemon, [slapd.uri]);
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'sms.default_country_code', '49');
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('setting', 'set', 'userstore.cache_seconds', '1');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('token enroll takes --phone or --dynamic-phone, one of them; bulk enrollment needs otppin userstore or none', async () => {
    const neither = await daemon.cli('token', 'enroll', '--user', 'x', '--pin', '1234');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('--phone or --dynamic-phone is required');
    const both = await daemon.cli('token', 'enroll', '--user', 'x', '--phone', '+4917011', '--dynamic-phone', '--pin', '1234');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --phone or --dynamic-phone, not both');
    const tokenpin = await daemon.cli('token', 'enroll', '--userstore', 'corp');
    expect(tokenpin.code).not.toBe(0);
    expect(tokenpin.stderr).toContain('setting otppin is tokenpin, and a bulk enrollment has no PIN to give each user');
    const badFilter = await daemon.cli('token', 'enroll', '--userstore', 'corp', '--filter', '(uid=dana');
    expect(badFilter.stderr).toMatch(/otppin is tokenpin|--filter/);
    expect(await tokens()).toEqual([]);
  });

  it('bulk enrollment from the user store: every user once; a second run adds only the new ones', async () => {
    await daemon.configure('setting', 'set', 'otppin', 'userstore');
    const bad = await daemon.cli('token', 'enroll', '--userstore', 'corp', '--filter', '(uid=dana');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--filter '(uid=dana' is not an LDAP filter");
    expect(await daemon.ok('token', 'enroll', '--userstore', 'corp', '--filter', '(uid=dana)')).toBe('enrolled 1 token (0 users already had one)');
    expect(await daemon.ok('token', 'enroll', '--userstore', 'corp')).toBe('enrolled 3 tokens (1 user already had one)');
    await slapd.add({ uid: 'hans', password: 'hans-pw', sn: 'H', mobile: '+43 664 1234567' });
    // An injection attempt in the filter is the operator's own filter, ANDed with the store's: nothing else.
    expect(await daemon.ok('token', 'enroll', '--userstore', 'corp', '--filter', '(|(uid=nobody)(uid=hans))')).toBe('enrolled 1 token (0 users already had one)');
    expect(await daemon.ok('token', 'enroll', '--userstore', 'corp')).toBe('enrolled 0 tokens (5 users already had one)');
    // One admin row per enrollment that enrolled any (1, 3, 1), none for the run that found all enrolled.
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json')) as Array<{ action: string; reason: string }>;
    expect(rows.filter((r) => r.action === 'admin' && r.reason.includes('user store corp')).map((r) => r.reason.replace(/ \(by [^)]+\)$/, '')).sort()).toEqual([
      '1 SMS token enrolled for the users of user store corp',
      '1 SMS token enrolled for the users of user store corp',
      '3 SMS tokens enrolled for the users of user store corp',
    ]);
    const all = await tokens();
    expect(all.map((t) => [t.username, t.realm, t.phone, t.dynamicPhone])).toEqual(
      ['dana', 'erik', 'frank', 'gina', 'hans'].map((u) => [u, 'example', '', true]),
    );
    const table = await daemon.ok('token', 'list');
    expect(table.split('\n').filter((l) => l.includes('(directory)'))).toHaveLength(5);
    expect(JSON.parse(await daemon.ok('token', 'show', String(all[0]!.serial)))).toMatchObject({ dynamicPhone: true, phone: '' });
  });

  it('login: directory password → SMS to the directory’s mobile, normalised → OTP → Access-Accept', async () => {
    expect(await smsLogin('dana')).toBe('+491705550101');
    // The first of several values, a national number with the default country code.
    expect(await smsLogin('erik')).toBe('+491705550202');
    expect(await smsLogin('hans')).toBe('+436641234567');
    const audit = await daemon.ok('audit', 'list', '--json');
    expect(audit).toContain('"phone": "***********01"');
  });

  it('a changed mobile in the directory is used at the next login, without any CLI step', async () => {
    await slapd.modify('dana', { mobile: '+44 7700 900123' });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await smsLogin('dana')).toBe('+447700900123');
  });

  it('no mobile, or one that is no phone number: rejected, nothing sent, the audit and the log say why', async () => {
    await noSms('frank');
    await noSms('gina');
    await daemon.configure('setting', 'set', 'sms.default_country_code', '');
    await noSms('erik');
    await daemon.configure('setting', 'set', 'sms.default_country_code', '49');
    await slapd.modify('dana', { mobile: null });
    await new Promise((r) => setTimeout(r, 1100));
    await noSms('dana');
    const audit = await daemon.ok('audit', 'list', '--json');
    expect(audit).toContain('dynamic phone: the user store has no mobile number for frank@example');
    expect(audit).toContain('dynamic phone: the user store has no mobile number for dana@example');
    expect(audit).toContain("the user store's mobile number of gina@example (**********70) holds characters that are not digits or separators; not sent");
    expect(audit).toContain('is a national number (leading 0) and setting sms.default_country_code is empty');
    const logs = daemon.logs();
    expect(logs).toMatch(/gina@example \(\*+70\).*"msg":"SMS not sent"/);
    expect(logs).not.toContain('call me');
    expect(logs).not.toContain('555 02 02');
  });

  it('check binds to the user store and finds its base DN, checks the realms; a user store down is a FAIL naming the URI', async () => {
    type Check = { check: string; status: string; message: string };
    const checks = async () => {
      const r = await daemon.cli('check', '--json');
      return { code: r.code, checks: JSON.parse(r.stdout) as Check[] };
    };
    const up = await checks();
    expect(up.checks.filter((c) => c.check === 'userstore')).toEqual([
      { check: 'userstore', status: 'ok', message: `corp: ${slapd.uri}: bound as ${SERVICE_DN}, base DN ${BASE_DN} found` },
    ]);
    expect(up.checks.filter((c) => c.check === 'realms')).toEqual([
      { check: 'realms', status: 'ok', message: '1 defined (default example); every user store they name exists' },
    ]);
    await slapd.stop();
    const down = await checks();
    expect(down.code).toBe(1);
    const [userstore] = down.checks.filter((c) => c.check === 'userstore');
    expect(userstore?.status).toBe('fail');
    expect(userstore?.message).toContain(`corp: no server can be used: ${slapd.uri}: connection refused`);
    await slapd.start();
  });

  it('the user store down: the login is refused with the service-unavailable message, no crash, nothing sent', async () => {
    await slapd.stop();
    await new Promise((r) => setTimeout(r, 1100));
    const before = gw.received.length;
    const r = await login(daemon, 'erik', 'erik-pw');
    expect(r.code).toBe('Access-Reject');
    expect(r.attributes['Reply-Message']).toEqual(['The authentication service is unavailable, try again later']);
    expect(gw.received.length).toBe(before);
    await slapd.start();
    expect(await smsLogin('erik')).toBe('+491705550202');
  });

  it('token import --csv with the dynamic_phone column (in the phone group)', async () => {
    const file = path.join(daemon.dir, 'dyn.csv');
    writeFileSync(file, 'user,realm,phone,dynamic_phone\nivan,example,,yes\njana,example,+4917012345,no\nkarl,example,,1\n', { mode: 0o600 });
    expect(await daemon.ok('token', 'import', '--csv', file)).toBe("imported 3 tokens (fields separated by ',')");
    const byUser = Object.fromEntries((await tokens()).map((t) => [t.username, [t.phone, t.dynamicPhone]]));
    expect(byUser).toMatchObject({ ivan: ['', true], jana: ['+4917012345', false], karl: ['', true] });
    // A number typed for a dynamic-phone token makes it a fixed one again.
    const ivan = (await tokens()).find((t) => t.username === 'ivan')!;
    await daemon.ok('token', 'set', String(ivan.serial), '--phone', '+4917000001');
    expect(JSON.parse(await daemon.ok('token', 'show', String(ivan.serial)))).toMatchObject({ phone: '+4917000001', dynamicPhone: false });

    writeFileSync(file, 'user,realm,dynamic_phone\nlena,example,true\nmax,example,maybe\nnina,example,\n', { mode: 0o600 });
    const bad = await daemon.cli('token', 'import', '--csv', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("line 3, column dynamic_phone: must be true, false, yes, no, 1 or 0 (empty: false), not 'maybe'");
    expect(bad.stderr).toContain('line 4, column phone: --phone or --dynamic-phone is required');
    writeFileSync(file, 'user,phone,dynamic_phone\nolga,+4917099,true\n', { mode: 0o600 });
    expect((await daemon.cli('token', 'import', '--csv', file)).stderr).toContain('line 2, column dynamic_phone: give --phone or --dynamic-phone, not both');
    writeFileSync(file, 'user,pin\npaul,1234\n', { mode: 0o600 });
    expect((await daemon.cli('token', 'import', '--csv', file)).stderr).toContain('no phone or dynamic_phone column');
  });
});
