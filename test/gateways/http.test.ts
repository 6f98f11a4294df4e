// The HTTP provider against real HTTP and HTTPS servers on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateways/provider.js';
import { HttpProvider } from '../../src/gateways/http.js';
import type { GatewayDefinition } from '../../src/store/gateways.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const def = (options: Record<string, string>, headers: Record<string, string> = {}): GatewayDefinition => ({
  identifier: 'gw-http',
  description: '',
  module: 'http',
  options,
  headers,
});

async function sendError(provider: HttpProvider, phone = '+491701234567', text = 'Your code 287082'): Promise<GatewayError> {
  try {
    await provider.send(phone, text);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('send succeeded');
}

describe('HTTP provider', () => {
  let gw: SmsGateway;
  const providers: HttpProvider[] = [];
  const make = (options: Record<string, string>, headers?: Record<string, string>) => {
    const p = new HttpProvider(def(options, headers));
    providers.push(p);
    return p;
  };

  beforeAll(async () => {
    gw = await startSmsGateway();
  });
  afterEach(async () => {
    gw.respond(200, 'OK');
    await Promise.all(providers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => gw.close());

  it('sends GET with parameters, {phone} and {otp} filled, REGEXP applied and headers as given', async () => {
    const p = make({ URL: gw.url, to: '{phone}', text: '{otp}', from: 'ACME', REGEXP: '/[+ ]//' }, { 'X-Api-Key': 'k1' });
    await p.send('+49 170 1234567', 'Code: 287082 & more');
    const sms = await gw.next();
    expect(sms.method).toBe('GET');
    expect(Object.fromEntries(sms.query)).toEqual({ to: '491701234567', text: 'Code: 287082 & more', from: 'ACME' });
    expect(sms.headers['x-api-key']).toBe('k1');
  });

  it('sends POST as a form body or, with SEND_DATA_AS_JSON, as JSON', async () => {
    await make({ URL: gw.url, HTTP_METHOD: 'POST', To: '{phone}', Body: '{otp}' }).send('+1555', 'c 1');
    const form = await gw.next();
    expect(form.method).toBe('POST');
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(form.body))).toEqual({ To: '+1555', Body: 'c 1' });

    await make({ URL: gw.url, HTTP_METHOD: 'post', SEND_DATA_AS_JSON: 'yes', to: '{phone}', msg: '{otp}' }).send('+1555', 'c "2"');
    const json = await gw.next();
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body)).toEqual({ to: '+1555', msg: 'c "2"' });
  });

  it('understands the legacy option names', async () => {
    await make({ URL: gw.url, HTTP_Method: 'POST', SMS_PHONENUMBER_KEY: 'nr', SMS_TEXT_KEY: 'txt', PARAMETER: 'user=u1&acct=7' }).send('+1', 'hi');
    const sms = await gw.next();
    expect(sms.method).toBe('POST');
    expect(Object.fromEntries(new URLSearchParams(sms.body))).toEqual({ user: 'u1', acct: '7', nr: '+1', txt: 'hi' });
  });

  it('uses basic auth from USERNAME/PASSWORD or from the URL, and never sends the URL credentials on the line', async () => {
    await make({ URL: gw.url, USERNAME: 'api', PASSWORD: 'p@ss:w' }).send('+1', 'x');
    expect((await gw.next()).headers.authorization).toBe(`Basic ${Buffer.from('api:p@ss:w').toString('base64')}`);
    const withCreds = gw.url.replace('http://', 'http://u%40x:secr%2Fet@');
    await make({ URL: withCreds }).send('+1', 'x');
    const sms = await gw.next();
    expect(sms.headers.authorization).toBe(`Basic ${Buffer.from('u@x:secr/et').toString('base64')}`);
  });

  it('fails on a status other than 200/201/202', async () => {
    gw.respond(500, 'oops');
    const err = await sendError(make({ URL: gw.url, to: '{phone}', text: '{otp}' }));
    expect(err.gatewayId).toBe('gw-http');
    expect(err.message).toContain('answered HTTP 500');
    gw.respond(202, 'queued');
    await make({ URL: gw.url }).send('+1', 'x');
  });

  it('checks RETURN_SUCCESS before RETURN_FAIL', async () => {
    gw.respond(200, 'ID: 4711');
    await make({ URL: gw.url, RETURN_SUCCESS: 'ID' }).send('+1', 'x');
    gw.respond(200, 'ERR: no credit');
    expect((await sendError(make({ URL: gw.url, RETURN_SUCCESS: 'ID' }))).message).toContain('lacks the RETURN_SUCCESS text');
    expect((await sendError(make({ URL: gw.url, RETURN_FAIL: 'ERR' }))).message).toContain('contains the RETURN_FAIL text');
    gw.respond(200, 'ID 1, ERR none');
    await make({ URL: gw.url, RETURN_SUCCESS: 'ID', RETURN_FAIL: 'ERR' }).send('+1', 'x');
  });

  it('gives up after TIMEOUT seconds', async () => {
    gw.respond(200, 'late', 3000);
    const started = Date.now();
    const err = await sendError(make({ URL: gw.url, TIMEOUT: '0.5' }));
    expect(err.message).toContain('no answer within 0.5 s (TIMEOUT)');
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('reports a refused connection without leaking the query, the OTP or credentials', async () => {
    const err = await sendError(make({ URL: 'http://user:topsecret@127.0.0.1:9/send?key=apikey123', PASSWORD: 'pw-secret', text: '{otp}' }), '+4917012', 'code 287082');
    expect(err.message).toContain('connection refused');
    expect(err.message).toContain('http://127.0.0.1:9/send');
    for (const leak of ['topsecret', 'apikey123', 'pw-secret', '287082', '+4917012']) expect(err.message).not.toContain(leak);
  });

  it('rejects bad options when the gateway is defined, naming the option', () => {
    expect(() => make({})).toThrow(/option URL is required/);
    expect(() => make({ URL: 'ftp://x/' })).toThrow(/URL must start with http/);
    expect(() => make({ URL: gw.url, HTTP_METHOD: 'PUT' })).toThrow(/HTTP_METHOD must be one of GET, POST/);
    expect(() => make({ URL: gw.url, CHECK_SSL: 'maybe' })).toThrow(/CHECK_SSL must be yes or no/);
    expect(() => make({ URL: gw.url, TIMEOUT: '-1' })).toThrow(/TIMEOUT must be a number of seconds/);
  });
});

describe('HTTP provider over TLS and proxies', () => {
  let tlsGw: SmsGateway;
  beforeAll(async () => {
    tlsGw = await startSmsGateway({ tls: selfSignedCertificate() });
  });
  afterAll(async () => tlsGw.close());

  it('refuses an untrusted certificate by default and explains CHECK_SSL', async () => {
    const p = new HttpProvider(def({ URL: tlsGw.url }));
    expect((await sendError(p)).message).toMatch(/TLS certificate not trusted .*CHECK_SSL=no/);
    await p.close();
  });

  it('sends over HTTPS with CHECK_SSL=no', async () => {
    const p = new HttpProvider(def({ URL: tlsGw.url, CHECK_SSL: 'no', to: '{phone}' }));
    await p.send('+1', 'x');
    expect(Object.fromEntries((await tlsGw.next()).query)).toEqual({ to: '+1' });
    await p.close();
  });

  it('goes through HTTPS_PROXY for https URLs', async () => {
    const proxy = await startConnectProxy();
    const p = new HttpProvider(def({ URL: tlsGw.url, CHECK_SSL: 'no', HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9' }));
    await p.send('+1', 'via proxy');
    await tlsGw.next();
    expect(proxy.targets).toEqual([new URL(tlsGw.url).host]);
    await p.close();
    await proxy.close();
  });
});
