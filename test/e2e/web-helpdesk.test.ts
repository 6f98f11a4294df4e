// The helpdesk's web pages end to end (issue 24), in Debian's chromium against the real daemon,
// a real slapd and the HTTP SMS gateway peer. carol is a helpdesk member for realm corp (an
// admin-scope policy): she signs in with her directory password and the SMS code, finds alice
// by a part of her phone number after alice locked her token with wrong codes over RADIUS,
// unlocks her, changes her phone, and alice's next RADIUS login sends its SMS to the new
// number. dave of realm lab is never listed for carol, and his page and an action on his token
// are 403, as is the page of a lab user who does not exist. Every action's audit row names
// web:carol@corp; each page passes axe-core without a serious violation and is screenshotted.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, nextCode, screenshot, seriousViolations, signIn } from '../helpers/browser.js';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { radclient } from '../helpers/radius-clients.js';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const ALICE_PHONE = '+4917055501234';
const ALICE_NEW_PHONE = '+4917066607777';
const ALICE_VERIFIED_PHONE = '+4917077708888';
const DAVE_PHONE = '+4917055509876';
/** Free text the operator gave alice's token: shown on her page as text, never as markup. */
const ALICE_DESCRIPTION = 'Diensthandy <b>Alice</b> & "Büro 2.10"';

