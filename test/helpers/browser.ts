// A real browser for the web UI's end-to-end tests: Debian's chromium (no download) driven by
// playwright-core, an accessibility check with axe-core injected into the page, and
// screenshots kept under reports/screenshots/ as test artifacts.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './fs.js';
import type { SmsGateway } from './sms-gateway.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'reports', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the suite runs as root, where chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A fresh browser profile (its own cookies) at `baseUrl`. */
export async function newContext(browser: Browser, baseUrl: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
}

/** The OTP of the next SMS the HTTP gateway peer receives (its `text` ends with the code). */
export async function nextCode(gw: SmsGateway): Promise<{ to: string; code: string }> {
  const sms = await gw.next(10_000);
  const text = sms.query.get('text') ?? new URLSearchParams(sms.body).get('text') ?? '';
  const code = /(\d{6,8})\s*$/.exec(text)?.[1];
  if (!code) throw new Error(`no code in the SMS text '${text}'`);
  return { to: sms.query.get('to') ?? new URLSearchParams(sms.body).get('to') ?? '', code };
}

/** Signs in through the two pages: user name and first factor, then the code from the SMS. */
export async function signIn(page: Page, gw: SmsGateway, username: string, password: string): Promise<void> {
  await page.goto('/ui/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password or PIN').fill(password);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('SMS code').waitFor();
  const { code } = await nextCode(gw);
  await page.getByLabel('SMS code').fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const AXE_SOURCE = () => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it is now; the violations of impact serious or
 * critical. Injected through the DevTools protocol, so the page's CSP (no inline script) is not
 * loosened for the test.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE_SOURCE() }).catch(async () => {
    // The CSP refuses a script tag: evaluate the source instead (DevTools is not bound by CSP).
    await page.evaluate(AXE_SOURCE());
  });
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }> }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A full-page screenshot, kept as reports/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
