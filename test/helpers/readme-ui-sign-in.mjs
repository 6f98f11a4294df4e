// The README's web UI step, as a person does it in a browser: open http://127.0.0.1:5080/ui/,
// sign in as alice with PIN 1234, then the code of the new SMS (the last line of data/sms.log).
// Run by test/e2e/readme-quickstart.test.ts inside its sandbox (cwd: the checkout); prints
// what the signed-in page shows, one `key: value` per line, for the test to check.
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const lastSms = () => readFileSync('data/sms.log', 'utf8').trim().split('\n').pop() ?? '';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto('http://127.0.0.1:5080/');
  const before = lastSms();
  await page.getByLabel('User name').fill('alice');
  await page.getByLabel('Password or PIN').fill('1234');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('SMS code').waitFor();
  const sms = lastSms();
  await page.getByLabel('SMS code').fill(sms.split(' ')[2] ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  console.log(`new sms: ${sms !== before}`);
  console.log(`url: ${new URL(page.url()).pathname}`);
  console.log(`heading: ${await page.getByRole('heading', { level: 1 }).innerText()}`);
  console.log(`nav: ${(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).join(', ')}`);
  mkdirSync('reports/screenshots', { recursive: true });
  await page.screenshot({ path: 'reports/screenshots/readme-ui.png', fullPage: true });
} finally {
  await browser.close();
}
