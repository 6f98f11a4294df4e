// Who exists, as the HTTP front tells privacyIDEA's clients and as RADIUS does not: with a
// real slapd as the realm's user store, a name nobody knows (or a realm that does not exist)
// gets privacyIDEA's ERR904 (HTTP 400, code 904) on /validate/check, /validate/radiuscheck
// and /validate/triggerchallenge; a directory user without a token gets the 200 REJECT "The
// user has no tokens assigned"; over RADIUS both get the same Access-Reject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { freeradiusPlugin, pamModule, type HttpAnswer } from '../helpers/http-clients.js';
import { radclient } from '../helpers/radius-clients.js';
import { defineUserStore, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const PIN = 'pin4711';
const NO_TOKEN = 'The user has no tokens assigned';

describe('HTTP front: unknown users and realms answer as privacyIDEA (904), RADIUS does not tell', () => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let base: string;
  let adminKey: string;

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: '+4917011111' },
      { uid: 'bob', password: 'bob-pw', givenName: 'Bob', sn: 'Builder' },
    ]);
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    daemon = await createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
    base = `http://127.0.0.1:${port}`;
    await defineUserStore(daemon, [slapd.uri]);
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'example', '--phone', '+4917011111', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'PISMU0001');
    // A token owner the directory does not know (enrolled before the user store, or removed from it since).
    await daemon.ok('token', 'enroll', '--user', 'dora', '--realm', 'example', '--phone', '+4917022222', '--pin', PIN, '--otpkey', RFC4226_KEY, '--serial', 'PISMU0002');
    await daemon.ok('token', 'disable', 'PISMU0002');
    adminKey = await daemon.ok('apikey', 'create', '--role', 'admin');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  const expect904 = (a: HttpAnswer, name: string) => {
    expect(a.status, a.text).toBe(400);
    expect(a.json?.result, a.text).toMatchObject({ status: false, error: { code: 904, message: `ERR904: User <${name}> does not exist.` } });
    expect(a.json?.detail).toBeNull();
  };

  it('/validate/check: a name nobody knows, a realm that does not exist → 400 / 904 with privacyIDEA\'s message', async () => {
    const check = `${base}/validate/check`;
    expect904(await pamModule(check, { user: 'carol', pass: PIN }), 'carol@example');
    expect904(await pamModule(check, { user: 'carol', realm: 'example', pass: PIN }), 'carol@example');
    expect904(await pamModule(check, { user: 'bob', realm: 'nosuchrealm', pass: PIN }), 'bob@nosuchrealm');
    // user@realm for a realm that does not exist is the whole name in the default realm, as in privacyIDEA.
    expect904(await pamModule(check, { user: 'bob@nosuchrealm', pass: PIN }), 'bob@nosuchrealm@example');
    // With a transaction id too: privacyIDEA looks for the user first.
    expect904(await pamModule(check, { user: 'carol', pass: '123456', transaction_id: '1'.repeat(40) }), 'carol@example');
    // privacyIDEA's FreeRADIUS plugin (urllib) reads result.error.code 904 and answers notfound.
    const plugin = await freeradiusPlugin(check, { user: 'carol', pass: PIN, client: '192.0.2.10' });
    expect(plugin).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 904 } } } });
  });

  it('a user the directory knows, or a token owner, is no unknown user: 200 REJECT as before', async () => {
    const check = `${base}/validate/check`;
    const bob = await pamModule(check, { user: 'bob', pass: PIN });
    expect(bob).toMatchObject({ status: 200, json: { result: { status: true, value: false, authentication: 'REJECT' }, detail: { message: NO_TOKEN } } });
    const bobInRealm = await pamModule(check, { user: 'bob', realm: 'example', pass: PIN });
    expect(bobInRealm.json?.detail?.message).toBe(NO_TOKEN);
    const dora = await pamModule(check, { user: 'dora', pass: PIN });
    expect(dora).toMatchObject({ status: 200, json: { result: { authentication: 'REJECT' }, detail: { message: 'Token is disabled' } } });
    const wrongPin = await pamModule(check, { user: 'alice', pass: 'nope1234' });
    expect(wrongPin).toMatchObject({ status: 200, json: { detail: { message: 'wrong otp pin' } } });
    const unknownTid = await pamModule(check, { user: 'alice', pass: '123456', transaction_id: '1'.repeat(40) });
    expect(unknownTid).toMatchObject({ status: 200, json: { result: { authentication: 'REJECT' } } });
    // dora with a serial that is not hers: she exists, so no 904.
    const notHers = await pamModule(check, { user: 'dora', serial: 'PISMU0001', pass: PIN });
    expect(notHers).toMatchObject({ status: 200, json: { detail: { message: NO_TOKEN } } });
    expect904(await pamModule(check, { user: 'carol', serial: 'PISMU0001', pass: PIN }), 'carol@example');
    await daemon.ok('token', 'reset', 'PISMU0001');
  });

  it('/validate/radiuscheck and /validate/triggerchallenge name the unknown user too', async () => {
    expect904(await pamModule(`${base}/validate/radiuscheck`, { user: 'carol', pass: PIN }), 'carol@example');
    const bob = await pamModule(`${base}/validate/radiuscheck`, { user: 'bob', pass: PIN });
    expect(bob).toMatchObject({ status: 400, text: '' });

    const trigger = `${base}/validate/triggerchallenge`;
    expect904(await pamModule(trigger, { user: 'carol' }, { 'PI-Authorization': adminKey }), 'carol@example');
    expect904(await pamModule(trigger, { user: 'alice', realm: 'nosuchrealm' }, { 'PI-Authorization': adminKey }), 'alice@nosuchrealm');
    const noToken = await pamModule(trigger, { user: 'bob' }, { 'PI-Authorization': adminKey });
    expect(noToken).toMatchObject({ status: 200, json: { result: { status: true, value: 0 }, detail: { message: NO_TOKEN } } });
    // Without a key the key is refused first: no user name is confirmed to a caller without one.
    expect((await pamModule(trigger, { user: 'carol' })).status).toBe(401);
  });

  it('over RADIUS an unknown user gets exactly what a directory user without a token gets', async () => {
    const login = (user: string) => radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(PIN) });
    for (const name of ['carol', 'bob@nosuchrealm', 'nosuchrealm\\bob']) {
      const unknown = await login(name);
      const known = await login('bob');
      expect(unknown.code, name).toBe('Access-Reject');
      // Every attribute but the Message-Authenticator, which signs each packet.
      const without = (a: Record<string, string[]>) => Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'Message-Authenticator'));
      expect(without(unknown.attributes), name).toEqual(without(known.attributes));
      // A NAS is no oracle for user names: both are answered as a wrong PIN is (issue 19).
      expect(unknown.attributes['Reply-Message']).toEqual(['wrong otp pin']);
    }
    // The audit names both alike: an unknown name is not written down as anything else.
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json')) as Array<{ user: string; reason: string; client: string }>;
    const carol = rows.filter((r) => r.user === 'carol' && r.client !== 'http');
    expect(carol.length).toBe(1);
    expect(carol[0]!.reason).toBe('no token');
  });
});
