import { describe, expect, it } from 'vitest';
import { redactPhone } from '../../src/core/redact.js';
import { phoneTags, renderTemplate } from '../../src/core/templates.js';
import { fillTags, rewritePhone } from '../../src/gateways/phone.js';

describe('REGEXP phone rewriting (reference examples on "+49 123/456-78")', () => {
  const phone = '+49 123/456-78';
  it.each([
    ['/[+-/. ]//', '4912345678'],
    ['/\\+/00/', '0049 123/456-78'],
    ['/[\\+/]//', '49 123456-78'],
    ['/+/00/', phone],
  ])('%s gives %s', (regexp, expected) => {
    expect(rewritePhone(phone, regexp)).toBe(expected);
  });

  it('leaves the number alone without a REGEXP or with one not in /p/r/ form', () => {
    expect(rewritePhone(phone, undefined)).toBe(phone);
    expect(rewritePhone(phone, '')).toBe(phone);
    expect(rewritePhone(phone, '[+]')).toBe(phone);
  });

  it('understands Python-style back-references and keeps a literal $', () => {
    expect(rewritePhone('+4930123', '/^\\+(\\d\\d)/00\\1-/')).toBe('0049-30123');
    expect(rewritePhone('+4930123', '/^\\+/$/')).toBe('$4930123');
  });
});

describe('fillTags', () => {
  it('puts the phone and the whole message into option values', () => {
    expect(fillTags('to={phone}&text={otp}&x={otp}', '+491', 'Code 1$&2')).toBe('to=+491&text=Code 1$&2&x=Code 1$&2');
  });
});

describe('templates', () => {
  it('replaces known tags, empties unknown ones and keeps the legacy forms', () => {
    expect(renderTemplate('Your code {otp} for {user} ({serial}) {nosuch}', { otp: '123456', user: 'alice', serial: 'PISM1' })).toBe(
      'Your code 123456 for alice (PISM1) ',
    );
    expect(renderTemplate('<otp> is <serial>', { otp: '287082', serial: 'PISM1' })).toBe('287082 is PISM1');
  });

  it('does not treat tag values as templates', () => {
    expect(renderTemplate('{user}: {otp}', { user: '{otp}<otp>', otp: '1' })).toBe('{otp}<otp>: 1');
  });

  it('does not read inherited properties as tags', () => {
    expect(renderTemplate('{constructor}{toString}', {})).toBe('');
  });

  it('{phone_redacted} masks every character but the last two, whatever the number looks like', () => {
    expect(renderTemplate('to {phone_redacted}', phoneTags('+49 170 1234567'))).toBe('to *************67');
    expect(redactPhone('+49 123/456-78')).toBe('************78');
    expect(redactPhone('(030) 1234-56')).toBe('***********56');
    expect(redactPhone('dGVzdA:APA91bH')).toBe('************bH');
    expect(redactPhone('12345')).toBe('***45');
  });

  it('masks values of fewer than five characters completely, and counts code points', () => {
    expect(redactPhone('1234')).toBe('****');
    expect(redactPhone('12')).toBe('**');
    expect(redactPhone('1')).toBe('*');
    expect(redactPhone('')).toBe('');
    expect(redactPhone('+4917\u{1F4F1}9')).toBe('*****\u{1F4F1}9');
  });
});

describe('secret option and header names', () => {
  it('censors credentials among http request parameters by name, not form-field names', async () => {
    // Moved from src/store/gateways.ts (isSecretKey, censor) to the declarations' module (issue 18/20).
    const { looksSecret, censorDefinition } = await import('../../src/gateways/secrets.js');
    for (const key of ['PASSWORD', 'smpp_password', 'CLIENT_SECRET', 'PIN', 'Authorization', 'Proxy-Authorization', 'token', 'X-Auth-Token', 'api_key', 'X-API-Key', 'apikey']) {
      expect(looksSecret(key), key).toBe(true);
    }
    for (const key of ['URL', 'USERNAME', 'SMS_TEXT_KEY', 'SMS_PHONENUMBER_KEY', 'to', 'PINNED', 'TIMEOUT']) expect(looksSecret(key), key).toBe(false);
    const shown = censorDefinition({ identifier: 'g', description: '', module: 'http', options: { URL: 'https://x', api_key: 'k1' }, headers: { Authorization: 'Bearer t0k3n' } });
    expect(shown.options).toEqual({ URL: 'https://x', api_key: '__CENSORED__' });
    expect(shown.headers).toEqual({ Authorization: '__CENSORED__' });
  });
});
