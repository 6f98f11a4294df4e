// The HTTP front's body parsers (src/http/bodies.ts): what a form and a JSON object become,
// and what is refused, without a server in between.
import { describe, expect, it } from 'vitest';
import { firstDuplicateKey, parseForm, parseJsonObject } from '../../src/http/bodies.js';
import { HttpRequestError } from '../../src/http/errors.js';

describe('HTTP bodies', () => {
  it('finds a key given twice in one object, at any depth, after unescaping; never across objects or among values', () => {
    expect(firstDuplicateKey('{"a":1,"a":2}')).toBe('a');
    expect(firstDuplicateKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(firstDuplicateKey('{"x":[{"k":1},{"k":2,"k":3}]}')).toBe('k');
    expect(firstDuplicateKey('{"x":{"a":{"b":1}},"a":{"b":2}}')).toBeUndefined();
    expect(firstDuplicateKey('{"a":"a","b":["a","a"],"c":{"a":"b"}}')).toBeUndefined();
    expect(firstDuplicateKey('{"a\\"b":1,"a\\\\":2,"c":"}{,\\"a\\":"}')).toBeUndefined();
    expect(firstDuplicateKey('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(firstDuplicateKey(' { "a" : 1 , "a" : 1 } ')).toBe('a');
  });

  it('a JSON object is parsed; not JSON, duplicates and prototype keys are refused with a parameter error', () => {
    expect(parseJsonObject('{"user":"alice","pass":"1234"}')).toEqual({ user: 'alice', pass: '1234' });
    for (const body of ['', '  ', '{"user":', '{"user":"a","user":"b"}', '{"__proto__":{"admin":true}}', '{"a":{"constructor":{}}}']) {
      expect(() => parseJsonObject(body), body).toThrow(HttpRequestError);
    }
    // A key that is no parameter name is not echoed in the message.
    expect(() => parseJsonObject('{"{S3cret}":1,"{S3cret}":2}')).toThrow(/a name that is not a parameter/);
  });

  it('a form is parsed as forms are; one that is JSON is refused', () => {
    expect(parseForm('user=al+ice&pass=%31%32&x=')).toEqual({ user: 'al ice', pass: '12', x: '' });
    expect(parseForm('user=a&user=b')).toEqual({ user: ['a', 'b'] });
    for (const body of ['{"otppin":"S3cretPin77"}', '\r\n [1]']) expect(() => parseForm(body)).toThrow(/the body is JSON/);
  });
});
