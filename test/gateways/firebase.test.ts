// The Firebase provider running firebase-admin's own code: OAuth token from the service
// account's signed JWT, then FCM v1 send, both through the configured proxy to a local
// endpoint playing Google (test/helpers/google-fcm.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FirebaseProvider } from '../../src/gateways/firebase.js';
import { tempDir } from '../helpers/fs.js';
import { gatewayFailure } from '../helpers/gateway-failure.js';
import { startFakeGoogle, type FakeGoogle } from '../helpers/google-fcm.js';

let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
});
afterAll(() => google.close());

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function provider(options: Record<string, string> = {}): FirebaseProvider {
  const p = new FirebaseProvider({
    identifier: 'gw-fcm', description: '', module: 'firebase', headers: {},
    options: { JSON_CONFIG: google.serviceAccountFile, HTTPS_PROXY: google.proxyUrl, CA_FILE: google.caFile, ...options },
  });
  cleanup.push(() => p.close());
  return p;
}

function jsonFile(content: string): string {
  const file = path.join(tempDir('smsotp-sa-'), 'key.json');
  writeFileSync(file, content);
  return file;
}

describe('Firebase provider', () => {
  it('gets an access token with the service account and sends the OTP as an FCM data message', async () => {
    const before = google.sent.length;
    const p = provider({ TTL: '120' });
    await p.send('fcm-device-token-1', 'Your code 287082');
    await p.send('fcm-device-token-2', 'Your code 359152');
    const sent = google.sent.slice(before);
    expect(sent.map((s) => s.message)).toEqual([
      { token: 'fcm-device-token-1', data: { message: 'Your code 287082' }, android: { priority: 'high', ttl: '120s' } },
      { token: 'fcm-device-token-2', data: { message: 'Your code 359152' }, android: { priority: 'high', ttl: '120s' } },
    ]);
    expect(sent.map((s) => [s.host, s.project])).toEqual([['fcm.googleapis.com', google.projectId], ['fcm.googleapis.com', google.projectId]]);
    // The real SDK path: a signed JWT exchanged at Google's token endpoint, through the proxy.
    expect(google.tokenRequests.at(-1)).toMatchObject({ iss: `otp-sender@${google.projectId}.iam.gserviceaccount.com`, scope: expect.stringContaining('https://www.googleapis.com/auth/firebase.messaging') });
    expect(google.tunnels).toEqual(expect.arrayContaining(['fcm.googleapis.com:443', expect.stringMatching(/googleapis\.com:443$/)]));
  });

  it("takes privacyIDEA's option name httpsproxy for the proxy", async () => {
    const before = google.tunnels.length;
    await provider({ HTTPS_PROXY: '', httpsproxy: google.proxyUrl }).send('fcm-device-token-3', 'x');
    expect(google.tunnels.length).toBeGreaterThan(before);
    expect(google.sent.at(-1)!.message.token).toBe('fcm-device-token-3');
  });

  it('sends to the project named by PROJECT_ID', async () => {
    const message = await gatewayFailure(provider({ PROJECT_ID: 'another-project' }).send('fcm-device-token', 'x'));
    expect(message).toMatch(/^gateway gw-fcm: FCM project another-project: the registration token belongs to another Firebase project/);
  });

  it('explains an unregistered device token', async () => {
    const message = await gatewayFailure(provider().send('unregistered-token', 'Your code 287082'));
    expect(message).toMatch(/device registration token is no longer registered/);
    expect(message).not.toContain('287082');
  });

  it('bounds the whole send, SDK retries included, by TIMEOUT', async () => {
    const p = provider({ TIMEOUT: '1' });
    for (const token of ['silent-token', 'unavailable-token']) {
      const started = Date.now();
      expect(await gatewayFailure(p.send(token, 'x'))).toMatch(/no answer from Google within 1 s \(TIMEOUT\)/);
      expect(Date.now() - started).toBeLessThan(2500);
    }
  });

  it('reports a revoked service-account key', async () => {
    const revoked = await startFakeGoogle('revoked-project');
    try {
      revoked.revokeKey();
      const p = new FirebaseProvider({
        identifier: 'gw-fcm', description: '', module: 'firebase', headers: {},
        options: { JSON_CONFIG: revoked.serviceAccountFile, HTTPS_PROXY: revoked.proxyUrl, CA_FILE: revoked.caFile },
      });
      cleanup.push(() => p.close());
      expect(await gatewayFailure(p.send('fcm-device-token', 'x'))).toMatch(/no access token for the service account .*invalid_grant/);
    } finally {
      await revoked.close();
    }
  });

  it('recovers once a key file that broke after gateway set is readable again', async () => {
    const file = jsonFile(readFileSync(google.serviceAccountFile, 'utf8'));
    const p = provider({ JSON_CONFIG: file });
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, '{ truncated');
    expect(await gatewayFailure(p.send('fcm-device-token-4', 'x'))).toMatch(/gw-fcm/);
    writeFileSync(file, good);
    await p.send('fcm-device-token-4', 'x');
    expect(google.sent.at(-1)!.message.token).toBe('fcm-device-token-4');
  });

  it('does not trust the endpoint without its CA', async () => {
    const p = provider({ CA_FILE: '' });
    expect(await gatewayFailure(p.send('fcm-device-token', 'x'))).toMatch(/gw-fcm.*(certificate|self.signed|issuer)/i);
  });

  it('checks the service-account file when the gateway is defined', () => {
    const build = (file: string) => () => provider({ JSON_CONFIG: file });
    expect(build('/nonexistent/key.json')).toThrow(/option JSON_CONFIG: cannot read \/nonexistent\/key.json \(ENOENT\)/);
    expect(build(jsonFile('{ not json'))).toThrow(/is not valid JSON/);
    // PROJECT_ID does not stand in for the file: it is checked all the same.
    expect(() => provider({ PROJECT_ID: 'p', JSON_CONFIG: jsonFile('{ not json') })).toThrow(/is not valid JSON/);
    expect(build(jsonFile(JSON.stringify({ project_info: { project_id: 'x' }, client: [] })))).toThrow(/not a service-account key .*google-services.json/);
    expect(build(jsonFile(JSON.stringify({ type: 'service_account', project_id: 'x', client_email: 'a@b' })))).toThrow(/has no private_key/);
    expect(() => provider({ JSON_CONFIG: jsonFile(JSON.stringify({ type: 'service_account', client_email: 'a@b', private_key: 'k' })) })).toThrow(/names no project_id; set option PROJECT_ID/);
    expect(() => provider({ CA_FILE: '/nonexistent/ca.pem' })).toThrow(/option CA_FILE: cannot read/);
    expect(() => provider({ APIKEY: 'x' })).toThrow(/unknown option APIKEY/);
  });
});
