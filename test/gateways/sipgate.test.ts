// The Sipgate provider against an XML-RPC server from Python's standard library.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateways/provider.js';
import { SipgateProvider } from '../../src/gateways/sipgate.js';
import { escapeXml, methodCall, parseResponse } from '../../src/gateways/xmlrpc.js';
import { ROOT } from '../helpers/fs.js';
import { startProcess, type RunningProcess } from '../helpers/process.js';

describe('Sipgate provider', () => {
  let peer: RunningProcess;
  let url: string;
  const calls = async () =>
    (await peer.settledOutput()).split('\n').filter((l) => l.startsWith('CALL ')).map((l) => JSON.parse(l.slice(5)) as { user: string; method: string; params: Record<string, string> });
  const provider = (options: Record<string, string>) =>
    new SipgateProvider({ identifier: 'gw-sip', description: '', module: 'sipgate', headers: {}, options: { URL: url, USERNAME: 'otp', PASSWORD: 'secret-pw', ...options } });
  async function failure(options: Record<string, string>, message = 'x'): Promise<string> {
    const p = provider(options);
    try {
      await p.send('+49 170 1', message);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      return (err as Error).message;
    } finally {
      await p.close();
    }
    throw new Error('send succeeded');
  }

  beforeAll(async () => {
    peer = await startProcess('/usr/bin/python3', ['-u', path.join(ROOT, 'test/peers/sipgate_xmlrpc.py')], 'ready', { name: 'xmlrpc' });
    url = `http://127.0.0.1:${/ready (\d+)/.exec(peer.output())![1]}/RPC2`;
  });
  afterAll(async () => peer?.stop());

  it('calls samurai.SessionInitiate with the SIP URI, TOS text and the message, XML-escaped', async () => {
    const p = provider({ REGEXP: '/ //' });
    await p.send('+49 170 1234567', 'Code <287082> & "more" \u0001');
    await p.close();
    expect((await calls()).at(-1)).toEqual({
      user: 'otp',
      method: 'samurai.SessionInitiate',
      params: { RemoteUri: 'sip:491701234567@sipgate.de', TOS: 'text', Content: 'Code <287082> & "more" ' },
    });
  });

  it('reports a wrong login, an account without credit, a fault and a status other than 200', async () => {
    expect(await failure({ PASSWORD: 'wrong' })).toMatch(/refused the login \(HTTP 401\); check USERNAME and PASSWORD/);
    expect(await failure({ USERNAME: 'broke' })).toContain('HTTP 402: the account has no credit');
    expect(await failure({}, 'FAULT please')).toContain('Sipgate fault 407: Invalid parameter value');
    expect(await failure({}, 'STATUS407')).toContain('Sipgate status 407: Invalid parameter value');
    expect(await failure({ URL: 'http://127.0.0.1:9/RPC2' })).toContain('connection refused');
    expect(await failure({ PASSWORD: 'wrong' })).not.toContain('wrong');
  });

  it('needs USERNAME and PASSWORD and refuses unknown options', () => {
    expect(() => new SipgateProvider({ identifier: 'g', description: '', module: 'sipgate', headers: {}, options: { USERNAME: 'u' } })).toThrow(/option PASSWORD is required/);
    expect(() => provider({ FROM: 'x' })).toThrow(/unknown option FROM/);
  });
});

describe('XML-RPC coding', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(escapeXml('a<b>&c\u0000\td')).toBe('a&lt;b&gt;&amp;c\td');
    expect(methodCall('m', { K: '<&>' })).toContain('<member><name>K</name><value><string>&lt;&amp;&gt;</string></value></member>');
  });

  it('reads struct members and faults', () => {
    expect(parseResponse('<methodResponse><params><param><value><struct><member><name>StatusCode</name><value><i4>200</i4></value></member><member><name>S</name><value>a &amp; b</value></member></struct></value></param></params></methodResponse>'))
      .toEqual({ members: { StatusCode: '200', S: 'a & b' } });
    expect(parseResponse('<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int></value></member><member><name>faultString</name><value><string>bad</string></value></member></struct></value></fault></methodResponse>'))
      .toEqual({ fault: { code: 4, message: 'bad' } });
    expect(parseResponse('<html>nope</html>')).toBeUndefined();
  });
});
