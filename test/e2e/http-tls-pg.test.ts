// The HTTP front over HTTPS on a PostgreSQL store, with curl checking the certificate:
// a login in two steps, a login by serial alone, and triggerchallenge by serial (the store's
// token-by-serial read on PostgreSQL). `check` reads the certificate the way the listener will.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_HOTP, RFC4226_KEY } from '../helpers/fs.js';
import { curl } from '../helpers/http-clients.js';
import { createTestDatabase } from '../helpers/pg.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

describe('HTTPS front on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let base: string;
  let caFile: string;

  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    curl(url, [
      '--cacert', caFile,
      ...Object.entries(fields).flatMap(([k, v]) => ['--data-urlencode', `${k}=${v}`]),
      ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    const { key, cert } = selfSignedCertificate();
    daemon = await createDaemon({
      database: { client: 'pg', url: db.url },
      http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]`, tls: '{ cert: http.crt, key: http.key }' },
    });
    caFile = path.join(daemon.dir, 'http.crt');
    writeFileSync(caFile, cert);
    writeFileSync(path.join(daemon.dir, 'http.key'), key, { mode: 0o600 });
    base = `https://127.0.0.1:${port}`;
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'pin.kdf_cost', '10');
    await daemon.ok('token', 'enroll', '--user', 'bob', '--realm', 'example.com', '--phone', '+4917099999', '--pin', '2468', '--otpkey', RFC4226_KEY, '--serial', 'PISMPG01');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await db?.drop();
  });

  it('check reads the certificate and key as the listener will', async () => {
    const r = await daemon.cli('check');
    expect(r.stdout).toContain(`ok    http tls ${caFile} with its key`);
  });

  it('logs in over HTTPS: user and realm apart, PIN then OTP; then by serial alone with PIN+OTP', async () => {
    expect(daemon.logs()).toContain(`"http":["${base}"]`);
    const first = await post(`${base}/validate/check`, { user: 'bob', realm: 'example.com', pass: '2468' });
    expect(first.json?.result.authentication).toBe('CHALLENGE');
    const otp = (await gw.next()).query.get('text') ?? '';
    expect(otp).toBe(RFC4226_HOTP[1]);
    const second = await post(`${base}/validate/check`, { user: 'bob@example.com', pass: otp, transaction_id: first.json?.detail?.transaction_id ?? '' });
    expect(second.json?.result).toEqual({ status: true, value: true, authentication: 'ACCEPT' });
    const bySerial = await post(`${base}/validate/check`, { serial: 'PISMPG01', pass: `2468${RFC4226_HOTP[2]}` });
    expect(bySerial.json?.result.authentication).toBe('ACCEPT');
    // A serial that is not the user's is no token of theirs; alice owns no token and no user
    // store knows her, so she does not exist: privacyIDEA's ERR904 (issue 19; a 200 REJECT before).
    const otherUser = await post(`${base}/validate/check`, { user: 'alice', serial: 'PISMPG01', pass: `2468${RFC4226_HOTP[3]}` });
    expect(otherUser).toMatchObject({ status: 400, json: { result: { status: false, error: { code: 904 } } } });
  });

  it('triggers a challenge by serial with an admin key, answered over HTTPS', async () => {
    const key = await daemon.configure('apikey', 'create', '--role', 'admin');
    const triggered = await post(`${base}/validate/triggerchallenge`, { serial: 'PISMPG01' }, { 'PI-Authorization': key });
    expect(triggered.json?.result).toEqual({ status: true, value: 1, authentication: 'CHALLENGE' });
    const otp = (await gw.next()).query.get('text') ?? '';
    expect(otp).toBe(RFC4226_HOTP[4]); // counter 3 was the next to accept: the SMS carries the one after
    const answered = await post(`${base}/validate/check`, { user: 'bob@example.com', pass: otp, transaction_id: triggered.json?.detail?.transaction_id ?? '' });
    expect(answered.json?.result.authentication).toBe('ACCEPT');
  });
});
