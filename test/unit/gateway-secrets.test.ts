// The modules' parameter declarations on their own: which values are secrets, how a URL is
// censored and restored, the typo rule of http, and that every declared default is valid.
import { describe, expect, it } from 'vitest';
import { moduleViews } from '../../src/app/gateway-modules.js';
import { NotFoundError } from '../../src/core/errors.js';
import { checkDefinition, MODULE_PARAMETERS } from '../../src/gateways/parameters.js';
import { CENSORED, censorDefinition, censorUrl, isSecretEntry, restoreCensored } from '../../src/gateways/secrets.js';

const def = (module: string, options: Record<string, string>, headers: Record<string, string> = {}) => ({ identifier: 'g', description: '', module, options, headers });

describe('which gateway values are secrets', () => {
  it('every header value, whatever its name', () => {
    for (const name of ['X-Auth', 'Cookie', 'Authorization', 'X-Custom']) expect(isSecretEntry('http', 'header', name, 'v'), name).toBe(true);
  });
  it('parameters declared secret, not by their names', () => {
    expect(isSecretEntry('http', 'option', 'PASSWORD', 'pw')).toBe(true);
    expect(isSecretEntry('smpp', 'option', 'PASSWORD', 'pw')).toBe(true);
    expect(isSecretEntry('modem', 'option', 'PIN', '1234')).toBe(true);
    expect(isSecretEntry('sipgate', 'option', 'PASSWORD', 'pw')).toBe(true);
    for (const key of ['TIMEOUT', 'USERNAME', 'SMS_TEXT_KEY', 'SYSTEM_ID', 'SMSC_HOST']) expect(isSecretEntry('smpp', 'option', key, 'x'), key).toBe(false);
  });
  it('a URL parameter when it holds a password or a query', () => {
    expect(isSecretEntry('http', 'option', 'URL', 'http://user:pw@h/p')).toBe(true);
    expect(isSecretEntry('http', 'option', 'URL', 'https://h/p?apikey=k')).toBe(true);
    expect(isSecretEntry('http', 'option', 'HTTPS_PROXY', 'http://u:p@proxy:3128')).toBe(true);
    expect(isSecretEntry('http', 'option', 'URL', 'https://h/p')).toBe(false);
  });
  it("http's request parameters by their names", () => {
    expect(isSecretEntry('http', 'option', 'apiKey', 'k')).toBe(true);
    expect(isSecretEntry('http', 'option', 'auth_token', 'k')).toBe(true);
    expect(isSecretEntry('http', 'option', 'to', '{phone}')).toBe(false);
  });
});

describe('censoring', () => {
  it('shows a URL with its password and every query value censored, the rest as written', () => {
    expect(censorUrl('http://user:pw@gw.example.com:8080/path?apikey=K1&to={phone}')).toBe('http://user:***@gw.example.com:8080/path?apikey=***&to=***');
    expect(censorUrl('https://gw.example.com/send')).toBe('https://gw.example.com/send');
    expect(censorUrl('https://user@gw.example.com/send')).toBe('https://user@gw.example.com/send');
    expect(censorUrl('not a url')).toBe(CENSORED);
  });
  it('censors a definition by its declaration', () => {
    const shown = censorDefinition(
      def('http', { URL: 'http://u:pw@h/p?apikey=K', PASSWORD: 'pw', USERNAME: 'u', TIMEOUT: '5', apikey: 'K2', to: '{phone}' }, { 'X-Auth': 's3cr3t', Cookie: 'session=1' }),
    );
    expect(shown.options).toEqual({ URL: 'http://u:***@h/p?apikey=***', PASSWORD: CENSORED, USERNAME: 'u', TIMEOUT: '5', apikey: CENSORED, to: '{phone}' });
    expect(shown.headers).toEqual({ 'X-Auth': CENSORED, Cookie: CENSORED });
  });
});

describe('sending the censored form back', () => {
  const stored = def('http', { URL: 'http://u:pw@h/p?apikey=K1&to=x', PASSWORD: 'pw' }, { 'X-Auth': 's3cr3t' });

  it('keeps every stored secret', () => {
    expect(restoreCensored(censorDefinition(stored), stored)).toEqual(stored);
  });
  it('takes the censored parts of a URL from the stored one, part by part', () => {
    const given = def('http', { URL: 'http://u:***@h/other?apikey=***&to=y', PASSWORD: CENSORED }, { 'X-Auth': CENSORED });
    expect(restoreCensored(given, stored).options.URL).toBe('http://u:pw@h/other?apikey=K1&to=y');
  });
  it('refuses a censored value with nothing stored to keep', () => {
    expect(() => restoreCensored(def('http', { URL: 'http://u:***@h/p' }), undefined)).toThrow(NotFoundError);
    expect(() => restoreCensored(def('http', { URL: 'https://h/p?key=***' }), stored)).toThrow('query value key is *** but gateway g has no stored value to keep');
    expect(() => restoreCensored(def('http', { URL: 'https://h/p' }, { Cookie: CENSORED }), stored)).toThrow(`Cookie is ${CENSORED} but gateway g has no stored value to keep`);
  });
});

describe('the declarations', () => {
  it('refuses an http option one edit from a declared parameter, naming it', () => {
    for (const [typo, meant] of [['TIMOUT', 'TIMEOUT'], ['TIMEOUTS', 'TIMEOUT'], ['PASWORD', 'PASSWORD'], ['CHECK_SLL', 'CHECK_SSL'], ['TIEMOUT', undefined], ['URI', 'URL']] as const) {
      const check = () => checkDefinition(def('http', { URL: 'https://h/p', [typo]: '5' }));
      if (meant) expect(check, typo).toThrow(`option ${typo} is no parameter of http and would go out as a request parameter: did you mean ${meant}?`);
      else expect(check, typo).not.toThrow(); // two edits apart: a request parameter
    }
    expect(() => checkDefinition(def('http', { URL: 'https://h/p', to: '{phone}', text: '{otp}', timeout: '5' }))).not.toThrow();
  });
  it('declares only defaults its own checks take, and a help line for every parameter', () => {
    for (const [module, spec] of Object.entries(MODULE_PARAMETERS)) {
      for (const [name, p] of Object.entries(spec.parameters)) {
        expect(p.help, `${module} ${name}`).toMatch(/\S/);
        if (!('default' in p) || p.default === undefined) continue;
        const required = Object.fromEntries(Object.entries(spec.parameters).filter(([, q]) => 'required' in q && q.required).map(([k]) => [k, k === 'SMSC_PORT' ? '2775' : k === 'URL' ? 'https://h/' : k === 'GATEWAYS' ? 'a' : 'x']));
        expect(() => checkDefinition(def(module, { ...required, [name]: p.default })), `${module} ${name}=${p.default}`).not.toThrow();
      }
    }
  });
  it('shows each module with its parameters, defaults and secrets', () => {
    const [http] = moduleViews('http');
    expect(http!.requestParameters).toBe(true);
    expect(http!.parameters.find((p) => p.name === 'TIMEOUT')).toMatchObject({ required: false, default: '3', secret: 'no' });
    expect(http!.parameters.find((p) => p.name === 'URL')).toMatchObject({ required: true, secret: 'url' });
    expect(http!.parameters.find((p) => p.name === 'PASSWORD')).toMatchObject({ secret: 'yes' });
    expect(moduleViews('modem')[0]!.parameters.find((p) => p.name === 'TIMEOUT')?.default).toBe('20');
    expect(() => moduleViews('nosuch')).toThrow("no module 'nosuch'");
  });
});
