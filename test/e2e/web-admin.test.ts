// The web UI's admin pages end to end (issue 24), in Debian's chromium against the real
// daemon with the HTTP SMS gateway peer: carol, made admin by an admin-scope policy, signs in
// with her token PIN and the SMS code; the dashboard draws its charts and its JSON counts the
// RADIUS logins the test makes; a test SMS reaches the peer; a setting is changed and a bad
// value refused; a policy is created and a conflicting one refused; an API key is created,
// works against /token/, and stops working once deleted. dave, without the admin role, gets
// 403 from every admin page and every admin POST (with a valid CSRF token of his own), and
// changes nothing. Every change is in the audit trail with carol's name; every page passes
// axe-core without a serious violation, and is kept as a screenshot.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { launchBrowser, newContext, nextCode, screenshot, seriousViolations, signIn } from '../helpers/browser.js';

interface Counts {
  lastHour: { logins: Chart; smsSent: Chart; smsFailed: Chart };
  lastDay: { logins: Chart; smsSent: Chart; smsFailed: Chart };
  lockedTokens: number;
  disabledTokens: number;
}
interface Chart {
  labels: number[];
  series: Array<{ name: string; values: number[] }>;
}

const total = (chart: Chart, name: string) => chart.series.find((s) => s.name === name)?.values.reduce((a, b) => a + b, 0) ?? 0;

