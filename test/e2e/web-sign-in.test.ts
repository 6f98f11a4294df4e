// The web UI's sign-in and self-service in a real browser (Debian's chromium driven by
// playwright-core) against the real daemon, a real slapd and the HTTP SMS gateway peer (issue
// 24): two-factor sign-in with the directory password or the token PIN, then the SMS code;
// wrong codes counted and locking the token as over RADIUS; CSRF and idle expiry refused;
// the cookie's flags and the CSP; no secret in a URL, a page or the log; the phone change
// proved by the code sent to the NEW number; axe-core on each page; screenshots kept.
import https from 'node:https';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { launchBrowser, newContext, nextCode, screenshot, seriousViolations, signIn } from '../helpers/browser.js';
import { radclient } from '../helpers/radius-clients.js';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const IDLE_TIMEOUT_S = 10;
const PHONES = { carol: '+4917022222', dave: '+4917044444', erin: '+4917033333', frank: '+4917055555', gina: '+4917066666' } as const;
const CAROL_NEW_PHONE = '+4917099999';
const PASSWORDS = { carol: 'carol-dir-Pw1', erin: 'erin-dir-Pw1', frank: 'frank-dir-Pw1', gina: 'gina-dir-Pw1' } as const;
const DAVE_PIN = 'dave-token-pin-77';
const GINA_PIN = 'gina-new-pin-42';

