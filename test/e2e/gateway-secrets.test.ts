// Gateway secrets whatever their names (issue 18), through the real CLI, the real HTTP admin
// API (curl) and a real HTTP gateway: header values and URL credentials are sealed in the
// store and censored by `gateway show` and GET /smsgateway/, the censored form sent back keeps
// them, what is sent still carries them, and values an earlier version stored in the clear
// are sealed by the upgrade path. Also: the typo rule of http, and `gateway modules`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const execFileAsync = promisify(execFile);
const CENSORED = '__CENSORED__';

describe('gateway secrets whatever their names', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let base: string;
  let adminKey: string;
  let store: string;
  /** The gateway's URL with credentials and an API key in its query. */
  let secretUrl: string;

  const sqlite = (): Knex => knexFactory({ client: 'better-sqlite3', connection: { filename: store }, useNullAsDefault: true });
  const show = async (id: string) => JSON.parse(await daemon.ok('gateway', 'show', id)) as { options: Record<string, string>; headers: Record<string, string> };
  const rows = async (id: string) => {
    const knex = sqlite();
    try {
      return (await knex('sms_gateway_options')
        .join('sms_gateways', 'sms_gateways.id', 'sms_gateway_options.gateway_id')
        .where('sms_gateways.identifier', id)
        .select('kind', 'key', 'value', 'sealed')) as Array<{ kind: string; key: string; value: string; sealed: number }>;
    } finally {
      await knex.destroy();
    }
  };
  const admin = async (method: 'GET' | 'POST', url: string, fields: Record<string, string> = {}) => {
    const args = ['-s', '-X', method, '-H', `PI-Authorization: ${adminKey}`];
    for (const [k, v] of Object.entries(fields)) args.push('--data-urlencode', `${k}=${v}`);
    const { stdout } = await execFileAsync('curl', [...args, `${base}${url}`]);
    return JSON.parse(stdout) as { result: { status: boolean; value: unknown }; detail?: unknown };
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    base = `http://127.0.0.1:${port}`;
    daemon = await createDaemon({ http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
    store = path.join(daemon.dir, 'store.sqlite');
    const u = new URL(gw.url);
    secretUrl = `http://alice:pw%2Fx@${u.host}${u.pathname}?apikey=K1-secret&lang=de`;
    adminKey = await daemon.ok('apikey', 'create', '--role', 'admin');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('seals header values and URL credentials, shows them censored, and sends them', async () => {
    await daemon.ok(
      'gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${secretUrl}`, '--option', 'to={phone}', '--option', 'text={otp}',
      '--header', 'X-Auth=xauth-secret', '--header', 'Cookie=session=cookie-secret',
    );
    const shown = await show('gw1');
    expect(shown.options.URL).toBe(`http://alice:***@${new URL(gw.url).host}/sms?apikey=***&lang=***`);
    expect(shown.headers).toEqual({ 'X-Auth': CENSORED, Cookie: CENSORED });
    expect(shown.options.to).toBe('{phone}');
    const stored = await rows('gw1');
    expect(stored.filter((r) => r.sealed).map((r) => `${r.kind} ${r.key}`).sort()).toEqual(['header Cookie', 'header X-Auth', 'option URL']);
    const file = readFileSync(store).toString('latin1') + readFileSync(`${store}-wal`).toString('latin1');
    for (const secret of ['xauth-secret', 'cookie-secret', 'K1-secret', 'pw%2Fx']) expect(file, secret).not.toContain(secret);

    await daemon.ok('gateway', 'test', 'gw1', '--phone', '+4917012345');
    const sms = await gw.next();
    expect(sms.headers['x-auth']).toBe('xauth-secret');
    expect(sms.headers.cookie).toBe('session=cookie-secret');
    expect(sms.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw/x').toString('base64')}`);
    expect(sms.query.get('apikey')).toBe('K1-secret');
    expect(sms.query.get('to')).toBe('+4917012345');
  });

  it('shows them censored over the admin API too, and keeps them when the censored form comes back', async () => {
    const listed = (await admin('GET', '/smsgateway/')).result.value as Array<{ identifier: string; options: Record<string, string>; headers: Record<string, string> }>;
    const gw1 = listed.find((g) => g.identifier === 'gw1')!;
    expect(gw1.headers).toEqual({ 'X-Auth': CENSORED, Cookie: CENSORED });
    expect(gw1.options.URL).toContain('alice:***@');
    expect(JSON.stringify(listed)).not.toMatch(/xauth-secret|cookie-secret|K1-secret|pw%2Fx/);

    // Written back as shown, with the description and one request parameter changed.
    const fields: Record<string, string> = { name: 'gw1', module: 'http', description: 'written back' };
    for (const [k, v] of Object.entries({ ...gw1.options, text: 'code {otp}' })) fields[`option.${k}`] = v;
    for (const [k, v] of Object.entries(gw1.headers)) fields[`header.${k}`] = v;
    expect((await admin('POST', '/smsgateway/', fields)).result.status).toBe(true);
    await daemon.ok('gateway', 'test', 'gw1', '--phone', '+4917012345');
    const sms = await gw.next();
    expect(sms.headers['x-auth']).toBe('xauth-secret');
    expect(sms.headers.authorization).toBe(`Basic ${Buffer.from('alice:pw/x').toString('base64')}`);
    expect(sms.query.get('apikey')).toBe('K1-secret');
    expect(sms.query.get('text')).toBe('code sms-otp-radiusd test message');

    // The URL's path changed, its censored parts kept: taken from the stored URL part by part.
    const moved = gw1.options.URL!.replace('/sms?', '/sms2?');
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${moved}`, '--option', 'to={phone}', '--option', 'text={otp}', '--header', `X-Auth=${CENSORED}`);
    await daemon.ok('gateway', 'test', 'gw1', '--phone', '+4917012345');
    const again = await gw.next();
    expect(again.path).toBe('/sms2');
    expect(again.query.get('apikey')).toBe('K1-secret');
    expect(again.headers['x-auth']).toBe('xauth-secret');
  });

  it('refuses an http option one typo from a declared parameter, and a censored value with nothing to keep', async () => {
    const typo = await daemon.cli('gateway', 'set', 'gw2', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'TIMOUT=5');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('option TIMOUT is no parameter of http and would go out as a request parameter: did you mean TIMEOUT?');
    const nothing = await daemon.cli('gateway', 'set', 'gw2', '--module', 'http', '--option', 'URL=http://u:***@127.0.0.1:9/x');
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toContain('URL: the password is *** but gateway gw2 has no stored value to keep');
  });

  it('seals what an earlier version stored in the clear: check warns, the next command seals it', async () => {
    // As an earlier version wrote them: a header and a URL with credentials, unsealed.
    const knex = sqlite();
    const now = Date.now();
    const [id] = await knex('sms_gateways').insert({ identifier: 'old', description: '', module: 'http', created_at: now, updated_at: now });
    await knex('sms_gateway_options').insert([
      { gateway_id: id, kind: 'option', key: 'URL', value: secretUrl, sealed: false },
      { gateway_id: id, kind: 'option', key: 'to', value: '{phone}', sealed: false },
      { gateway_id: id, kind: 'header', key: 'X-Auth', value: 'old-xauth-secret', sealed: false },
    ]);
    await knex.destroy();
    const check = JSON.parse((await daemon.cli('check', '--json')).stdout) as Array<{ check: string; status: string; message: string }>;
    expect(check.filter((c) => c.check === 'gateway' && c.status === 'warn').map((c) => c.message)).toEqual([
      'old: header X-Auth is a secret stored in the clear (by an earlier version); serve and every CLI command on the store seal it',
      'old: option URL is a secret stored in the clear (by an earlier version); serve and every CLI command on the store seal it',
    ]);
    const list = await daemon.cli('gateway', 'list');
    expect(list.code).toBe(0);
    expect(list.stderr).toContain('sealed gateway secrets an earlier version had stored in the clear');
    expect(list.stderr).not.toContain('old-xauth-secret');
    const sealed = await rows('old');
    expect(sealed.map((r) => `${r.kind} ${r.key} ${r.sealed ? 'sealed' : 'clear'}`).sort()).toEqual(['header X-Auth sealed', 'option URL sealed', 'option to clear']);
    expect((await show('old')).headers).toEqual({ 'X-Auth': CENSORED });
    await daemon.ok('gateway', 'test', 'old', '--phone', '+4917012345');
    expect((await gw.next()).headers['x-auth']).toBe('old-xauth-secret');
    expect((await daemon.cli('gateway', 'list')).stderr).not.toContain('sealed gateway secrets');
  });

  it('lists what each module takes from its declaration', async () => {
    const text = await daemon.ok('gateway', 'modules', 'http');
    expect(text).toMatch(/^http: .*--header values are secrets; any other option is a request parameter/);
    expect(text).toMatch(/\nTIMEOUT\s+3\s+seconds to wait for the gateway/);
    expect(text).toMatch(/\nPASSWORD\s+yes\s+basic auth password/);
    const providers = (await admin('GET', '/smsgateway/providers')).result.value as Record<string, { parameters: Record<string, { default: string | null; secret: string; required: boolean }> }>;
    expect(Object.keys(providers).sort()).toEqual(['failover', 'firebase', 'http', 'modem', 'script', 'sipgate', 'smpp', 'smtp']);
    expect(providers.modem!.parameters.PIN).toMatchObject({ secret: 'yes', required: false, default: null });
    expect(providers.sipgate!.parameters.URL).toMatchObject({ default: 'https://samurai.sipgate.net/RPC2', secret: 'url' });
  });
});
