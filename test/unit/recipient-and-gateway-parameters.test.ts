// The phone number rule (src/core/recipient.ts) and the declared gateway parameters
// (src/gateways/parameters.ts) on their own; the CLI tests drive them end to end.
import { describe, expect, it } from 'vitest';
import { checkRecipient } from '../../src/core/recipient.js';
import { checkDefinition, MODULE_PARAMETERS } from '../../src/gateways/parameters.js';
import { MODULES } from '../../src/gateways/registry.js';

describe('phone numbers', () => {
  it.each(['+4917012345', '+49 170 1234567', '(030) 123-456.78', '0049/170/1234567', '112', '+1 (555) 010-9999'])('takes %s', (phone) => {
    expect(checkRecipient(phone, 'phone')).toEqual({ value: phone });
  });
  it.each(['', ' ', '12', 'abc', '+49 170 CALL', '++49', '49+1', '+1 555\t0109', '+49\n170123', '1'.repeat(21), `+${'1  '.repeat(15)}`])(
    'refuses %j', (phone) => {
      expect(checkRecipient(phone, 'phone')).toHaveProperty('problem');
    },
  );
  it('keeps separators but drops outer blanks', () => {
    expect(checkRecipient('  +49 170  ', 'phone')).toEqual({ value: '+49 170' });
  });
});

describe('device tokens (push gateways)', () => {
  it('takes an FCM registration token, refuses blanks and control characters', () => {
    const fcm = 'cYx2_k9:APA91bH-Ab.cd' + 'x'.repeat(120);
    expect(checkRecipient(fcm, 'device-token')).toEqual({ value: fcm });
    expect(checkRecipient('short', 'device-token')).toHaveProperty('problem');
    expect(checkRecipient('abc def ghi', 'device-token')).toHaveProperty('problem');
    expect(checkRecipient('x'.repeat(256), 'device-token')).toHaveProperty('problem');
  });
});

describe('declared gateway parameters', () => {
  const def = (module: string, options: Record<string, string>, headers: Record<string, string> = {}) => ({
    identifier: 'g', description: '', module, options, headers,
  });

  it('declares every module the registry can build', () => {
    expect(Object.keys(MODULE_PARAMETERS).sort()).toEqual([...MODULES].sort());
    expect(MODULE_PARAMETERS.firebase.recipient).toBe('device-token');
  });

  it('names the option and the limit', () => {
    expect(() => checkDefinition(def('script', { SCRIPT: 's'.repeat(256) }))).toThrow('gateway g: option SCRIPT is at most 255 characters (a file name), not 256');
    expect(() => checkDefinition(def('modem', { PORT: '/dev/ttyUSB0', PIN: '12' }))).toThrow('option PIN must be the SIM PIN, 4 to 8 digits');
    expect(() => checkDefinition(def('modem', { PORT: '/dev/ttyUSB0', BAUDRATE: '115200.5' }))).toThrow('option BAUDRATE must be a whole number from 300 to 4000000');
    expect(() => checkDefinition(def('sipgate', { USERNAME: 'u' }))).toThrow('option PASSWORD is required');
    expect(() => checkDefinition(def('nosuch', {}))).toThrow("unknown module 'nosuch'");
  });

  it('checks header names and values as Node’s HTTP client would', () => {
    const http = (headers: Record<string, string>) => () => checkDefinition(def('http', { URL: 'https://sms.example.com/' }, headers));
    expect(http({ 'X-Ok': 'v' })).not.toThrow();
    expect(http({ 'X:Bad': 'v' })).toThrow("header name 'X:Bad' is not an HTTP token");
    expect(http({ '': 'v' })).toThrow('is not an HTTP token');
    expect(http({ 'X-Nul': 'a\u0000b' })).toThrow('header X-Nul: the value holds a character HTTP forbids');
    expect(http({ 'X-Euro': '5 €' })).toThrow('header X-Euro: the value holds a character HTTP forbids');
    expect(http({ 'X-Pad': ' v' })).toThrow('must not begin or end with white space');
  });

  it('lets an empty option stand for an unset one, and http take request parameters', () => {
    expect(() => checkDefinition(def('http', { URL: 'http://h/', TIMEOUT: '', 'api-key': 'k' }))).not.toThrow();
    expect(() => checkDefinition(def('smtp', { SMTPIDENTIFIER: 'relay', MAILTO: '{phone}@x', 'api-key': 'k' }))).toThrow('unknown option api-key');
  });
});