// Each step is a few seconds alone; a suite running beside it (two workers, chromium, slapd) may triple that.
describe('web UI: the admin pages', { timeout: 60_000 }, () => {
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let browser: Browser;
  let base: string;
  let carol: BrowserContext;
  let page: Page;

  /** RADIUS: the PIN, then the code from the SMS; the second reply. */
  const radiusLogin = async (user: string, pin: string) => {
    const first = await radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(pin) });
    if (first.code !== 'Access-Challenge') return first;
    const { code } = await nextCode(gw);
    return radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(code), State: first.attributes.State?.[0] ?? '' });
  };
  const counts = async (p: Page): Promise<Counts> => {
    const response = await p.request.get('/ui/admin/dashboard.json');
    expect(response.status()).toBe(200);
    return (await response.json()) as Counts;
  };
  const accessible = async (p: Page, name: string) => {
    expect(await seriousViolations(p), name).toEqual([]);
    await screenshot(p, name);
  };
  /** The admin rows of changes made in the web UI (the setup's CLI commands write rows of client cli). */
  const adminRows = async () =>
    (JSON.parse(await daemon.ok('audit', 'list', '--action', 'admin', '--json')) as Array<{ reason: string; client: string }>).filter((r) => r.client === 'webui');

  beforeAll(async () => {
    gw = await startSmsGateway();
    const port = await freeTcpPort();
    base = `http://127.0.0.1:${port}`;
    daemon = await createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: 127.0.0.1, port: ${port} } ]` } });
    // The first command makes the store and the key file; each is a process of its own (a second
    // or two), so the independent ones after it run at once.
    await daemon.ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}', '--description', 'loopback test peer');
    [browser] = await Promise.all([
      launchBrowser(),
      daemon.ok('setting', 'set', 'sms.identifier', 'gw'),
      daemon.ok('token', 'enroll', '--user', 'carol', '--phone', '+4917011111', '--pin', 'carol-pin-1'),
      daemon.ok('token', 'enroll', '--user', 'dave', '--phone', '+4917022222', '--pin', 'dave-pin-1'),
      daemon.ok('policy', 'set', 'web-admins', '--scope', 'admin', '--user', 'carol', '--action', 'role=admin'),
    ]);
    await daemon.start();
    carol = await newContext(browser, base);
    page = await carol.newPage();
    // A step that waits in vain fails naming its locator, before the test's own timeout.
    page.setDefaultTimeout(10_000);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await gw?.close();
  });

  it('a user without the admin role gets 403 from every admin page and POST, and changes nothing', async () => {
    const context = await newContext(browser, base);
    const dave = await context.newPage();
    await signIn(dave, gw, 'dave', 'dave-pin-1');
    expect(new URL(dave.url()).pathname).toBe('/ui/me');
    await expect(dave.getByRole('link', { name: 'Dashboard' }).count()).resolves.toBe(0);
    const pages = ['/ui/admin', '/ui/admin/dashboard.json', '/ui/admin/gateways', '/ui/admin/settings', '/ui/admin/policies', '/ui/admin/new-policy',
      '/ui/admin/policies/web-admins', '/ui/admin/policies/web-admins/delete', '/ui/admin/api-keys', '/ui/admin/api-keys/1/delete'];
    for (const path of pages) expect((await dave.goto(path))?.status(), path).toBe(403);
    await expect(dave.getByRole('heading', { name: 'Not allowed' })).toBeDefined();
    // A valid CSRF token of his own session: what refuses him is the role, not the token.
    await dave.goto('/ui/me');
    const csrf = await dave.locator('input[name="_csrf"]').first().inputValue();
    const posts: Array<[string, Record<string, string>]> = [
      ['/ui/admin/gateways/test', { gateway: 'gw', phone: '+4917099999' }],
      ['/ui/admin/settings', { key: 'sms.limit.user', value: '1/1h', do: 'save' }],
      ['/ui/admin/new-policy', { name: 'dave-admin', scope: 'admin', priority: '0', active: 'on', user: 'dave', actions: 'role=admin' }],
      ['/ui/admin/policies/web-admins', { scope: 'admin', priority: '1', active: 'on', user: 'dave', actions: 'role=admin' }],
      ['/ui/admin/policies/web-admins/delete', {}],
      ['/ui/admin/api-keys', { role: 'admin', description: 'dave' }],
      ['/ui/admin/api-keys/1/delete', {}],
    ];
    const before = gw.received.length;
    for (const [path, form] of posts) expect((await dave.request.post(path, { form: { _csrf: csrf, ...form }, maxRedirects: 0 })).status(), path).toBe(403);
    expect(gw.received.length).toBe(before);
    // Every change of the admin pages is audited: none was made (the admin's pages show the same, below).
    expect(await adminRows()).toEqual([]);
    await context.close();
  });

  it('the admin signs in to the dashboard: charts drawn, and its JSON counts the RADIUS logins made since', async () => {
    await signIn(page, gw, 'carol', 'carol-pin-1');
    expect(new URL(page.url()).pathname).toBe('/ui/admin');
    const before = await counts(page);
    expect((await radiusLogin('dave', 'dave-pin-1')).code).toBe('Access-Accept');
    expect((await radiusLogin('dave', 'dave-pin-1')).code).toBe('Access-Accept');
    expect((await radiusLogin('dave', 'wrong-pin')).code).toBe('Access-Reject');
    const after = await counts(page);
    for (const w of ['lastHour', 'lastDay'] as const) {
      expect(total(after[w].logins, 'accept') - total(before[w].logins, 'accept'), w).toBe(2);
      expect(total(after[w].logins, 'challenge') - total(before[w].logins, 'challenge'), w).toBe(2);
      expect(total(after[w].logins, 'reject') - total(before[w].logins, 'reject'), w).toBe(1);
      expect(total(after[w].smsSent, 'gw') - total(before[w].smsSent, 'gw'), w).toBe(2);
    }
    expect(after.lastHour.logins.labels).toHaveLength(60);
    expect(after.lastDay.logins.labels).toHaveLength(24);

    await page.goto('/ui/admin');
    await page.locator('#dashboard[data-ready="true"]').waitFor();
    for (const key of ['logins', 'smsSent', 'smsFailed']) {
      const canvas = page.locator(`#chart-${key}-hour`);
      await expect(canvas.getAttribute('data-drawn')).resolves.toBe('true');
      const box = await canvas.boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(100);
    }
    // Each chart has a heading and a text alternative that says the numbers.
    await page.getByRole('heading', { name: 'Logins by outcome' }).waitFor();
    const logins = await page.locator('#chart-logins-hour').getAttribute('aria-label');
    expect(logins).toMatch(/\b\d+ accepted\b/);
    expect(logins).toMatch(/\b\d+ rejected\b/);
    expect(await page.locator('#chart-smsSent-hour').getAttribute('aria-label')).toMatch(/\b\d+ through gw\b/);
    await expect(page.locator('.figures').innerText()).resolves.toMatch(/0\s+Locked tokens/);
    await accessible(page, 'admin-dashboard');
    // The switch redraws the day's charts in place.
    await page.getByRole('link', { name: 'Last day' }).click();
    await expect(page.locator('#chart-logins-day').getAttribute('data-drawn')).resolves.toBe('true');
    expect(await page.locator('#chart-logins-hour').isVisible()).toBe(false);
    expect(new URL(page.url()).search).toBe('?window=day');
  });

  it('a test SMS from the gateways page reaches the peer, audited with the admin', async () => {
    await page.goto('/ui/admin/gateways');
    await page.getByRole('heading', { name: /^gw/ }).waitFor();
    await expect(page.locator('.gateway').innerText()).resolves.toMatch(/reachable/);
    await accessible(page, 'admin-gateways');
    const before = gw.received.length;
    await page.getByLabel('Phone number for a test SMS through gw').fill('+4917099999');
    await page.getByRole('button', { name: 'Send test SMS through gw' }).click();
    await page.getByText('Gateway gw accepted the test SMS.').waitFor();
    const sms = gw.received[before]!;
    expect(sms.query.get('to')).toBe('+4917099999');
    expect(sms.query.get('text')).toContain('test message');
    await expect(page.locator('.gateway').innerText()).resolves.toMatch(/by web:carol: accepted by the gateway/);
    const tests = JSON.parse(await daemon.ok('audit', 'list', '--action', 'gateway-test', '--json')) as Array<{ user: string; client: string; gateway: string }>;
    expect(tests.at(-1)).toMatchObject({ user: 'web:carol', client: 'webui', gateway: 'gw' });
    // A number nobody could dial never reaches the gateway.
    await page.getByLabel('Phone number for a test SMS through gw').fill('call me');
    await page.getByRole('button', { name: 'Send test SMS through gw' }).click();
    await page.getByText('Enter the number to send to').waitFor();
    expect(gw.received.length).toBe(before + 1);
  });

  it('a setting is changed, and a bad value refused with the reason', async () => {
    await page.goto('/ui/admin/settings');
    await page.getByLabel('sms.limit.user', { exact: true }).fill('7/1h');
    await page.getByRole('button', { name: 'Save sms.limit.user' }).click();
    await page.getByText("sms.limit.user saved: '7/1h'.").waitFor();
    await expect(page.getByLabel('sms.limit.user', { exact: true }).inputValue()).resolves.toBe('7/1h');
    await page.getByLabel('sms.limit.user', { exact: true }).fill('lots');
    await page.getByRole('button', { name: 'Save sms.limit.user' }).click();
    await page.getByText(/Not saved: setting 'sms.limit.user' takes .* not 'lots'/).waitFor();
    await expect(page.getByLabel('sms.limit.user', { exact: true }).inputValue()).resolves.toBe('lots');
    await accessible(page, 'admin-settings');
    await page.goto('/ui/admin/settings');
    await expect(page.getByLabel('sms.limit.user', { exact: true }).inputValue()).resolves.toBe('7/1h');
    // Back to the default: the setting's own button.
    await page.getByRole('button', { name: 'Default for sms.limit.user' }).click();
    await page.getByText('sms.limit.user is back to its default.').waitFor();
    expect((await adminRows()).filter((r) => r.reason.includes('setting sms.limit.user')).map((r) => r.reason)).toEqual([
      "setting sms.limit.user set to '7/1h' (was '10/1h') (by web:carol)",
      "setting sms.limit.user back to its default '10/1h' (was '7/1h') (by web:carol)",
    ]);
  });

  it('a policy is created, a conflicting one refused with the reason, and one deleted after confirmation', async () => {
    await page.goto('/ui/admin/policies');
    await page.getByRole('link', { name: 'New policy' }).click();
    const fill = async (name: string, actions: string) => {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Scope', { exact: true }).selectOption('authentication');
      await page.getByLabel('Priority', { exact: true }).fill('5');
      await page.getByLabel('Realms', { exact: true }).fill('lab, test');
      await page.getByLabel('Actions', { exact: true }).fill(actions);
      await page.getByRole('button', { name: 'Create policy' }).click();
    };
    await fill('lab-userstore', 'otppin=userstore\nsmsautosend=true');
    await page.getByText('Policy lab-userstore created.').waitFor();
    await accessible(page, 'admin-policy');
    await page.goto('/ui/admin/new-policy');
    await fill('lab-none', 'otppin=none');
    await page.getByText(/policy lab-none conflicts with policy lab-userstore/).waitFor();
    await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('lab-none');
    await page.goto('/ui/admin/policies');
    const table = await page.locator('table').innerText();
    expect(table).toMatch(/lab-userstore\s+authentication\s+5\s+yes\s+realm lab, test\s+otppin=userstore/);
    expect(table).not.toContain('lab-none');
    // What dave's refused POSTs would have made is not there either.
    expect(table).toMatch(/web-admins\s+admin\s+1\s+yes\s+user carol\s+role=admin/);
    expect(table).not.toContain('dave');
    await accessible(page, 'admin-policies');
    await page.getByRole('link', { name: 'Delete policy lab-userstore' }).click();
    await page.getByRole('button', { name: 'Delete policy lab-userstore' }).click();
    await page.getByText('Policy lab-userstore deleted.').waitFor();
    expect(await page.locator('table').innerText()).not.toContain('lab-userstore');
    const reasons = (await adminRows()).map((r) => r.reason);
    expect(reasons).toContain("policy lab-userstore created: authentication, priority 5; otppin=userstore, smsautosend=true for realm=lab,test (by web:carol)");
    expect(reasons).toContain('policy lab-userstore deleted (by web:carol)');
    expect(reasons.some((r) => r.includes('lab-none'))).toBe(false);
  });

  it('an API key is shown once, works against /token/, and is refused once deleted', async () => {
    await page.goto('/ui/admin/api-keys');
    await expect(page.locator('main').innerText()).resolves.toContain('No API key yet.');
    await page.getByLabel(/^admin: the admin API/).check();
    await page.getByLabel('Description').fill('provisioning script');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = await page.getByLabel(/^API key \d+/).inputValue();
    expect(key.length).toBeGreaterThan(20);
    await accessible(page, 'admin-api-key-created');
    const tokens = () => fetch(`${base}/token/`, { headers: { 'PI-Authorization': key } });
    const ok = await tokens();
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await ok.json())).toContain('carol');
    await page.goto('/ui/admin/api-keys');
    expect(await page.content()).not.toContain(key);
    await accessible(page, 'admin-api-keys');
    const id = (await page.locator('tbody th').first().innerText()).trim();
    await page.getByRole('link', { name: `Delete API key ${id}` }).click();
    await page.getByRole('button', { name: `Delete API key ${id}` }).click();
    await page.getByText(`API key ${id} deleted.`).waitFor();
    // Every node drops it at its next poll of the site configuration (within a second).
    const until = Date.now() + 3000;
    let status = 200;
    while (status === 200 && Date.now() < until) {
      status = (await tokens()).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);
    const reasons = (await adminRows()).map((r) => r.reason);
    expect(reasons).toContain(`API key ${id} created: role admin, 'provisioning script' (by web:carol)`);
    expect(reasons).toContain(`API key ${id} deleted (by web:carol)`);
    expect(reasons.join('\n')).not.toContain(key);
    expect(daemon.logs()).not.toContain(key);
  });
});
