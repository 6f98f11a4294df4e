// Local web accounts through the real CLI (`webadmin create|list|delete`), against the real
// daemon: the password comes from standard input and is the token PIN of user NAME in realm
// webadmin, whatever the site's otppin (the webadmin-tokenpin policy); proven by a RADIUS
// login with it and the SMS code sent to the account's phone. The role is an admin-scope
// policy (`policy explain` shows it), and the web UI's sign-in gets it (its session kept in the
// store under the HMAC of its id); every change is audited with the operator; delete removes
// the token and the role policy.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFromMaster } from '../../src/crypto/keyfile.js';
import { STORE_ADAPTERS } from '../../src/main/store-adapters.js';
import { Store } from '../../src/store/index.js';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { BIN } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';

const execFileAsync = promisify(execFile);
const OPS_PASSWORD = 'correct-horse-9';
const HD_PASSWORD = 'helpdesk-pass-7';

describe('webadmin: local web accounts through the CLI', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let httpPort = 0;

  /** The CLI with `input` on its standard input (not a terminal: the password is read from it). */
  async function cliWithInput(input: string, ...args: string[]) {
    const run = execFileAsync(process.execPath, [BIN, ...args, '--config', daemon.config]);
    run.child.stdin!.end(input);
    try {
      const { stdout, stderr } = await run;
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }
  const login = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) });

  beforeAll(async () => {
    gw = await startSmsGateway();
    httpPort = await freeTcpPort();
    daemon = await createDaemon({ radius: { reject_delay: '0' }, http: { listen: `[ { host: 127.0.0.1, port: ${httpPort} } ]` } });
    await daemon.ok('gateway', 'set', 'gw', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw');
    // The site's first factor is the directory password: the web accounts' policy must win for realm webadmin.
    await daemon.ok('setting', 'set', 'otppin', 'userstore');
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('create reads the password from standard input; refuses a short password, a realm for an admin, a second account of a name', async () => {
    const ops = await cliWithInput(`${OPS_PASSWORD}\n`, 'webadmin', 'create', 'ops', '--phone', '+4917099999');
    expect(ops, ops.stderr).toMatchObject({ code: 0 });
    expect(ops.stdout).toMatch(/^web account ops created: role admin, realms all, token \S+, phone \S+; sign in as ops@webadmin$/m);
    const hd = await cliWithInput(`${HD_PASSWORD}\n`, 'webadmin', 'create', 'hd', '--phone', '+4917088888', '--role', 'helpdesk', '--realm', 'Sales.example', '--realm', 'corp');
    expect(hd, hd.stderr).toMatchObject({ code: 0 });
    expect(hd.stdout).toMatch(/role helpdesk, realms corp,sales\.example/);

    const short = await cliWithInput('short\n', 'webadmin', 'create', 'x1', '--phone', '+4917077777');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 8 characters/);
    const realmForAdmin = await cliWithInput(`${OPS_PASSWORD}\n`, 'webadmin', 'create', 'x2', '--phone', '+4917077777', '--realm', 'corp');
    expect(realmForAdmin.code).toBe(2);
    expect(realmForAdmin.stderr).toMatch(/--realm restricts a helpdesk/);
    const again = await cliWithInput(`${OPS_PASSWORD}\n`, 'webadmin', 'create', 'ops', '--phone', '+4917099999');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/web account ops exists already/);
    // Nothing half made by the refusals.
    expect(await daemon.ok('token', 'list', '--json')).not.toMatch(/"x1"|"x2"/);
    for (const r of [ops, hd, short, realmForAdmin, again]) expect(r.stdout + r.stderr).not.toMatch(/correct-horse|helpdesk-pass/);
  });

  it('list shows each account with its role, realms and redacted phone; the policies are there, and explain shows the role', async () => {
    const accounts = JSON.parse(await daemon.ok('webadmin', 'list', '--json')) as Array<Record<string, unknown>>;
    expect(accounts).toEqual([
      expect.objectContaining({ name: 'hd', role: 'helpdesk', realms: ['corp', 'sales.example'], active: true, locked: false }),
      expect.objectContaining({ name: 'ops', role: 'admin', realms: 'all', active: true, locked: false }),
    ]);
    expect(String(accounts[1]!.phone)).not.toContain('+4917099999');
    const table = await daemon.ok('webadmin', 'list');
    expect(table).toMatch(/^ops\s+admin\s+all\s+/m);

    const policies = JSON.parse(await daemon.ok('policy', 'list', '--json')) as Array<{ name: string; scope: string; priority: number; actions: unknown; conditions: unknown }>;
    expect(policies.find((p) => p.name === 'webadmin-tokenpin')).toEqual(
      expect.objectContaining({ scope: 'authentication', priority: 0, conditions: { realm: ['webadmin'] }, actions: [{ key: 'otppin', value: 'tokenpin' }, { key: 'passthru', value: 'false' }] }),
    );
    expect(policies.find((p) => p.name === 'webadmin-hd')).toEqual(
      expect.objectContaining({ scope: 'admin', conditions: { realm: ['webadmin'], user: ['hd'] }, actions: [{ key: 'role', value: 'helpdesk' }, { key: 'adminrealm', value: 'corp,sales.example' }] }),
    );
    const explained = JSON.parse(await daemon.ok('policy', 'explain', '--user', 'hd', '--realm', 'webadmin', '--json')) as { admin: unknown[]; authentication: Array<{ action: string; value: string; from: string }> };
    expect(explained.admin).toEqual([
      { action: 'role', value: 'helpdesk', from: 'webadmin-hd' },
      { action: 'adminrealm', value: 'corp,sales.example', from: 'webadmin-hd' },
      { action: 'selfservice_enroll', value: 'false', from: 'none' },
    ]);
    expect(explained.authentication.find((a) => a.action === 'otppin')).toEqual({ action: 'otppin', value: 'tokenpin', from: 'webadmin-tokenpin' });
  });

  it('the password is the first factor of a login through the login core, the code goes to the account phone', async () => {
    await daemon.start();
    expect((await login('ops@webadmin', 'not-the-password')).code).toBe('Access-Reject');
    const first = await login('ops@webadmin', OPS_PASSWORD);
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917099999');
    const otp = sms.query.get('text') ?? '';
    expect((await login('ops@webadmin', otp, first.attributes.State?.[0] ?? '')).code).toBe('Access-Accept');
    expect(daemon.logs()).not.toContain(OPS_PASSWORD);
  });

  it('the web sign-in of a local admin account ends signed in as admin; its session is in the store under the HMAC of its id', async () => {
    const base = `http://127.0.0.1:${httpPort}/ui`;
    let cookie = '';
    const request = async (url: string, form?: Record<string, string>) => {
      const res = await fetch(`${base}${url}`, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
      const set = res.headers.getSetCookie().find((c) => c.startsWith('sms_otp_session='));
      if (set) cookie = set.split(';')[0]!;
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    };
    const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

    const form = await request('/login');
    const first = await request('/login', { _csrf: csrfOf(form.body), username: 'ops@webadmin', password: OPS_PASSWORD });
    expect(first, first.body).toMatchObject({ status: 302, location: '/ui/login/code' });
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917099999');
    const codePage = await request('/login/code');
    const signedIn = await request('/login/code', { _csrf: csrfOf(codePage.body), code: sms.query.get('text') ?? '' });
    expect(signedIn).toMatchObject({ status: 302, location: '/ui/' });
    // The role the webadmin-ops policy gives, decided without a directory.
    expect(await request('/')).toMatchObject({ status: 302, location: '/ui/admin' });

    const signed = decodeURIComponent(cookie.slice('sms_otp_session='.length));
    const sessionId = signed.slice(0, signed.lastIndexOf('.'));
    const keys = keysFromMaster(Buffer.from(readFileSync(daemon.keyfile, 'utf8').trim(), 'hex'));
    const store = Store.open({ client: 'sqlite', filename: path.join(daemon.dir, 'store.sqlite') }, keys, STORE_ADAPTERS);
    try {
      const rows = (await store.knex('web_sessions').select('id', 'data')) as Array<{ id: string; data: string }>;
      const mine = rows.find((r) => r.id === createHmac('sha256', keys.webSessionKey).update(sessionId).digest('hex'));
      expect(JSON.parse(mine!.data)).toMatchObject({ user: { username: 'ops', realm: 'webadmin', access: { role: 'admin', realms: 'all' } } });
      expect(JSON.stringify(rows)).not.toContain(sessionId);
      expect(JSON.stringify(rows)).not.toContain(OPS_PASSWORD);
    } finally {
      await store.close();
    }
  });

  it('delete removes the token and the role policy, audited with the operator; a second delete finds nothing', async () => {
    expect(await daemon.ok('webadmin', 'delete', 'hd')).toBe('web account hd deleted');
    expect((JSON.parse(await daemon.ok('webadmin', 'list', '--json')) as Array<{ name: string }>).map((a) => a.name)).toEqual(['ops']);
    const names = (JSON.parse(await daemon.ok('policy', 'list', '--json')) as Array<{ name: string }>).map((p) => p.name);
    expect(names).toContain('webadmin-tokenpin');
    expect(names).toContain('webadmin-ops');
    expect(names).not.toContain('webadmin-hd');
    const gone = await daemon.cli('webadmin', 'delete', 'hd');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/no web account hd/);

    const audit = JSON.parse(await daemon.ok('audit', 'list', '--action', 'admin', '--realm', 'webadmin', '--json')) as Array<{ user: string; reason: string; client: string }>;
    const operator = userInfo().username;
    const reasons = audit.map((r) => `${r.user}: ${r.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^ops: web account ops created: role admin, phone \\S+ \\(by ${operator}\\)$`)),
        expect.stringMatching(new RegExp(`^hd: web account hd created: role helpdesk for realms corp,sales.example, phone \\S+ \\(by ${operator}\\)$`)),
        `hd: web account hd deleted (by ${operator})`,
      ]),
    );
    expect(audit.every((r) => r.client === 'cli')).toBe(true);
    expect(JSON.stringify(audit)).not.toMatch(/correct-horse|helpdesk-pass|4917099999/);
  });
});
