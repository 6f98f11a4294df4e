// Logins over RADIUS (radclient) with users from a real slapd: otppin=userstore (the directory
// password, then the SMS, then the OTP), name forms and realms, injection attempts, the
// directory's names in the SMS, a directory that goes down, and passthru, passOnNoToken,
// passOnNoUser; on SQLite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { createTestDatabase } from '../helpers/pg.js';
import { STORE_KINDS } from '../helpers/store.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { defineUserStore, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

// Over RADIUS a login name without a token is told what a wrong PIN is told (no oracle for
// user names); the HTTP front and the audit trail say 'The user has no tokens assigned'.
const NO_TOKEN_OVER_RADIUS = 'wrong otp pin';

const stateOf = (reply: { attributes: Record<string, string[]> }) => reply.attributes.State?.[0] ?? '';
const login = (daemon: TestDaemon, user: string, password: string, state?: string) =>
  radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });

describe.each(STORE_KINDS)('RADIUS logins with users from an LDAP directory, %s store', (kind) => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: '+4917011111' },
      { uid: 'bob', password: 'bob-pw', givenName: 'Bob', sn: 'Builder' },
    ]);
    gw = await startSmsGateway();
    if (kind === 'pg') {
      const db = await createTestDatabase();
      dropDatabase = db.drop;
      daemon = await createDaemon({ database: { client: 'pg', url: db.url }, radius: { reject_delay: '0' } });
    } else {
      daemon = await createDaemon({ radius: { reject_delay: '0' } });
    }
    const down = `ldap://127.0.0.1:${await freeTcpPort()}`;
    // The first server is down from the start: every login goes to the second.
    await defineUserStore(daemon, [down, slapd.uri]);
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'smstext', 'Hi {givenname} {surname}, code {otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    // alice gets more than 5 SMS in these tests: the flood limits are not what they test
    // (test/e2e/sms-limits.test.ts is).
    await daemon.ok('setting', 'set', 'sms.limit.phone', '');
    await daemon.ok('setting', 'set', 'sms.limit.user', '');
    // Each login with the password sends its own SMS: no reuse of a fresh challenge.
    await daemon.ok('setting', 'set', 'sms.resend_interval', '0');
    await daemon.ok('setting', 'set', 'otppin', 'userstore');
    await daemon.ok('setting', 'set', 'userstore.cache_seconds', '1');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'example', '--phone', '+4917011111', '--pin', 'token-pin', '--otpkey', RFC4226_KEY);
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
    await dropDatabase?.();
  });

  it('otppin=userstore: directory password → SMS with the directory’s names → OTP → Access-Accept; the token PIN no longer counts', async () => {
    const first = await login(daemon, 'alice', 'alice-pw');
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917011111');
    const [, greeting, otp] = /^(Hi .*), code (\d{6})$/.exec(sms.query.get('text') ?? '') ?? [];
    expect(greeting).toBe('Hi Alice Liddell');
    const second = await login(daemon, 'alice', otp!, stateOf(first));
    expect(second.code).toBe('Access-Accept');

    const tokenPin = await login(daemon, 'alice', 'token-pin');
    expect(tokenPin.code).toBe('Access-Reject');
    expect(tokenPin.attributes['Reply-Message']).toEqual(['wrong otp pin']);
    expect((await login(daemon, 'alice', 'alice-PW')).attributes['Reply-Message']).toEqual(['wrong otp pin']);
    await daemon.ok('token', 'reset', (JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string }>)[0]!.serial);
  });

  it('otppin=userstore takes the directory password and the OTP in one; otppin=none the OTP alone', async () => {
    const serial = (JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string }>)[0]!.serial;
    const otpNow = async () => {
      const { counter } = JSON.parse(await daemon.ok('token', 'show', serial)) as { counter: number };
      const { hotp } = await import('../../src/core/hotp.js');
      return hotp({ otpKey: Buffer.from(RFC4226_KEY, 'hex'), hashlib: 'sha1', otplen: 6 } as never, counter);
    };
    expect((await login(daemon, 'alice', `alice-pw${await otpNow()}`)).code).toBe('Access-Accept');
    expect((await login(daemon, 'alice', `wrong-pw${await otpNow()}`)).attributes['Reply-Message']).toEqual(['wrong otp pin']);
    await daemon.configure('setting', 'set', 'otppin', 'none');
    expect(daemon.logs()).toContain('setting otppin is none');
    expect((await login(daemon, 'alice', await otpNow())).code).toBe('Access-Accept');
    expect((await login(daemon, 'alice', 'whatever')).code).toBe('Access-Challenge');
    await gw.next();
    await daemon.configure('setting', 'set', 'otppin', 'userstore');
    await daemon.ok('token', 'reset', serial);
  });

  it('maps ALICE, EXAMPLE\\alice and alice@Example to alice in realm example', async () => {
    for (const name of ['ALICE', 'EXAMPLE\\alice', 'alice@Example']) {
      const r = await login(daemon, name, 'alice-pw');
      expect(r.code, name).toBe('Access-Challenge');
      await gw.next();
    }
    expect((await login(daemon, 'OTHER\\alice', 'alice-pw')).attributes['Reply-Message']).toEqual([NO_TOKEN_OVER_RADIUS]);
  });

  it('user show names what the user store says of a user, with or without a token (helpdesk)', async () => {
    const [alice] = JSON.parse(await daemon.ok('user', 'show', 'alice@example', '--json')) as Array<Record<string, unknown>>;
    expect(alice).toMatchObject({ username: 'alice', realm: 'example', directory: { userstore: 'corp', found: true, givenname: 'Alice', surname: 'Liddell', mobile: '*********11' } });
    const [bob] = JSON.parse(await daemon.ok('user', 'show', 'bob@example', '--json')) as Array<Record<string, unknown>>;
    expect(bob).toMatchObject({ username: 'bob', realm: 'example', tokens: [], directory: { userstore: 'corp', found: true, givenname: 'Bob' } });
    expect(await daemon.ok('user', 'show', 'bob@example')).toMatch(/^directory: user store corp: Bob Builder, dn uid=bob,/m);
    const nobody = await daemon.cli('user', 'show', 'nobody@example');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^sms-otp-radiusd: no user nobody@example: no token, no audit row, and no user store knows the name/);
  });

  it('LDAP injection in the user name finds nobody', async () => {
    for (const name of ['*', 'a*', '*)(uid=*', 'alice)(|(uid=*', '\\2a']) {
      const r = await login(daemon, name, 'alice-pw');
      expect(r.code, name).toBe('Access-Reject');
      expect(r.attributes['Reply-Message'], name).toEqual([NO_TOKEN_OVER_RADIUS]);
    }
  });

  it('a changed given name is in the next SMS after userstore.cache_seconds, without any CLI step', async () => {
    await slapd.modify('alice', { givenName: 'Alicia' });
    await new Promise((r) => setTimeout(r, 1100));
    await daemon.configure('setting', 'set', 'sms.resend_interval', '0');
    const challenge = await login(daemon, 'alice', 'alice-pw');
    expect(challenge.code).toBe('Access-Challenge');
    expect((await gw.next()).query.get('text')).toMatch(/^Hi Alicia Liddell, code \d{6}$/);
    // Asked again (State, no password): the resent SMS has the names too.
    const again = await radclient(daemon, { 'User-Name': '"alice"', State: stateOf(challenge) });
    expect(again.code).toBe('Access-Challenge');
    expect((await gw.next()).query.get('text')).toMatch(/^Hi Alicia Liddell, code \d{6}$/);
  });

  it('passthru, passOnNoToken, passOnNoUser as privacyIDEA defines them, each warned of in the log', async () => {
    const noToken = await login(daemon, 'bob', 'bob-pw');
    expect(noToken.attributes['Reply-Message']).toEqual([NO_TOKEN_OVER_RADIUS]);

    await daemon.configure('setting', 'set', 'passthru', 'true');
    expect(daemon.logs()).toContain('setting passthru is on');
    expect((await login(daemon, 'bob', 'bob-pw')).code).toBe('Access-Accept');
    const wrong = await login(daemon, 'bob', 'nope');
    expect(wrong.code).toBe('Access-Reject');
    expect(wrong.attributes['Reply-Message']).toEqual(['wrong user password']);
    // A user with a token still needs it.
    expect((await login(daemon, 'alice', 'alice-pw')).code).toBe('Access-Challenge');
    await gw.next();
    // Nobody of that name: passthru does not apply.
    expect((await login(daemon, 'carol', 'x')).attributes['Reply-Message']).toEqual([NO_TOKEN_OVER_RADIUS]);
    await daemon.configure('setting', 'unset', 'passthru');

    await daemon.configure('setting', 'set', 'passOnNoToken', 'true');
    expect(daemon.logs()).toContain('setting passOnNoToken is on');
    expect((await login(daemon, 'bob', 'anything')).code).toBe('Access-Accept');
    expect((await login(daemon, 'carol', 'anything')).code).toBe('Access-Reject');
    await daemon.configure('setting', 'unset', 'passOnNoToken');

    await daemon.configure('setting', 'set', 'passOnNoUser', 'true');
    expect(daemon.logs()).toContain('setting passOnNoUser is on');
    expect((await login(daemon, 'carol', 'anything')).code).toBe('Access-Accept');
    expect((await login(daemon, 'bob', 'bob-pw')).code).toBe('Access-Reject');
    await daemon.configure('setting', 'unset', 'passOnNoUser');

    const audit = await daemon.ok('audit', 'list', '--json');
    expect(audit).toContain("user has no token, directory password accepted due to 'passthru'");
    expect(audit).toContain("user does not exist, accepted due to 'passOnNoUser'");
  });

  it('the directory down: the failure message, no crash, no passOnNoUser; back up: logins work again', async () => {
    await daemon.configure('setting', 'set', 'passOnNoUser', 'true');
    await slapd.stop();
    for (const name of ['alice', 'carol']) {
      const r = await login(daemon, name, 'alice-pw');
      expect(r.code, name).toBe('Access-Reject');
      expect(r.attributes['Reply-Message'], name).toEqual(['The authentication service is unavailable, try again later']);
    }
    expect(daemon.logs()).toMatch(/no directory server answered/);
    expect(daemon.logs()).not.toContain('alice-pw');
    await daemon.configure('setting', 'unset', 'passOnNoUser');
    await slapd.start();
    expect((await radclient(daemon, { 'Packet-Type': 'Status-Server' })).code).toBe('Access-Accept');
    expect((await login(daemon, 'alice', 'alice-pw')).code).toBe('Access-Challenge');
    await gw.next();
  });
});