describe('web UI: sign-in and self-service in chromium', () => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  /** Every URL the browser asked for, and every page's source: no secret may be in either. */
  const urls: string[] = [];
  const sources: string[] = [];
  /** Every code the SMS peer delivered (kept to look for them in URLs, pages and the log). */
  const codes: string[] = [];

  const code = async (to?: string) => {
    const sms = await nextCode(gw);
    if (to !== undefined) expect(sms.to).toBe(to);
    codes.push(sms.code);
    return sms.code;
  };
  const open = async (): Promise<Page> => {
    const context = await newContext(browser, base);
    contexts.push(context);
    context.on('request', (r) => urls.push(r.url()));
    context.on('response', (r) => {
      if ((r.headers()['content-type'] ?? '').startsWith('text/html')) void r.text().then((t) => sources.push(t), () => undefined);
    });
    // A locator that waits longer than this names itself in the failure instead of the test's timeout.
    context.setDefaultTimeout(10_000);
    return context.newPage();
  };
  const radiusLogin = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });
  const expectAccessible = async (page: Page) => expect(await seriousViolations(page)).toEqual([]);

  beforeAll(async () => {
    [slapd, gw, browser] = await Promise.all([
      startSlapd([
        { uid: 'carol', password: PASSWORDS.carol, sn: 'Carol', mobile: PHONES.carol },
        { uid: 'dave', password: 'dave-dir-unused', sn: 'Dave', mobile: PHONES.dave },
        { uid: 'erin', password: PASSWORDS.erin, sn: 'Erin', mobile: PHONES.erin },
        { uid: 'frank', password: PASSWORDS.frank, sn: 'Frank', mobile: PHONES.frank },
        { uid: 'gina', password: PASSWORDS.gina, sn: 'Gina', mobile: PHONES.gina },
      ]),
      startSmsGateway(),
      launchBrowser(),
    ]);
    const port = await freeTcpPort();
    base = `http://127.0.0.1:${port}`;
    daemon = await createDaemon({
      radius: { reject_delay: '0' },
      http: { listen: `[ { host: 127.0.0.1, port: ${port} } ]`, ui: `{ idle_timeout: ${IDLE_TIMEOUT_S} }` },
    });
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    const ok = daemon.ok;
    // One CLI process at a time costs ~2 s: the first (which makes the key file) alone, then what does not depend on each other together.
    await ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--preset', 'openldap', '--timeout', '2');
    await Promise.all([
      ok('realm', 'set', 'corp', '--userstore', 'corp', '--default'),
      ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}'),
      ...[['sms.resend_interval', '0'], ['sms.limit.user', ''], ['sms.limit.phone', ''], ['pin.kdf_cost', '10']].map(([key, value]) => ok('setting', 'set', key!, value!)),
    ]);
    const csv = path.join(daemon.dir, 'tokens.csv');
    // corp signs in with the directory password (its token PINs are never asked); lab (no policy) with the token PIN.
    writeFileSync(csv, ['user,realm,phone,pin', ...(['carol', 'erin', 'frank', 'gina'] as const).map((u) => `${u},corp,${PHONES[u]},${u}-unused-pin`), `dave,lab,${PHONES.dave},${DAVE_PIN}`, ''].join('\n'));
    await Promise.all([
      ok('realm', 'set', 'lab', '--userstore', 'corp'),
      ok('setting', 'set', 'sms.identifier', 'gw'),
      ok('policy', 'set', 'corp-directory', '--scope', 'authentication', '--realm', 'corp', '--action', 'otppin=userstore'),
      ok('token', 'import', '--csv', csv),
      ok('policy', 'set', 'gina-enrolls', '--scope', 'admin', '--user', 'gina', '--action', 'selfservice_enroll=true'),
    ]);
    await ok('token', 'set', '--user', 'erin@corp', '--maxfail', '3');
    await daemon.start();
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  let dave: Page;
  let daveLastUse = 0;
  let carol: Page;
  let frank: Page;

  it('signs in with the token PIN and the SMS code (realm lab: otppin tokenpin)', async () => {
    dave = await open();
    await signIn(dave, gw, 'dave@lab', DAVE_PIN);
    codes.push(...gw.received.slice(-1).map((s) => /(\d{6})$/.exec(s.query.get('text') ?? '')?.[1] ?? ''));
    expect(gw.received.at(-1)?.query.get('to')).toBe(PHONES.dave);
    await expect(dave.getByRole('heading', { name: 'My account' }).isVisible()).resolves.toBe(true);
    daveLastUse = Date.now();
  });

  it('signs in with the directory password and the SMS code; the pages pass axe-core; cookie flags and CSP', async () => {
    const page = (carol = await open());
    const login = await page.goto('/ui/login');
    const csp = login!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    await expectAccessible(page);
    await screenshot(page, 'sign-in');

    await page.getByLabel('User name').fill('carol');
    await page.getByLabel('Password or PIN').fill(PASSWORDS.carol);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('SMS code').waitFor();
    expect(await page.getByText(/Enter|sent/).first().isVisible()).toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'sign-in-code');
    await page.getByLabel('SMS code').fill(await code(PHONES.carol));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'my-account');

    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'sms_otp_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/ui' });
    // The page lists this sign-in, from this web page.
    await expect(page.getByRole('cell', { name: 'this web page' }).first().isVisible()).resolves.toBe(true);
  });

  it('changes my phone only with the code sent to the NEW number; the next login SMS goes there', async () => {
    // A code sent to the old number (a RADIUS login's) must not prove the new one.
    const challenge = await radiusLogin('carol', PASSWORDS.carol);
    expect(challenge.code).toBe('Access-Challenge');
    const oldCode = await code(PHONES.carol);

    const page = carol;
    await page.goto('/ui/me');
    await page.getByRole('link', { name: 'Change my phone number' }).click();
    await page.getByLabel('New phone number').fill(CAROL_NEW_PHONE);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Send a code to the new number' }).click();
    await page.getByText(`Enter the code sent to ${CAROL_NEW_PHONE}`).waitFor();
    const newCode = await code(CAROL_NEW_PHONE);
    await expectAccessible(page);
    await screenshot(page, 'change-phone');

    await page.getByLabel('Verification code').fill(oldCode);
    await page.getByRole('button', { name: 'Change my number' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('wrong verification code');
    await expect(page.getByLabel('Verification code').isVisible()).resolves.toBe(true);

    await page.getByLabel('Verification code').fill(newCode);
    await page.getByRole('button', { name: 'Change my number' }).click();
    await page.getByRole('status').filter({ hasText: 'Your phone number was changed' }).waitFor();
    await expect(page.getByRole('cell', { name: `*********99` }).isVisible()).resolves.toBe(true);
    const [tokens, audit, next] = await Promise.all([
      daemon.ok('token', 'list', '--user', 'carol', '--json'),
      daemon.ok('audit', 'list', '--json', '--user', 'carol'),
      radiusLogin('carol', PASSWORDS.carol),
    ]);
    expect((JSON.parse(tokens) as Array<{ phone: string }>)[0]!.phone).toBe(CAROL_NEW_PHONE);
    const rows = JSON.parse(audit) as Array<{ action: string; reason: string }>;
    expect(rows.filter((r) => r.action === 'admin' && r.reason.includes('phone changed') && r.reason.includes('(by web:carol@corp)'))).toHaveLength(1);
    expect(next.code).toBe('Access-Challenge');
    await code(CAROL_NEW_PHONE);
  });

  it('refuses a POST without or with a wrong CSRF token (403), with the session cookie', async () => {
    const page = (frank = await open());
    await signIn(page, gw, 'frank', PASSWORDS.frank);
    codes.push(...gw.received.slice(-1).map((s) => /(\d{6})$/.exec(s.query.get('text') ?? '')?.[1] ?? ''));
    for (const form of [{ phone: '+4917012121' }, { phone: '+4917012121', _csrf: 'not-the-token' }] as Array<Record<string, string>>) {
      const r = await page.request.post('/ui/me/phone', { form, maxRedirects: 0 });
      expect(r.status()).toBe(403);
      expect(await r.text()).toContain('Form expired');
    }
    const out = await page.request.post('/ui/logout', { form: {}, maxRedirects: 0 });
    expect(out.status()).toBe(403);
    expect(gw.received.filter((s) => s.query.get('to') === '+4917012121')).toEqual([]);
    // Still signed in: the refused logout changed nothing.
    await page.goto('/ui/me');
    await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
  });

  it('ends a verification after three wrong codes; the number stays', async () => {
    const page = frank;
    await page.goto('/ui/me/phone');
    await page.getByLabel('New phone number').fill('+4917012345');
    await page.getByRole('button', { name: 'Send a code to the new number' }).click();
    await page.getByLabel('Verification code').waitFor();
    codes.push(await code('+4917012345'));
    for (let i = 1; i <= 3; i++) {
      await page.getByLabel('Verification code').fill(`00000${i}`);
      await page.getByRole('button', { name: 'Change my number' }).click();
      await page.getByRole('alert').waitFor();
    }
    await expect(page.getByRole('alert').textContent()).resolves.toContain('3 times');
    await expect(page.getByLabel('New phone number').isVisible()).resolves.toBe(true);
    const [token] = JSON.parse(await daemon.ok('token', 'list', '--user', 'frank', '--json')) as Array<{ phone: string }>;
    expect(token!.phone).toBe(PHONES.frank);
  });

  it('counts wrong codes and locks the token as over RADIUS; the audit rows carry client webui', async () => {
    const page = await open();
    await page.goto('/ui/login');
    await page.getByLabel('User name').fill('erin');
    await page.getByLabel('Password or PIN').fill(PASSWORDS.erin);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('SMS code').waitFor();
    await code(PHONES.erin);
    for (let i = 1; i <= 3; i++) {
      await page.getByLabel('SMS code').fill(`99999${i}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
    }
    const [list, radius] = await Promise.all([daemon.ok('token', 'list', '--user', 'erin', '--json'), radiusLogin('erin', PASSWORDS.erin)]);
    expect((JSON.parse(list) as Array<{ failcount: number; locked: boolean }>)[0]).toMatchObject({ failcount: 3, locked: true });
    expect(radius.code).toBe('Access-Reject');
    expect(radius.attributes['Reply-Message']).toEqual(['Failcounter exceeded']);
    const rows = JSON.parse(await daemon.ok('audit', 'list', '--json', '--user', 'erin')) as Array<{ action: string; client: string; reason: string }>;
    const web = rows.filter((r) => r.client === 'webui');
    expect(web.filter((r) => r.action === 'reject').length).toBe(3);
    expect(web.some((r) => r.action === 'challenge')).toBe(true);
    // The RADIUS login after them is refused by the lock the web's wrong codes set.
    expect(rows.some((r) => r.client !== 'webui' && r.action === 'reject' && r.reason.includes('fail counter exceeded'))).toBe(true);
  });

  it('enrolls an SMS token where a policy allows it, proved by the code sent to its number', async () => {
    const page = await open();
    await signIn(page, gw, 'gina', PASSWORDS.gina);
    codes.push(...gw.received.slice(-1).map((s) => /(\d{6})$/.exec(s.query.get('text') ?? '')?.[1] ?? ''));
    // While she has a token the page is refused on the server, whatever the buttons show.
    expect((await page.request.get('/ui/me/enroll')).status()).toBe(403);
    await daemon.ok('token', 'delete', '--user', 'gina@corp');
    await page.goto('/ui/me');
    await page.getByRole('link', { name: 'Enroll an SMS token' }).click();
    await page.getByLabel('Phone number').fill('+4917077777');
    await page.getByRole('button', { name: 'Send a code to this number' }).click();
    await page.getByLabel('Verification code').fill(await code('+4917077777'));
    // Setting otppin is tokenpin: the new token needs a PIN, typed with the code.
    await page.getByLabel('Token PIN').fill(GINA_PIN);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Enroll the token' }).click();
    await page.getByRole('status').filter({ hasText: 'Your SMS token was enrolled' }).waitFor();
    const [token] = JSON.parse(await daemon.ok('token', 'list', '--user', 'gina', '--json')) as Array<{ phone: string; realm: string }>;
    expect(token).toMatchObject({ phone: '+4917077777', realm: 'corp' });
  });

  it('ends a session idle longer than http.ui.idle_timeout: the next page is the sign-in page', async () => {
    const wait = daveLastUse + IDLE_TIMEOUT_S * 1000 + 1500 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await dave.goto('/ui/me');
    await dave.getByText('Your session ended').waitFor();
    expect(new URL(dave.url()).pathname).toBe('/ui/login');
    await expect(dave.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);
  }, 30_000);

  it('put no PIN, password or code in a URL, a page source or the daemon log', async () => {
    const secrets = [...Object.values(PASSWORDS), DAVE_PIN, GINA_PIN];
    const log = daemon.logs();
    for (const secret of secrets) {
      expect(urls.filter((u) => u.includes(encodeURIComponent(secret)) || u.includes(secret))).toEqual([]);
      expect(sources.filter((s) => s.includes(secret))).toEqual([]);
      expect(log).not.toContain(secret);
    }
    expect(codes.length).toBeGreaterThan(5);
    for (const c of codes.filter((x) => x !== '')) {
      const alone = new RegExp(`(?<![0-9])${c}(?![0-9])`);
      expect(urls.filter((u) => alone.test(u))).toEqual([]);
      expect(sources.filter((s) => alone.test(s))).toEqual([]);
      expect(log).not.toMatch(alone);
    }
    expect(sources.length).toBeGreaterThan(10);
  });
});

describe('web UI under the listener TLS', () => {
  it('sets the session cookie Secure, HttpOnly and SameSite=Strict', async () => {
    const port = await freeTcpPort();
    const daemon = await createDaemon({ http: { listen: `[ { host: 127.0.0.1, port: ${port} } ]`, tls: '{ cert: http.crt, key: http.key }' } });
    const { key, cert } = selfSignedCertificate();
    writeFileSync(path.join(daemon.dir, 'http.crt'), cert);
    writeFileSync(path.join(daemon.dir, 'http.key'), key, { mode: 0o600 });
    await daemon.start();
    try {
      const { status, headers } = await new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders }>((resolve, reject) => {
        https.get(`https://127.0.0.1:${port}/ui/login`, { ca: cert }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        }).on('error', reject);
      });
      expect(status, daemon.logs()).toBe(200);
      const cookie = (headers['set-cookie'] ?? []).find((c) => c.startsWith('sms_otp_session='));
      expect(cookie, daemon.logs()).toBeDefined();
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    } finally {
      await daemon.stop();
    }
  }, 30_000);
});
