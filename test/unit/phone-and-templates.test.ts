import { describe, expect, it } from 'vitest';
import { redactPhone, renderTemplate } from '../../src/core/templates.js';
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

  it('masks all but the last two digits of a phone number', () => {
    expect(redactPhone('+49 123/456-78')).toBe('+** ***/***-78');
    expect(redactPhone('12')).toBe('12');
  });
});
