// The admin API's token endpoints as an operator's script drives them: curl against the daemon
// process with an API key of role admin (test/helpers/http-admin.ts), and the logins that follow
// over RADIUS (radclient) with what the API made. The same application layer as the CLI: what
// one shows, the other shows too. Each change is in the audit trail with the key that made it,
// and GET /audit/ reads the trail. The gateways, settings and policies: http-admin-site.test.ts.
import { describe, expect, it } from 'vitest';
import { RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { curl, type HttpAnswer } from '../helpers/http-clients.js';
import { PIN, useAdminApi, type ListedToken } from '../helpers/http-admin.js';
import { startSmsGateway } from '../helpers/sms-gateway.js';

// Over RADIUS a login name without a token is told what a wrong PIN is told (no oracle for
// user names); the HTTP front and the audit trail say 'The user has no tokens assigned'.
const NO_TOKEN_OVER_RADIUS = 'wrong otp pin';

const NEW_PIN = 'newpin0815';
const OTHER_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('HTTP admin API: tokens and the audit (privacyIDEA /token/, /audit/)', () => {
  const api = useAdminApi();
  const { call, value, tokenOf, login, pinOtp } = api;

  describe('tokens', () => {
    it('POST /token/init enrolls a token (otpkey, description) that logs in over RADIUS at once', async () => {
      const init = await call('POST', '/token/init', { type: 'sms', user: 'bob', phone: '+4917022222', pin: PIN, otpkey: RFC4226_KEY, serial: 'PISM0000B0B1', description: 'Diensthandy Bob (Büro 2.10)' });
      expect(init).toMatchObject({ status: 200, json: { result: { status: true, value: true }, detail: { serial: 'PISM0000B0B1' } } });
      // GET /token/ names it as privacyIDEA's token list does.
      expect((await tokenOf('PISM0000B0B1')).description).toBe('Diensthandy Bob (Büro 2.10)');
      const accepted = await login('bob', await pinOtp('PISM0000B0B1'));
      expect(accepted.code).toBe('Access-Accept');
    });

    it('POST /token/init with genkey=1 makes its own key (never answered) and the token logs in by challenge', async () => {
      const init = await call('POST', '/token/init', { user: 'carol', phone: '+4917033333', pin: PIN, genkey: '1' });
      expect(init.status, init.text).toBe(200);
      const serial = init.json?.detail?.serial ?? '';
      expect(serial).toMatch(/^PISM/);
      expect(init.text).not.toMatch(/otpkey|seed|otpauth/i);
      const challenge = await login('carol', PIN);
      expect(challenge.code).toBe('Access-Challenge');
      const otp = (await api.gw.next()).query.get('text') ?? '';
      expect(otp).toMatch(/^\d{6}$/);
      const answered = await login('carol', otp, challenge.attributes.State?.[0]);
      expect(answered.code).toBe('Access-Accept');
    });

    it('POST /token/init tells the new token\'s owner through a token_enrolled notification', async () => {
      const notify = await startSmsGateway();
      try {
        // Each change waits for its own reload: the token must not be made before the daemon knows the notification.
        await api.daemon.configure('gateway', 'set', 'notify', '--module', 'http', '--option', `URL=${notify.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
        await api.daemon.configure('notification', 'set', 'welcome', '--event', 'token_enrolled', '--gateway', 'notify', '--text', 'Token {serial} is now yours, {user}');
        await value(call('POST', '/token/init', { user: 'erin', phone: '+4917055555', pin: PIN, genkey: '1', serial: 'PISM0000E0E1' }));
        const sms = await notify.next();
        expect([sms.query.get('to'), sms.query.get('text')]).toEqual(['+4917055555', 'Token PISM0000E0E1 is now yours, erin']);
      } finally {
        await api.daemon.configure('notification', 'delete', 'welcome');
        await api.daemon.configure('gateway', 'delete', 'notify');
        await call('DELETE', '/token/PISM0000E0E1');
        await notify.close();
      }
    });

    it('GET /token/ filters by user and serial and pages as privacyIDEA does, never showing a key or a PIN hash', async () => {
      for (const n of [1, 2, 3]) {
        await value(call('POST', '/token/init', { user: 'dave', realm: 'Example.org', phone: `+491704444${n}`, pin: PIN, otpkey: OTHER_KEY, serial: `PISM0000DAV${n}` }));
      }
      const first = await value<{ tokens: ListedToken[]; count: number; current: number; next: number | null; prev: number | null }>(
        call('GET', '/token/', { user: 'dave', pagesize: '2' }),
      );
      expect(first).toMatchObject({ count: 3, current: 1, next: 2, prev: null });
      expect(first.tokens.map((t) => t.serial)).toEqual(['PISM0000DAV1', 'PISM0000DAV2']);
      const second = await value<typeof first>(call('GET', '/token/', { user: 'dave', pagesize: '2', page: '2' }));
      expect(second).toMatchObject({ count: 3, current: 2, next: null, prev: 1 });
      expect(second.tokens.map((t) => t.serial)).toEqual(['PISM0000DAV3']);
      const byRealm = await value<typeof first>(call('GET', '/token/', { user: 'dave', realm: 'example.org' }));
      expect(byRealm.count).toBe(3);
      const bySerial = await value<typeof first>(call('GET', '/token/', { serial: 'PISM0000DAV2' }));
      expect(bySerial.tokens.map((t) => [t.serial, t.username])).toEqual([['PISM0000DAV2', 'dave']]);
      const all = await call('GET', '/token/', { pagesize: '1000' });
      expect((all.json?.result as unknown as { value: { count: number } }).value.count).toBe(5);
      for (const secret of [RFC4226_KEY, OTHER_KEY, 'scrypt$', PIN]) expect(all.text).not.toContain(secret);
      expect(all.text).not.toMatch(/pinHash|pin_hash|otpKey|otp_key/i);
      // The CLI shows the very same tokens: one application layer behind both.
      const cli = JSON.parse(await api.daemon.ok('token', 'list', '--user', 'dave', '--json')) as unknown[];
      expect(byRealm.tokens).toEqual(cli);
      const badPage = await call('GET', '/token/', { page: '0' });
      expect(badPage).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 905 } } } });
    });

    it('disable, enable, reset, setpin and delete take effect on the next login', async () => {
      const serial = 'PISM0000B0B1';
      expect(await value(call('POST', `/token/disable/${serial}`))).toBe(1);
      const disabled = await login('bob', await pinOtp(serial));
      expect(disabled).toMatchObject({ code: 'Access-Reject', attributes: { 'Reply-Message': ['Token is disabled'] } });
      expect(await value(call('POST', `/token/enable/${serial}`))).toBe(1);
      expect((await login('bob', await pinOtp(serial))).code).toBe('Access-Accept');

      // Locked after one failure; the reset (privacyIDEA's form: serial as a parameter) unlocks it.
      await api.daemon.ok('token', 'set', serial, '--maxfail', '1');
      expect((await login('bob', `wrong${hotp(RFC4226_KEY, 0)}`)).code).toBe('Access-Reject');
      expect(await tokenOf(serial)).toMatchObject({ failcount: 1, locked: true });
      const locked = await login('bob', await pinOtp(serial));
      expect(locked).toMatchObject({ code: 'Access-Reject', attributes: { 'Reply-Message': ['Failcounter exceeded'] } });
      expect(await value(call('POST', '/token/reset', { serial }))).toBe(1);
      expect(await tokenOf(serial)).toMatchObject({ failcount: 0, locked: false });
      expect((await login('bob', await pinOtp(serial))).code).toBe('Access-Accept');

      expect(await value(call('POST', `/token/setpin/${serial}`, { otppin: NEW_PIN }))).toBe(1);
      const oldPin = await login('bob', await pinOtp(serial));
      expect(oldPin).toMatchObject({ code: 'Access-Reject', attributes: { 'Reply-Message': ['wrong otp pin'] } });
      await value(call('POST', `/token/reset/${serial}`));
      expect((await login('bob', await pinOtp(serial, NEW_PIN))).code).toBe('Access-Accept');

      const otp = await pinOtp(serial, NEW_PIN);
      expect(await value(call('DELETE', `/token/${serial}`))).toBe(1);
      const deleted = await login('bob', otp);
      expect(deleted).toMatchObject({ code: 'Access-Reject', attributes: { 'Reply-Message': [NO_TOKEN_OVER_RADIUS] } });
      expect(await value<{ count: number }>(call('GET', '/token/', { serial }))).toMatchObject({ count: 0 });
    });

    it('refuses bad parameters (400) and unknown serials (404) in privacyIDEA\'s error shape with a stable code', async () => {
      const cases: Array<[Promise<HttpAnswer>, number, string, RegExp]> = [
        [call('POST', '/token/init', { phone: '+4917000000', pin: PIN, genkey: '1' }), 400, 'ERR_BAD_REQUEST', /^missing parameter: 'user'$/],
        [call('POST', '/token/init', { user: 'erin', phone: '+4917000000', pin: PIN }), 400, 'ERR_BAD_REQUEST', /'otpkey' or 'genkey=1'/],
        [call('POST', '/token/init', { type: 'hotp', user: 'erin', phone: '+4917000000', pin: PIN, genkey: '1' }), 400, 'ERR_BAD_REQUEST', /SMS tokens only/],
        [call('POST', '/token/init', { user: 'erin', phone: '+4917000000', pin: PIN, otpkey: 'nothex' }), 400, 'ERR_INVALID_VALUE', /^otpkey must be 20 to 128 hex digits/],
        [call('POST', '/token/init', { user: 'erin', phone: '+4917000000', genkey: '1' }), 400, 'ERR_INVALID_VALUE', /^pin must not be empty/],
        [call('POST', '/token/init', { user: 'erin', phone: '+4917000000', pin: PIN, genkey: '1', description: 'd'.repeat(1001) }), 400, 'ERR_VALUE_TOO_LONG', /^description is 1001 characters long; at most 1000/],
        [call('POST', '/token/init', { user: 'erin', phone: '+4917000000', pin: PIN, genkey: '1', serial: 'PISM0000DAV1' }), 400, 'ERR_CONFLICT', /exists already/],
        [call('POST', '/token/setpin/PISM0000DAV1'), 400, 'ERR_BAD_REQUEST', /^missing parameter: 'otppin'$/],
        [call('POST', '/token/enable/NO-SUCH-SERIAL'), 404, 'ERR_NOT_FOUND', /no token with serial NO-SUCH-SERIAL/],
        [call('DELETE', '/token/NO-SUCH-SERIAL'), 404, 'ERR_NOT_FOUND', /no token with serial/],
        [call('POST', '/token/disable'), 400, 'ERR_BAD_REQUEST', /^missing parameter: 'serial'$/],
      ];
      for (const [answer, status, code, message] of cases) {
        const a = await answer;
        expect(a.status, a.text).toBe(status);
        expect(a.json?.result.status, a.text).toBe(false);
        expect(a.json?.result.error?.name, a.text).toBe(code);
        expect(a.json?.result.error?.code, a.text).toBe(status === 404 ? 601 : 905);
        expect(a.json?.result.error?.message, a.text).toMatch(message);
        expect(a.json?.detail).toBeNull();
      }
      // Nothing of a refused enrollment was stored.
      expect(await value<{ count: number }>(call('GET', '/token/', { user: 'erin' }))).toMatchObject({ count: 0 });
    });
  });

  describe('changes in the audit', () => {
    const lastId = async () => Math.max(0, ...(JSON.parse(await api.daemon.ok('audit', 'list', '--limit', '1', '--json')) as Array<{ id: number }>).map((r) => r.id));


    it('token changes over HTTP each write an admin row naming the token, its user and the API key, never a PIN, a key or the number; a refused one writes none', async () => {
      const keys = JSON.parse(await api.daemon.ok('apikey', 'list', '--json')) as Array<{ id: number; description: string }>;
      const by = `(by API key ${keys.find((k) => k.description === 'provisioning')!.id})`;
      const serial = 'PISM0000F0F1';
      const phone = '+4917066666';
      const before = await lastId();
      // A description is free text: this one holds the number, which the row must not repeat.
      await value(call('POST', '/token/init', { user: 'frank', realm: 'Corp', phone, pin: PIN, otpkey: OTHER_KEY, serial, description: `desk phone ${phone}` }));
      await value(call('POST', `/token/disable/${serial}`));
      await value(call('POST', '/token/enable', { serial }));
      await value(call('POST', `/token/reset/${serial}`));
      await value(call('POST', `/token/setpin/${serial}`, { otppin: NEW_PIN }));
      expect((await call('POST', '/token/disable/NO-SUCH-SERIAL')).status).toBe(404);
      expect((await call('DELETE', '/token/NO-SUCH-SERIAL')).status).toBe(404);
      expect((await call('POST', '/token/setpin/PISM0000F0F1', { otppin: 'x'.repeat(200) })).status).toBe(400);
      expect((await call('POST', '/token/disable/PISM0000F0F1', {}, api.validateKey)).status).toBe(403);
      await value(call('DELETE', `/token/${serial}`));

      // As /audit/ shows them (newest first), read oldest first.
      type Row = { id: number; user: string; realm: string; serials: string[]; client: string; clientAddress: string; phone: string; reason: string };
      const trail = await value<{ auditdata: Row[] }>(call('GET', '/audit/', { action: 'admin', page_size: '1000' }));
      const rows = trail.auditdata.filter((r) => r.id > before).reverse();
      expect(rows.map((r) => [r.user, r.realm, r.serials, r.client, r.clientAddress, r.reason])).toEqual(
        [
          `SMS token ${serial} enrolled for ${'*'.repeat(phone.length - 2)}66`,
          `token ${serial} disabled`,
          `token ${serial} enabled`,
          `token ${serial} reset (failcount was 0)`,
          `token ${serial} updated (pin)`,
          `token ${serial} deleted`,
        ].map((what) => ['frank', 'corp', [serial], 'http', '127.0.0.1', `${what} ${by}`]),
      );
      // `audit list --user` finds them as the helpdesk's rows.
      const cli = JSON.parse(await api.daemon.ok('audit', 'list', '--user', 'frank@corp', '--action', 'admin', '--json')) as Row[];
      expect(cli.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
      // No PIN given to /token/init or /token/setpin (here or in the tests before), no key, no number in any row of the trail.
      const everything = await call('GET', '/audit/', { page_size: '1000' });
      expect((everything.json?.result as unknown as { value: { count: number } }).value.count).toBeLessThan(1000);
      for (const secret of [PIN, NEW_PIN, RFC4226_KEY, OTHER_KEY, phone, phone.slice(1), '+4917022222', '+4917033333']) expect(everything.text).not.toContain(secret);
    });
  });

  describe('audit', () => {
    /** A row of /audit/ (and of `audit list --json`), as far as the tests read it. */
    interface AuditRow {
      id: number;
      action: string;
      user: string;
      reason: string;
    }
    type AuditPage = { auditdata: AuditRow[]; count: number; current: number; next: number | null; prev: number | null };

    it('GET /audit/ filters as `audit list` does, newest first, in privacyIDEA\'s pages', async () => {
      const cli = (JSON.parse(await api.daemon.ok('audit', 'list', '--user', 'bob', '--limit', '1000', '--json')) as AuditRow[]).reverse();
      expect(cli.length).toBeGreaterThan(5);
      const all = await value<AuditPage>(call('GET', '/audit/', { user: 'bob', page_size: '1000' }));
      expect(all).toMatchObject({ count: cli.length, current: 1, next: null, prev: null });
      expect(all.auditdata).toEqual(cli);
      expect(all.auditdata[0]!.reason).toBe('no token'); // the newest: the login after the token was deleted

      const first = await value<AuditPage>(call('GET', '/audit/', { user: 'bob', page_size: '2' }));
      expect(first).toMatchObject({ count: cli.length, current: 1, next: 2, prev: null });
      expect(first.auditdata.map((r) => r.id)).toEqual(cli.slice(0, 2).map((r) => r.id));
      const second = await value<AuditPage>(call('GET', '/audit/', { user: 'bob', page_size: '2', page: '2' }));
      expect(second).toMatchObject({ current: 2, next: 3, prev: 1 });
      expect(second.auditdata.map((r) => r.id)).toEqual(cli.slice(2, 4).map((r) => r.id));

      const accepts = await value<AuditPage>(call('GET', '/audit/', { user: 'bob', action: 'accept', since: '1h' }));
      expect(accepts.count).toBe(cli.filter((r) => r.action === 'accept').length);
      expect(accepts.auditdata.every((r) => r.action === 'accept' && r.user === 'bob')).toBe(true);
      const future = await value<AuditPage>(call('GET', '/audit/', { since: '2999-01-01T00:00Z' }));
      expect(future).toMatchObject({ count: 0, auditdata: [], next: null });
    });

    it('refuses filters that are no action or no time (400, naming the parameter)', async () => {
      const action = await call('GET', '/audit/', { action: 'sneeze' });
      expect(action).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 905, name: 'ERR_INVALID_FILTER' } } } });
      expect(action.json?.result.error?.message).toMatch(/^parameter 'action' must be one of /);
      const since = await call('GET', '/audit/', { since: 'yesterday' });
      expect(since).toMatchObject({ status: 400, json: { result: { error: { name: 'ERR_INVALID_FILTER' } } } });
      expect(since.json?.result.error?.message).toMatch(/^parameter 'since' takes a duration/);
    });
  });

  describe('keys', () => {
    it('every token and audit endpoint needs a key of role admin: none or an unknown one is 401, a validate key 403', async () => {
      const endpoints: Array<['GET' | 'POST' | 'DELETE', string, Record<string, string>]> = [
        ['POST', '/token/init', { user: 'mallory', phone: '+4917099999', pin: PIN, genkey: '1' }],
        ['GET', '/token/', {}],
        ['POST', '/token/enable/PISM0000DAV1', {}],
        ['POST', '/token/disable/PISM0000DAV1', {}],
        ['POST', '/token/reset/PISM0000DAV1', {}],
        ['POST', '/token/setpin/PISM0000DAV1', { otppin: 'x' }],
        ['DELETE', '/token/PISM0000DAV1', {}],
        ['GET', '/audit/', {}],
      ];
      await api.expectAdminOnly(endpoints);
      // Nothing happened: the token is still there and enabled, nobody enrolled mallory.
      expect(await tokenOf('PISM0000DAV1')).toMatchObject({ active: true });
      expect(await value<{ count: number }>(call('GET', '/token/', { user: 'mallory' }))).toMatchObject({ count: 0 });
      // Authorization works as well as PI-Authorization.
      const plain = await curl(`${api.base}/token/`, ['-G', '-H', `Authorization: ${api.adminKey}`]);
      expect(plain.status).toBe(200);
    });
  });

  describe('logs', () => {
    it('logs every admin call, refused ones too, without a PIN, an otpkey or a key', async () => {
      await api.daemon.stop();
      const logs = api.daemon.logs();
      const calls = logs.split('\n').filter((line) => line.includes('"msg":"admin call"'));
      expect(calls.some((line) => line.includes('"admin":"POST /token/init"') && line.includes('"status":200') && line.includes('"pin"'))).toBe(true);
      expect(calls.some((line) => line.includes('"admin":"POST /token/setpin/:serial"') && line.includes('"serial":"PISM0000B0B1"'))).toBe(true);
      expect(calls.some((line) => line.includes('"status":403'))).toBe(true);
      for (const secret of [PIN, NEW_PIN, RFC4226_KEY, OTHER_KEY, api.adminKey, api.validateKey]) expect(logs).not.toContain(secret);
    });
  });
});
