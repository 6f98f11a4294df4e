// Two details of the HTTP API that bit new users (issue 22), against the daemon process:
// a phone number must say its country (a '+' sent unencoded arrives as a space: refused with
// the fix, never stored as '49...'), and an API key works as soon as `apikey create` returned.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { curl, type HttpAnswer } from '../helpers/http-clients.js';

describe('HTTP API: phone numbers and new API keys', { timeout: 120_000 }, () => {
  let daemon: TestDaemon;
  let base: string;
  let adminKey: string;

  /** POST with the body exactly as given (form-encoded by hand, as the README's curl example did). */
  const rawPost = (path: string, body: string, key = adminKey): Promise<HttpAnswer> =>
    curl(`${base}${path}`, ['-X', 'POST', '--data', body, '-H', `PI-Authorization: ${key}`]);
  const phoneOf = async (serial: string): Promise<string> => {
    const listed = await curl(`${base}/token/`, ['-G', '--data-urlencode', `serial=${serial}`, '-H', `PI-Authorization: ${adminKey}`]);
    return (listed.json?.result.value as unknown as { tokens: Array<{ phone: string }> }).tokens[0]!.phone;
  };

  beforeAll(async () => {
    const port = await freeTcpPort();
    daemon = await createDaemon({ http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` } });
    base = `http://127.0.0.1:${port}`;
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    adminKey = await daemon.ok('apikey', 'create', '--role', 'admin');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses a + sent unencoded (it arrives as a space) with the fix, and a number without a country', async () => {
    const unencoded = await rawPost('/token/init', 'user=anna&phone=+4917012345&pin=pin-1&genkey=1&serial=PISMPHONE001');
    expect(unencoded.status, unencoded.text).toBe(400);
    expect(unencoded.json?.result.error).toMatchObject({ code: 905 });
    expect(unencoded.json?.result.error?.message).toBe(
      'phone starts with a space where its + should be: a + sent unencoded in a form body or URL arrives as a space; URL-encode it as %2B (phone=%2B49170...)',
    );
    const bare = await rawPost('/token/init', 'user=anna&phone=4917012345&pin=pin-1&genkey=1&serial=PISMPHONE001');
    expect(bare.status).toBe(400);
    expect(bare.json?.result.error?.message).toMatch(/^phone must start with \+ and the country code \(e\.g\. \+49 170 1234567\)/);
    // Neither the number nor anything else reached the store.
    const listed = await curl(`${base}/token/`, ['-G', '-H', `PI-Authorization: ${adminKey}`]);
    expect((listed.json?.result.value as unknown as { count: number }).count).toBe(0);

    const encoded = await rawPost('/token/init', 'user=anna&phone=%2B49%20170%2012345&pin=pin-1&genkey=1&serial=PISMPHONE001');
    expect(encoded.status, encoded.text).toBe(200);
    expect(await phoneOf('PISMPHONE001')).toBe('+49 170 12345');

    // The command docs/operations-notes.md gives (curl encodes the +), run as written against this daemon.
    const command = docsExample('token-init-phone').replace('https://otp.example.com', base);
    const { stdout } = await promisify(execFile)('sh', ['-c', command], { env: { ...process.env, KEY: adminKey, PIN: 'pin-of-anna-2' } });
    const serial = (JSON.parse(stdout) as { detail: { serial: string } }).detail.serial;
    expect(await phoneOf(serial)).toBe('+4917012345');
  });

  it('a national number needs sms.default_country_code, which makes it international', async () => {
    const national = await rawPost('/token/init', 'user=bert&phone=0170%201234567&pin=pin-1&genkey=1&serial=PISMPHONE002');
    expect(national.status).toBe(400);
    expect(national.json?.result.error?.message).toBe(
      "phone is a national number (leading 0) and setting sms.default_country_code is empty: give it with its country code (+49 170 ...), or set one with 'setting set sms.default_country_code 49'",
    );
    await daemon.configure('setting', 'set', 'sms.default_country_code', '49');
    const made = await rawPost('/token/init', 'user=bert&phone=0170%201234567&pin=pin-1&genkey=1&serial=PISMPHONE002');
    expect(made.status, made.text).toBe(200);
    expect(await phoneOf('PISMPHONE002')).toBe('+491701234567');
    // The CLI keeps what the operator typed (a gateway's REGEXP may rely on it).
    await daemon.ok('token', 'enroll', '--user', 'carl', '--phone', '0170 7654321', '--pin', 'pin-1', '--serial', 'PISMPHONE003');
    expect(await phoneOf('PISMPHONE003')).toBe('0170 7654321');
  });

  it('an API key answers at once after `apikey create` returned, not half a second later', async () => {
    for (let i = 0; i < 3; i++) {
      const key = await daemon.ok('apikey', 'create', '--role', 'admin', '--description', `new ${i}`);
      // fetch from this process: no curl to start, the request leaves within milliseconds.
      const response = await fetch(`${base}/token/`, { headers: { 'PI-Authorization': key } });
      expect(response.status, `key ${i}`).toBe(200);
    }
    const random = await fetch(`${base}/token/`, { headers: { 'PI-Authorization': 'not-a-key-0123456789' } });
    expect(random.status).toBe(401);
  });
});
