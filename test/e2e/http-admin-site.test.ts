// The admin API's site endpoints as an operator's script drives them: curl against the daemon
// process with an API key of role admin (test/helpers/http-admin.ts) for the SMS gateways
// (/smsgateway/), the settings (/system/) and the policies (/policy/), and the logins that
// follow over RADIUS (radclient). The same application layer as the CLI: what one shows, the
// other shows too, and each change is in the audit trail with who made it. The tokens and
// GET /audit/: http-admin-tokens.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { curl, type HttpAnswer } from '../helpers/http-clients.js';
import { PIN, useAdminApi } from '../helpers/http-admin.js';

/** Secrets of a gateway defined over the API: a request parameter and a header the HTTP provider sends. */
const GATEWAY_TOKEN = 'gw-api-token-5e1f';
const GATEWAY_HEADER = 'Bearer gw-header-secret-77aa';

describe('HTTP admin API: gateways, settings and policies (privacyIDEA /smsgateway/, /system/, /policy/)', () => {
  const api = useAdminApi();
  const { call, value, login, reloads, reloadedAfter } = api;

  // carol's token, for the logins that show a setting applied.
  beforeAll(async () => {
    await value(call('POST', '/token/init', { user: 'carol', phone: '+4917033333', pin: PIN, genkey: '1' }));
  });

  describe('gateways', () => {
    it('a gateway and a token made with the admin API log in over RADIUS; the daemon picks the gateway up within a second', async () => {
      const before = reloads();
      const defined = await call('POST', '/smsgateway', {
        name: 'gw2',
        // privacyIDEA's class path for its HTTP provider is taken as module http.
        module: 'privacyidea.lib.smsprovider.HttpSMSProvider.HttpSMSProvider',
        description: 'made over HTTP',
        'option.URL': api.gw.url,
        'option.to': '{phone}',
        'option.text': '{otp}',
        'option.api_token': GATEWAY_TOKEN,
        'header.Authorization': GATEWAY_HEADER,
      });
      expect(defined).toMatchObject({ status: 200, json: { result: { status: true, value: 'gw2' } } });
      await reloadedAfter(before);
      await value(call('POST', '/token/init', { user: 'frank', phone: '+4917055555', pin: PIN, genkey: '1', gateway: 'gw2', serial: 'PISM0000FRA1' }));

      const challenge = await login('frank', PIN);
      expect(challenge.code).toBe('Access-Challenge');
      const sms = await api.gw.next();
      // Sent through gw2, with the secrets that are censored on reading.
      expect(sms.query.get('to')).toBe('+4917055555');
      expect(sms.query.get('api_token')).toBe(GATEWAY_TOKEN);
      expect(sms.headers.authorization).toBe(GATEWAY_HEADER);
      const answered = await login('frank', sms.query.get('text') ?? '', challenge.attributes.State?.[0]);
      expect(answered.code).toBe('Access-Accept');
    });

    it('GET /smsgateway/ censors secret options and headers, as `gateway show` does', async () => {
      const listed = await call('GET', '/smsgateway/');
      const one = await call('GET', '/smsgateway/gw2');
      for (const a of [listed, one]) {
        expect(a.status, a.text).toBe(200);
        expect(a.text).not.toContain(GATEWAY_TOKEN);
        expect(a.text).not.toContain('gw-header-secret');
      }
      const gateways = (listed.json?.result as unknown as { value: Array<{ identifier: string; default: boolean }> }).value;
      expect(gateways.map((g) => [g.identifier, g.default])).toEqual([['gw1', true], ['gw2', false]]);
      const [gw2] = (one.json?.result as unknown as { value: unknown[] }).value;
      expect(gw2).toMatchObject({
        identifier: 'gw2',
        module: 'http',
        description: 'made over HTTP',
        options: { URL: api.gw.url, to: '{phone}', text: '{otp}', api_token: '__CENSORED__' },
        headers: { Authorization: '__CENSORED__' },
      });
      expect(gw2).toEqual(JSON.parse(await api.daemon.ok('gateway', 'show', 'gw2')));
    });

    it('refuses what could never be sent (400), unknown gateways (404) and deleting one in use unless forced', async () => {
      const cases: Array<[Promise<HttpAnswer>, number, string, RegExp]> = [
        [call('POST', '/smsgateway', { name: 'gw3', module: 'carrier-pigeon' }), 400, 'ERR_INVALID_VALUE', /module must be one of http/],
        [call('POST', '/smsgateway', { name: 'gw 3', module: 'http', 'option.URL': api.gw.url }), 400, 'ERR_INVALID_VALUE', /letters, digits/],
        [call('POST', '/smsgateway', { name: 'gw3', module: 'http', 'option.URL': 'ftp://example.org/' }), 400, 'ERR_GATEWAY_FAILED', /URL/],
        [call('POST', '/smsgateway', { module: 'http', 'option.URL': api.gw.url }), 400, 'ERR_BAD_REQUEST', /^missing parameter: 'name'$/],
        [call('GET', '/smsgateway/gw3'), 404, 'ERR_NOT_FOUND', /no gateway 'gw3'/],
        [call('DELETE', '/smsgateway/gw3'), 404, 'ERR_NOT_FOUND', /no gateway 'gw3'/],
        [call('DELETE', '/smsgateway/gw2'), 400, 'ERR_CONFLICT', /1 token uses it/],
      ];
      for (const [answer, status, code, message] of cases) {
        const a = await answer;
        expect(a.status, a.text).toBe(status);
        expect(a.json?.result.error?.name, a.text).toBe(code);
        expect(a.json?.result.error?.message, a.text).toMatch(message);
      }
      const forced = await call('DELETE', '/smsgateway/gw2', { force: '1' });
      expect(forced).toMatchObject({ status: 200, json: { result: { value: true }, detail: { tokens: 1, defaultUnset: false } } });
      expect((await call('GET', '/smsgateway/gw2')).status).toBe(404);
    });
  });

  describe('system', () => {
    it('GET /system/ gives every setting as `setting list` has it', async () => {
      const answer = await call('GET', '/system/');
      expect(answer.status, answer.text).toBe(200);
      const settings = (answer.json?.result as unknown as { value: Record<string, unknown> }).value;
      expect(settings).toMatchObject({ 'sms.identifier': 'gw1', 'pin.kdf_cost': 10, 'sms.resend_interval': 30 });
      const cli = JSON.parse(await api.daemon.ok('setting', 'list', '--json')) as Array<{ key: string; value: unknown; source: string }>;
      expect(settings).toEqual(Object.fromEntries(cli.map((c) => [c.key, c.value])));
      expect((answer.json?.detail as unknown as { settings: Array<{ key: string; source: string }> }).settings).toContainEqual(
        expect.objectContaining({ key: 'sms.identifier', source: 'store' }),
      );
    });

    it('POST /system/setConfig stores settings (form or JSON) and the daemon applies them at the next login', async () => {
      const before = reloads();
      const set = await call('POST', '/system/setConfig', { 'sms.resend_interval': '60', sms_challenge_text: 'Code from the SMS, please:' });
      expect(set).toMatchObject({ status: 200, json: { result: { status: true, value: { 'sms.resend_interval': 'insert', sms_challenge_text: 'insert' } } } });
      await reloadedAfter(before);
      expect(await api.daemon.ok('setting', 'get', 'sms.resend_interval')).toBe('60');
      const challenge = await login('carol', PIN);
      expect(challenge).toMatchObject({ code: 'Access-Challenge', attributes: { 'Reply-Message': ['Code from the SMS, please:'] } });
      await api.gw.next();

      const json = await curl(`${api.base}/system/setConfig`, ['-H', `PI-Authorization: ${api.adminKey}`, '-H', 'content-type: application/json', '--data-binary', '{"sms.resend_interval": 45}']);
      expect(json).toMatchObject({ status: 200, json: { result: { value: { 'sms.resend_interval': 'update' } } } });
      expect(await api.daemon.ok('setting', 'get', 'sms.resend_interval')).toBe('45');
    });

    it('refuses a bad value naming the key, and then stores none of the request', async () => {
      const cases: Array<[Record<string, string>, number, string, RegExp]> = [
        [{ 'sms.resend_interval': 'soon' }, 400, 'ERR_INVALID_VALUE', /^setting 'sms.resend_interval' takes a whole number, not 'soon'$/],
        [{ 'sms.resend_interval': '20', failcounter_clear_timeout: '-1' }, 400, 'ERR_INVALID_VALUE', /^setting 'failcounter_clear_timeout' must be between 0 and 525600/],
        [{ 'sms.resend_interval': '20', no_such_setting: '1' }, 400, 'ERR_INVALID_VALUE', /^unknown setting 'no_such_setting'/],
        [{ 'sms.identifier': 'no-such-gateway' }, 404, 'ERR_NOT_FOUND', /no gateway 'no-such-gateway' for setting sms.identifier/],
        [{}, 400, 'ERR_INVALID_VALUE', /no setting given/],
      ];
      for (const [fields, status, code, message] of cases) {
        const a = await call('POST', '/system/setConfig', fields);
        expect(a.status, a.text).toBe(status);
        expect(a.json?.result.status, a.text).toBe(false);
        expect(a.json?.result.error?.name, a.text).toBe(code);
        expect(a.json?.result.error?.message, a.text).toMatch(message);
      }
      expect(await api.daemon.ok('setting', 'get', 'sms.resend_interval')).toBe('45');
      expect(await api.daemon.ok('setting', 'get', 'sms.identifier')).toBe('gw1');
    });
  });

  describe('changes in the audit', () => {
    interface AdminRow {
      action: string;
      client: string;
      clientAddress: string;
      reason: string;
    }
    const adminRowsSince = async (before: number): Promise<AdminRow[]> =>
      (JSON.parse(await api.daemon.ok('audit', 'list', '--action', 'admin', '--limit', '1000', '--json')) as Array<AdminRow & { id: number }>).filter((r) => r.id > before);
    const lastId = async () => Math.max(0, ...(JSON.parse(await api.daemon.ok('audit', 'list', '--limit', '1', '--json')) as Array<{ id: number }>).map((r) => r.id));

    it('settings, policies and API keys changed over HTTP or the CLI each write an admin row naming the API key or the account; a refused change writes none', async () => {
      const keys = JSON.parse(await api.daemon.ok('apikey', 'list', '--json')) as Array<{ id: number; description: string }>;
      const provisioning = keys.find((k) => k.description === 'provisioning')!.id;
      const before = await lastId();
      await value(call('POST', '/system/setConfig', { 'sms.resend_interval': '33', sms_challenge_text: 'Your code:' }));
      expect((await call('POST', '/system/setConfig', { 'sms.resend_interval': 'soon' })).status).toBe(400);
      await value(call('POST', '/policy/audited', { scope: 'authentication', action: 'otplen=8', realm: 'corp' }));
      await value(call('DELETE', '/policy/audited'));
      await api.daemon.ok('setting', 'set', 'sms.resend_interval', '34');
      await api.daemon.ok('policy', 'set', 'cli-audited', '--scope', 'authorization', '--action', 'reply_attribute=Class=ops', '--user', 'bob');
      await api.daemon.ok('policy', 'delete', 'cli-audited');
      const key = await api.daemon.ok('apikey', 'create', '--role', 'validate', '--description', 'audited key');
      const created = (JSON.parse(await api.daemon.ok('apikey', 'list', '--json')) as Array<{ id: number; description: string }>).find((k) => k.description === 'audited key')!.id;
      await api.daemon.ok('apikey', 'delete', String(created));
      await api.daemon.ok('setting', 'unset', 'sms.resend_interval');

      const rows = await adminRowsSince(before); // oldest first, as `audit list` prints
      const byHttp = `(by API key ${provisioning})`;
      const account = rows.at(-1)!.reason.match(/\(by (.+)\)$/)![1]!;
      expect(account).not.toMatch(/API key|unknown/);
      expect(rows.map((r) => [r.client, r.reason])).toEqual([
        ['http', `setting sms.resend_interval set to '33' (was '45') ${byHttp}`],
        ['http', `setting sms_challenge_text set to 'Your code:' (was 'Code from the SMS, please:') ${byHttp}`],
        ['http', `policy audited created: authentication, priority 1; otplen=8 for realm=corp ${byHttp}`],
        ['http', `policy audited deleted ${byHttp}`],
        ['cli', `setting sms.resend_interval set to '34' (was '33') (by ${account})`],
        ['cli', `policy cli-audited created: authorization, priority 1; reply_attribute=Class=ops for user=bob (by ${account})`],
        ['cli', `policy cli-audited deleted (by ${account})`],
        ['cli', `API key ${created} created: role validate, 'audited key' (by ${account})`],
        ['cli', `API key ${created} deleted (by ${account})`],
        ['cli', `setting sms.resend_interval back to its default '30' (was '34') (by ${account})`],
      ]);
      expect(rows.filter((r) => r.client === 'http').every((r) => r.clientAddress === '127.0.0.1')).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(key);
      // As the tests after this one expect them.
      await api.daemon.ok('setting', 'set', 'sms.resend_interval', '45');
      await api.daemon.ok('setting', 'set', 'sms_challenge_text', 'Code from the SMS, please:');
    });
  });

  describe('keys', () => {
    it('every gateway and system endpoint needs a key of role admin: none or an unknown one is 401, a validate key 403', async () => {
      const endpoints: Array<['GET' | 'POST' | 'DELETE', string, Record<string, string>]> = [
        ['GET', '/smsgateway/', {}],
        ['GET', '/smsgateway/gw1', {}],
        ['POST', '/smsgateway', { name: 'evil', module: 'http', 'option.URL': 'http://127.0.0.1:9/' }],
        ['DELETE', '/smsgateway/gw1', { force: '1' }],
        ['GET', '/system/', {}],
        ['POST', '/system/setConfig', { 'sms.resend_interval': '99' }],
      ];
      await api.expectAdminOnly(endpoints);
      // Nothing happened: no gateway evil, gw1 still there, the setting as it was.
      expect((await call('GET', '/smsgateway/evil')).status).toBe(404);
      expect((await call('GET', '/smsgateway/gw1')).status).toBe(200);
      expect(await api.daemon.ok('setting', 'get', 'sms.resend_interval')).toBe('45');
    });
  });

  describe('logs', () => {
    it('logs every admin call, refused ones too, without a PIN, a secret option or header, or a key', async () => {
      await api.daemon.stop();
      const logs = api.daemon.logs();
      const calls = logs.split('\n').filter((line) => line.includes('"msg":"admin call"'));
      expect(calls.some((line) => line.includes('"admin":"POST /smsgateway/"') && line.includes('"option.api_token"'))).toBe(true);
      expect(calls.some((line) => line.includes('"status":403'))).toBe(true);
      for (const secret of [PIN, GATEWAY_TOKEN, 'gw-header-secret', api.adminKey, api.validateKey]) expect(logs).not.toContain(secret);
    });
  });
});