describe('the helpdesk pages, in chromium', () => {
  let slapd: Slapd;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let daveSerial: string;

  const login = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });
  /** No serious or critical axe-core violation on the page as it is; a screenshot of it. */
  const check = async (name: string) => {
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, name);
  };
  const adminRows = async (user: string) =>
    (JSON.parse(await daemon.ok('audit', 'list', '--json', '--user', user)) as Array<{ action: string; reason: string; client: string }>).filter((r) => r.action === 'admin');
  /** What the action did, or (to fail the test with it) why it was refused. */
  const notice = () => page.locator('p.notice, p.error').first().innerText();

  beforeAll(async () => {
    const port = await freeTcpPort();
    [slapd, gw, daemon] = await Promise.all([
      startSlapd([
        { uid: 'carol', password: 'carol-pw', sn: 'Helpdesk', mobile: '+4917011111' },
        { uid: 'alice', password: 'alice-pw', sn: 'User', mobile: ALICE_PHONE },
        { uid: 'dave', password: 'dave-pw', sn: 'Lab', mobile: DAVE_PHONE },
      ]),
      startSmsGateway(),
      createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: 127.0.0.1, port: ${port} } ]` } }),
    ]);
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    // The first command makes the store and the key file; the others run side by side in
    // waves (a CLI command takes seconds, SQLite's busy timeout queues the writers).
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--timeout', '2', '--preset', 'openldap');
    await Promise.all([
      daemon.ok('realm', 'set', 'corp', '--userstore', 'corp', '--default').then(() => daemon.ok('realm', 'set', 'lab', '--userstore', 'corp')),
      daemon.ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}').then(() => daemon.ok('setting', 'set', 'sms.identifier', 'gw')),
      // The directory password is the first factor: no token PIN.
      ...[['sms.resend_interval', '0'], ['sms.limit.user', ''], ['sms.limit.phone', ''], ['otppin', 'userstore']].map(([key, value]) => daemon.ok('setting', 'set', key!, value!)),
    ]);
    const enrolled = await Promise.all([
      daemon.ok('token', 'enroll', '--user', 'carol', '--realm', 'corp', '--phone', '+4917011111'),
      daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'corp', '--phone', ALICE_PHONE, '--description', ALICE_DESCRIPTION).then(() => daemon.ok('token', 'set', '--user', 'alice@corp', '--maxfail', '2')),
      daemon.ok('token', 'enroll', '--user', 'dave', '--realm', 'lab', '--phone', DAVE_PHONE),
      daemon.ok('policy', 'set', 'hd', '--scope', 'admin', '--user', 'carol', '--action', 'role=helpdesk', '--action', 'adminrealm=corp'),
    ]);
    daveSerial = /\b(PISM\w+)/.exec(enrolled[2])?.[1] ?? '';
    [browser] = await Promise.all([launchBrowser(), daemon.start()]);
    context = await newContext(browser, `http://127.0.0.1:${port}`);
    page = await context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('alice locks her token over RADIUS with wrong codes', async () => {
    expect(daveSerial).toMatch(/^PISM/);
    for (let round = 0; round < 2; round++) {
      const first = await login('alice', 'alice-pw');
      expect(first.code, daemon.logs()).toBe('Access-Challenge');
      await gw.next();
      expect((await login('alice', '000000', first.attributes.State?.[0])).code).toBe('Access-Reject');
    }
    expect(await daemon.ok('token', 'list', '--user', 'alice')).toMatch(/2\/2/);
  });

  it('carol signs in with password and SMS code and finds alice by a part of her phone, not dave of realm lab', async () => {
    await signIn(page, gw, 'carol', 'carol-pw');
    expect(new URL(page.url()).pathname).toBe('/ui/helpdesk');
    await check('helpdesk-search-empty');
    await page.getByLabel('Name or phone number').fill('555');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('table');
    await expect.poll(() => results.innerText()).toContain('alice@corp');
    expect(await results.innerText()).not.toContain('dave');
    expect(await results.innerText()).toContain('locked');
    expect(await page.content()).not.toContain(ALICE_PHONE);
    await check('helpdesk-search');
    await page.getByLabel('Name or phone number').fill('dave');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No user found').waitFor();
  });

  it("alice's page: the token's description, the phone redacted until revealed (audited), the lock, the wrong codes among the last logins; unlock", async () => {
    await page.getByLabel('Name or phone number').fill('0170 555 01');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'alice@corp' }).click();
    await page.getByRole('heading', { name: 'User alice@corp' }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toMatch(/2 of 2: locked/);
    expect(text).toMatch(/reject/);
    // The token's description, escaped: the markup in it is text, not an element.
    expect(await page.getByRole('row', { name: /^Description/ }).getByRole('cell').innerText()).toBe(ALICE_DESCRIPTION);
    expect(await page.locator('main section.token b').count()).toBe(0);
    expect(await page.content()).not.toContain(ALICE_PHONE);
    await check('helpdesk-user');

    await page.getByRole('button', { name: 'Reveal phone number' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain(ALICE_PHONE);
    await check('helpdesk-user-revealed');
    // Shown on that answer only: the page as read again has it redacted.
    await page.goto('/ui/helpdesk/users/corp/alice');
    expect(await page.content()).not.toContain(ALICE_PHONE);

    await page.getByRole('button', { name: 'Unlock' }).click();
    expect(await notice()).toMatch(/^Unlocked: token PISM\w+ reset \(failcount was 2\)/);
    expect(await page.locator('main').innerText()).toMatch(/0 of 2/);
  });

  it("carol changes alice's phone: alice's next RADIUS login sends its SMS to the new number; a test SMS too", async () => {
    await page.getByLabel('New phone number').fill(ALICE_NEW_PHONE);
    await page.getByRole('button', { name: 'Change phone' }).click();
    expect(await notice()).toMatch(/phone number of token PISM\w+ was changed/);
    await check('helpdesk-user-changed');

    const first = await login('alice', 'alice-pw');
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const sms = await nextCode(gw);
    expect(sms.to).toBe(ALICE_NEW_PHONE);
    expect((await login('alice', sms.code, first.attributes.State?.[0])).code).toBe('Access-Accept');

    await page.getByRole('button', { name: 'Send test SMS' }).click();
    expect(await notice()).toMatch(/test SMS .* sent for token PISM\w+ to \*+77 through gw/);
    expect((await nextCode(gw)).to).toBe(ALICE_NEW_PHONE);
  });

  it('"Verify by SMS first": the code goes to the new number, a wrong one is refused, the right one saves it', async () => {
    await page.getByLabel('New phone number').fill(ALICE_VERIFIED_PHONE);
    await page.getByLabel('Verify by SMS first').check();
    await page.getByRole('button', { name: 'Change phone' }).click();
    await page.getByLabel('Verification code').waitFor();
    const sms = await nextCode(gw);
    expect(sms.to).toBe(ALICE_VERIFIED_PHONE);
    await check('helpdesk-phone-confirm');
    await page.getByLabel('Verification code').fill(sms.code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm new number' }).click();
    expect(await page.getByRole('alert').innerText()).toMatch(/wrong verification code \(2 tries left\)/);
    await page.getByLabel('Verification code').fill(sms.code);
    await page.getByRole('button', { name: 'Confirm new number' }).click();
    expect(await notice()).toMatch(/phone number of token PISM\w+ was verified and changed to \*+88/);
  });

  it('disable, enable, delete after a confirmation page, and enroll a new SMS token', async () => {
    await page.getByRole('button', { name: 'Disable' }).click();
    expect(await notice()).toMatch(/^Disabled: token PISM\w+ disabled/);
    await page.getByRole('button', { name: 'Enable' }).click();
    expect(await notice()).toMatch(/^Enabled: token PISM\w+ enabled/);
    expect((await login('alice', 'alice-pw')).code).toBe('Access-Challenge');
    expect((await nextCode(gw)).to).toBe(ALICE_VERIFIED_PHONE);

    await page.getByRole('link', { name: 'Delete token…' }).click();
    await page.getByRole('heading', { name: /^Delete token PISM\w+\?$/ }).waitFor();
    await check('helpdesk-delete');
    await page.getByRole('button', { name: 'Delete token' }).click();
    expect(await notice()).toMatch(/^Token PISM\w+ was deleted/);
    await page.getByText('This user has no token.').waitFor();
    await check('helpdesk-user-no-token');

    await page.getByLabel('Phone number').fill(ALICE_PHONE);
    await page.getByRole('button', { name: 'Enroll SMS token' }).click();
    expect(await notice()).toMatch(/^SMS token PISM\w+ was enrolled/);
    const first = await login('alice', 'alice-pw');
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    expect((await nextCode(gw)).to).toBe(ALICE_PHONE);
  });

  it("every action's audit row names the helpdesk member, from the web UI (client webui)", async () => {
    const rows = await adminRows('alice');
    expect([...new Set(rows.filter((r) => r.reason.endsWith('(by web:carol@corp)')).map((r) => r.client))]).toEqual(['webui']);
    // The setup's enrollments from the CLI are audited too, "(by root)": the web UI's rows are the rest.
    const reasons = rows.filter((r) => r.client !== 'cli').map((r) => r.reason);
    for (const done of [/reset \(failcount was 2\)/, /phone of token \S+ revealed/, /updated \(phone\)/, /SMS resent/, /phone verification sent to \*+88/, /phone changed to \*+88 for token \S+ \(verified by a code sent to it\)/, /disabled/, /enabled/, /deleted/, /enrolled/]) {
      const row = reasons.find((r) => done.test(r));
      expect(row, `${done} in ${reasons.join('\n')}`).toBeDefined();
      expect(row).toMatch(/\(by web:carol@corp\)$/);
    }
  });

  it('a user of realm lab is a 403 for carol, on the page and on a POST, known or not; nothing changes', async () => {
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const daveRows = await adminRows('dave'); // his enrollment by the setup's CLI
    const answers: string[] = [];
    for (const who of ['dave', 'nobody']) {
      const answer = await page.goto(`/ui/helpdesk/users/lab/${who}`);
      expect(answer?.status()).toBe(403);
      answers.push((await page.locator('main').innerText()).replace(who, 'NAME'));
    }
    // One answer whether or not the user exists: the other realm's names cannot be probed.
    expect(answers[0]).toMatch(/not found in the realms you may see/);
    expect(answers[1]).toBe(answers[0]);
    await check('helpdesk-forbidden');
    for (const action of ['unlock', 'disable', 'reveal', 'delete']) {
      const answer = await page.request.post(`/ui/helpdesk/users/lab/dave/tokens/${daveSerial}/${action}`, { form: { _csrf: csrf }, maxRedirects: 0 });
      expect(answer.status(), action).toBe(403);
      expect(await answer.text()).not.toContain(DAVE_PHONE);
    }
    // Nor under his token's realm's neighbour: a corp URL cannot reach a lab token.
    const sneaky = await page.request.post(`/ui/helpdesk/users/corp/alice/tokens/${daveSerial}/disable`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(sneaky.status()).toBe(404);
    expect(await adminRows('dave')).toEqual(daveRows);
    expect(await daemon.ok('token', 'list', '--user', 'dave')).toMatch(/active/);
  });

  it('a user without the helpdesk role gets 403 from the search and from a user page', async () => {
    const own = await newContext(browser, new URL(page.url()).origin);
    try {
      const alice = await own.newPage();
      await signIn(alice, gw, 'alice', 'alice-pw');
      expect(await alice.getByRole('link', { name: 'Helpdesk' }).count()).toBe(0);
      for (const url of ['/ui/helpdesk?q=555', '/ui/helpdesk/users/corp/carol']) {
        expect((await alice.goto(url))?.status(), url).toBe(403);
        expect(await alice.locator('main').innerText()).toMatch(/needs the helpdesk role/);
      }
    } finally {
      await own.close();
    }
  });
});
