// The web UI in the second browser the issue names: Debian's Firefox ESR (no download),
// driven by puppeteer-core over WebDriver BiDi, and with the keyboard alone: the skip link
// first, the sign-in's two pages by typing and Enter, then signing out. Chromium runs the
// rest of the UI's tests (web-sign-in, web-helpdesk, web-admin).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { nextCode } from '../helpers/browser.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const PHONE = '+4917077777';
const PIN = 'erin-token-pin-7';

describe('web UI in Firefox, by keyboard', () => {
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    expect(existsSync(FIREFOX), `${FIREFOX}: install Debian's firefox-esr (scripts/test.sh does)`).toBe(true);
    gw = await startSmsGateway();
    const httpPort = await freeTcpPort();
    base = `http://127.0.0.1:${httpPort}`;
    daemon = await createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: 127.0.0.1, port: ${httpPort} } ]` } });
    await daemon.ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw');
    await daemon.ok('token', 'enroll', '--user', 'erin', '--phone', PHONE, '--pin', PIN);
    await daemon.start();
    // As root Firefox wants a HOME of its own; puppeteer gives it a fresh profile.
    browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, env: { ...process.env, MOZ_HEADLESS: '1' } });
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await gw?.close();
  });

  const focused = () => page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: { tagName: string; id: string; textContent: string | null } | null } }).document.activeElement;
    return el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} ${(el.textContent ?? '').trim()}`.trim() : '';
  });
  const heading = () => page.$eval('h1', (h) => (h as unknown as { textContent: string }).textContent.trim());

  it('signs in with the keyboard alone: user name, PIN, Enter; the SMS code, Enter', async () => {
    await page.goto(`${base}/`);
    expect(await heading()).toBe('Sign in');
    // The user name field has the focus from the start.
    expect(await focused()).toBe('input#username');
    await page.keyboard.type('erin');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('input#password');
    await page.keyboard.type(PIN);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe('/ui/login/code');
    const sms = await nextCode(gw);
    expect(sms.to).toBe(PHONE);
    expect(await focused()).toBe('input#code');
    await page.keyboard.type(sms.code);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await heading()).toBe('My account');
    expect(await page.$eval('main', (m) => (m as unknown as { textContent: string }).textContent)).toMatch(/\*+77/);
  }, 60_000);

  it('the first Tab of a page reaches "Skip to content", which moves the focus to the page', async () => {
    await page.goto(`${base}/ui/me`);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('a Skip to content');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');
  }, 30_000);

  it('signs out by keyboard: the button is reached by Tab and pressed with Enter', async () => {
    await page.goto(`${base}/ui/me`);
    let reached = '';
    for (let i = 0; i < 12 && reached !== 'button Sign out'; i++) {
      await page.keyboard.press('Tab');
      reached = await focused();
    }
    expect(reached).toBe('button Sign out');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await heading()).toBe('Sign in');
    await page.goto(`${base}/ui/me`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
  }, 30_000);
});
