// The daemon the HTTP admin API tests drive (test/e2e/http-admin-*.test.ts), as an operator's
// script drives it: curl with an API key of role admin ('provisioning'), a validate key for the
// refusals, gateway gw1 posting to the test SMS gateway, and radclient for the logins that
// follow. One per test file, started before its tests and stopped after them.
import { afterAll, beforeAll, expect } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from './daemon.js';
import { RFC4226_KEY } from './fs.js';
import { hotp } from './hotp.js';
import { curl, type HttpAnswer } from './http-clients.js';
import { radclient, type RadiusReply } from './radius-clients.js';
import { startSmsGateway, type SmsGateway } from './sms-gateway.js';
import { useHttpGateway } from './sms-daemon.js';

/** The PIN the tests' tokens are enrolled with. */
export const PIN = 'pin4711';

/** A token as /token/ lists it, as far as the tests read it. */
export interface ListedToken {
  serial: string;
  username: string;
  active: boolean;
  failcount: number;
  locked: boolean;
  counter: number;
  description: string;
}

type Method = 'GET' | 'POST' | 'DELETE';

export interface AdminApi {
  readonly daemon: TestDaemon;
  readonly gw: SmsGateway;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly adminKey: string;
  readonly validateKey: string;
  /** One admin call with curl: the parameters as a form (GET: in the query string), the key (null: none; default the admin key) in PI-Authorization. */
  call(method: Method, path: string, fields?: Record<string, string>, key?: string | null): Promise<HttpAnswer>;
  /** result.value of a successful call (fails the test with the body otherwise). */
  value<T>(answer: Promise<HttpAnswer>): Promise<T>;
  /** The one token of that serial as GET /token/ lists it. */
  tokenOf(serial: string): Promise<ListedToken>;
  login(user: string, password: string, state?: string): Promise<RadiusReply>;
  /** How many times the daemon has reloaded the site configuration so far. */
  reloads(): number;
  /** Resolves once the running daemon has reloaded the site configuration after `before` reloads. */
  reloadedAfter(before: number): Promise<void>;
  /** PIN+OTP for the token's next counter (the RFC 4226 key), as a phone's authenticator would show it. */
  pinOtp(serial: string, pin?: string): Promise<string>;
  /** Asserts each endpoint answers 401 without a key and with an unknown one, and 403 to a validate key. */
  expectAdminOnly(endpoints: ReadonlyArray<readonly [Method, string, Record<string, string>]>): Promise<void>;
}

/** Registers the daemon's start (beforeAll) and stop (afterAll) in the calling suite; its parts are there once started. */
export function useAdminApi(): AdminApi {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let base = '';
  let adminKey = '';
  let validateKey = '';

  beforeAll(async () => {
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    daemon = await createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
    base = `http://127.0.0.1:${port}`;
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    adminKey = await daemon.ok('apikey', 'create', '--role', 'admin', '--description', 'provisioning');
    validateKey = await daemon.ok('apikey', 'create', '--role', 'validate');
    await useHttpGateway(daemon, gw.url);
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  const call = (method: Method, path: string, fields: Record<string, string> = {}, key: string | null = adminKey): Promise<HttpAnswer> => {
    const args = method === 'GET' ? ['-G'] : ['-X', method];
    for (const [k, v] of Object.entries(fields)) args.push('--data-urlencode', `${k}=${v}`);
    if (key !== null) args.push('-H', `PI-Authorization: ${key}`);
    return curl(`${base}${path}`, args);
  };
  const value = async <T>(answer: Promise<HttpAnswer>): Promise<T> => {
    const a = await answer;
    expect(a.status, a.text).toBe(200);
    expect(a.json?.result.status, a.text).toBe(true);
    return (a.json?.result as unknown as { value: T }).value;
  };
  const tokenOf = async (serial: string): Promise<ListedToken> => {
    const listed = await value<{ tokens: ListedToken[] }>(call('GET', '/token/', { serial }));
    expect(listed.tokens).toHaveLength(1);
    return listed.tokens[0]!;
  };
  const reloads = () => (daemon.logs().match(/site configuration reloaded/g) ?? []).length;
  return {
    get daemon() { return daemon; },
    get gw() { return gw; },
    get base() { return base; },
    get adminKey() { return adminKey; },
    get validateKey() { return validateKey; },
    call,
    value,
    tokenOf,
    login: (user, password, state) =>
      radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${password}"`, ...(state ? { State: state } : {}) }),
    reloads,
    reloadedAfter: async (before) => {
      const until = Date.now() + 1000;
      while (reloads() === before) {
        if (Date.now() > until) throw new Error('the daemon did not reload the configuration within 1 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    pinOtp: async (serial, pin = PIN) => `${pin}${hotp(RFC4226_KEY, (await tokenOf(serial)).counter)}`,
    expectAdminOnly: async (endpoints) => {
      for (const [method, path, fields] of endpoints) {
        const without = await call(method, path, fields, null);
        expect(without, `${method} ${path}`).toMatchObject({ status: 401, json: { result: { status: false, error: { code: 4033, name: 'ERR_UNAUTHENTICATED' } }, detail: null } });
        const unknown = await call(method, path, fields, `${adminKey}x`);
        expect(unknown.status, `${method} ${path}`).toBe(401);
        const validate = await call(method, path, fields, validateKey);
        expect(validate, `${method} ${path}`).toMatchObject({ status: 403, json: { result: { status: false, error: { code: 303, name: 'ERR_FORBIDDEN' } } } });
      }
    },
  };
}
