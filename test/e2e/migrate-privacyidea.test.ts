// `migrate privacyidea` on the fixture a real privacyIDEA 3.13.3 made (test/fixtures/
// privacyidea-3.13, copied to a temp dir first): a dry run changes nothing; the import carries
// the SMS tokens of realm local (the default realm: logins without a realm) and of the LDAP realm
// corp (a real slapd loaded with the fixture's people) with their keys,
// counters, states and argon2 PINs; every user then logs in over RADIUS (radclient, a real
// daemon) with their old PIN and next OTP; greta stays locked, felix stays disabled; an SMS
// challenge goes out through the imported gateway; a second run duplicates nothing and
// moves no counter back; token descriptions come along and a changed one is updated; every
// import (never a dry run) leaves one audit row naming the source file and the operator.
import { execFileSync } from 'node:child_process';
import { cpSync, chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { PI_FIXTURE, peopleOf } from '../helpers/pi-fixture.js';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

const FIXTURE = PI_FIXTURE;

interface FixtureToken {
  serial: string;
  type: string;
  user: string | null;
  realm: string;
  pin: string;
  next_otps: string[];
  phone_e164: string;
  gateway: string;
  state: { active: boolean; failcount: number; maxfail: number; counter: number };
}
interface Fixture {
  users: Array<{ user: string; realm: string; tokens: FixtureToken[] }>;
}

const login = (daemon: TestDaemon, user: string, password: string, state?: string) =>
  // privacyIDEA's argon2 (100 MiB, 9 passes) takes seconds on a loaded 2-core machine: a patient NAS.
  radclient(daemon, { 'User-Name': JSON.stringify(user), 'User-Password': JSON.stringify(password), ...(state ? { State: state } : {}) }, { timeout: 40, retries: 1 });

describe('migrate privacyidea: the fixture of privacyIDEA 3.13.3', () => {
  let dir: string;
  let gw: SmsGateway;
  let daemon: TestDaemon;
  let slapd: Slapd;
  let fixture: Fixture;
  const args = () => ['migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, '--encfile', path.join(dir, 'enckey'), '--pepper-file', path.join(dir, 'pi.cfg')];
  const tokens = async () => JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string; counter: number; failcount: number; active: boolean }>;
  /** The migration's audit rows (action admin; the setup's `setting set` wrote one of its own), oldest first. */
  const adminRows = async () =>
    (JSON.parse(await daemon.ok('audit', 'list', '--action', 'admin', '--json')) as Array<{ client: string; reason: string }>).filter((r) => r.reason.startsWith('privacyIDEA migration'));
  const piDb = () => path.join(dir, 'pi.sqlite');
  const smsTokens = () => fixture.users.flatMap((u) => u.tokens.filter((t) => t.type === 'sms'));
  /** Local users log in without a realm (it was privacyIDEA's default realm), corp users as user@corp. */
  const loginName = (t: FixtureToken) => (t.realm === 'local' ? t.user! : `${t.user}@corp`);

  beforeAll(async () => {
    dir = tempDir('smsotp-pi-');
    cpSync(FIXTURE, dir, { recursive: true });
    for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o600);
    fixture = JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8')) as Fixture;
    gw = await startSmsGateway();
    gw.respond(200, 'ID 4711');
    daemon = await createDaemon({ radius: { reject_delay: '0', max_request_time: '45' } });
    await daemon.ok('setting', 'set', 'sms.default_country_code', '49');
    // Realm corp: privacyIDEA's LDAP resolver corpldap, here a real slapd with the same people.
    slapd = await startSlapd(peopleOf(readFileSync(path.join(dir, 'ldap.ldif'), 'utf8')));
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--preset', 'openldap');
    await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp');
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('a key file of another installation stops it with one line, before anything is written', async () => {
    const wrong = path.join(dir, 'other-enckey');
    writeFileSync(wrong, Buffer.alloc(96, 1));
    const r = await daemon.cli('migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, '--encfile', wrong);
    expect([r.code, r.stderr.trim()]).toEqual([2, `sms-otp-radiusd: --encfile ${wrong}: none of the 26 token keys decrypts with it; give the PI_ENCFILE of the installation whose database --db names`]);
    expect(JSON.parse(await daemon.ok('gateway', 'list', '--json'))).toEqual([]);
  });

  it('a dry run prints the plan and what cannot come, and changes nothing', async () => {
    const out = await daemon.ok(...args(), '--dry-run');
    expect(out).toContain('dry run: nothing was changed');
    expect(out).toMatch(/create token PISM00006D6F: anna: active, counter 6, fail 0\/10, \+4917011110001/);
    expect(out).toMatch(/token OATH000096FB \(hotp.*only SMS tokens exist here/);
    expect(out).toMatch(/token SMS-SPARE-0099 \(sms\): assigned to nobody/);
    expect(out).toMatch(/create token PISM00180EB1: tom@corp: active, counter 4, fail 0\/10, phone from directory/);
    expect(out).toMatch(/the dynamic phone of token PISM0004E0A7: realm \(none\) has no user store here/);
    expect(out).toMatch(/setting PrependPin=True: /);
    expect(out).toMatch(/create token PISM0009965C: .*, description "Diensthandy Jonas \(Büro 2\.10\)"$/m);
    expect(out).not.toContain('no description here');
    expect(await tokens()).toEqual([]);
    expect(await adminRows()).toEqual([]);
    expect(await daemon.ok('migrate', 'privacyidea', '--help')).not.toContain('(default: [])');
    expect(JSON.parse(await daemon.ok('gateway', 'list', '--json'))).toEqual([]);
  });

  it('imports every assigned SMS token of both realms with their state, and the gateways and settings', async () => {
    const report = JSON.parse(await daemon.ok(...args(), '--json')) as { tokens: { created: number; updated: number }; notCarried: Array<{ what: string }> };
    expect(report.tokens).toEqual({ created: smsTokens().length, updated: 0, unchanged: 0 });
    const byserial = new Map((await tokens()).map((t) => [t.serial, t]));
    for (const t of smsTokens()) {
      const ours = byserial.get(t.serial);
      expect(ours, t.serial).toBeDefined();
      expect([ours!.counter, ours!.failcount, ours!.active], t.serial).toEqual([t.state.counter, t.state.failcount, t.state.active]);
    }
    expect(await daemon.ok('setting', 'get', 'sms.identifier')).toContain('websms');
    // privacyIDEA's token descriptions come along (SMS-SPARE-0099's is on a token not carried).
    expect(JSON.parse(await daemon.ok('token', 'show', 'PISM0009965C')).description).toBe('Diensthandy Jonas (Büro 2.10)');
    expect(JSON.parse(await daemon.ok('token', 'show', 'PISM0015CF19')).description).toBe('second phone');
    expect(JSON.parse(await daemon.ok('token', 'show', 'PISM00006D6F')).description).toBe('');
    expect(report.notCarried.map((n) => n.what).join('\n')).not.toContain('description');
    const [row, ...more] = await adminRows();
    expect(more).toEqual([]);
    expect(row!.client).toBe('cli');
    expect(row!.reason).toMatch(new RegExp(`^privacyIDEA migration from ${escape(piDb())}: ${smsTokens().length} new, 0 updated, 0 unchanged \\(by [^)]+\\)$`));
    // The imported gateway sends to the fixture's port 5990: pointed at this test's peer, its secrets kept.
    await daemon.ok('gateway', 'set', 'websms', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'HTTP_METHOD=POST',
      '--option', 'USERNAME=pi-gw', '--option', 'PASSWORD=__CENSORED__', '--option', 'RETURN_SUCCESS=ID', '--option', 'to={phone}', '--option', 'text=Your code {otp}');
    await daemon.start();
  }, 60_000);

  it('every user logs in with their old PIN and next OTP; greta stays locked, felix disabled', async () => {
    // One at a time: each PIN check is privacyIDEA's argon2 (100 MiB, 9 passes), twice per PIN+OTP
    // and token (olga has two: four), seconds each on a loaded 2-core machine.
    for (const t of smsTokens()) await check(t);
  }, 600_000);

  async function check(t: FixtureToken): Promise<void> {
    const reply = await login(daemon, loginName(t), `${t.pin}${t.next_otps[0]}`);
    const message = reply.attributes['Reply-Message']?.[0];
    if (!t.state.active) expect([reply.code, t.serial]).toEqual(['Access-Reject', t.serial]);
    else if (t.state.failcount >= t.state.maxfail) expect([reply.code, message]).toEqual(['Access-Reject', 'Failcounter exceeded']);
    else expect([reply.code, t.serial]).toEqual(['Access-Accept', t.serial]);
  }

  it('an SMS challenge goes out through the imported gateway, and the PIN was re-hashed into ours', async () => {
    const anna = smsTokens().find((t) => t.user === 'anna' && t.realm === 'local')!;
    const first = await login(daemon, 'anna', anna.pin);
    expect(first.code, daemon.logs()).toBe('Access-Challenge');
    const sms = await gw.next();
    const form = new URLSearchParams(sms.body);
    expect([sms.method, form.get("to")]).toEqual(["POST", "+4917011110001"]);
    expect(sms.headers.authorization).toBe(`Basic ${Buffer.from('pi-gw:Gw-Pass-A1').toString('base64')}`);
    const otp = /(\d{6})$/.exec(form.get('text') ?? '')?.[1] ?? '';
    const second = await login(daemon, 'anna', otp, first.attributes.State?.[0]);
    expect(second.code).toBe('Access-Accept');
    // A dynamic phone of realm corp: the SMS goes to the mobile our user store reads.
    const tom = smsTokens().find((t) => t.user === 'tom')!;
    const challenge = await login(daemon, 'tom@corp', tom.pin);
    expect(challenge.code, daemon.logs()).toBe('Access-Challenge');
    expect(new URLSearchParams((await gw.next()).body).get('to')).toBe('+491602220002');
    // The correct PINs re-hashed anna's PIN into ours: her argon2 hash is gone from the store.
    const annaArgon2 = (await import('node:child_process')).execFileSync('sqlite3', [path.join(daemon.dir, 'store.sqlite'), "select substr(pin_hash, 1, 7) from tokens where serial = 'PISM00006D6F'"]).toString().trim();
    expect(annaArgon2).toBe('scrypt$');
  }, 60_000);

  it('a second run duplicates nothing, moves no counter back and lifts no lock', async () => {
    const before = await tokens();
    const report = JSON.parse(await daemon.ok(...args(), '--json')) as { tokens: { created: number; updated: number } };
    // Nothing changed in privacyIDEA since: every token is as it was, logins here included.
    expect(report.tokens).toEqual({ created: 0, updated: 0, unchanged: smsTokens().length });
    const after = await tokens();
    expect(after.map((t) => t.serial)).toEqual(before.map((t) => t.serial));
    for (const t of after) {
      const was = before.find((b) => b.serial === t.serial)!;
      expect([t.serial, t.counter >= was.counter, t.failcount >= was.failcount]).toEqual([t.serial, true, true]);
    }
    const anna = after.find((t) => t.serial === 'PISM00006D6F')!;
    expect(anna.counter).toBeGreaterThan(6);
    expect((await adminRows()).map((r) => r.reason.replace(/ \(by .*$/, ''))).toEqual([
      `privacyIDEA migration from ${piDb()}: ${smsTokens().length} new, 0 updated, 0 unchanged`,
      `privacyIDEA migration from ${piDb()}: 0 new, 0 updated, ${smsTokens().length} unchanged`,
    ]);
  }, 60_000);

  it('a description changed in privacyIDEA is updated by the next run, and only that token', async () => {
    execFileSync('sqlite3', [piDb(), "update token set description = 'Diensthandy Jonas (Büro 3.01)' where serial = 'PISM0009965C'"]);
    const report = JSON.parse(await daemon.ok(...args(), '--json')) as { tokens: { created: number; updated: number; unchanged: number } };
    expect(report.tokens).toEqual({ created: 0, updated: 1, unchanged: smsTokens().length - 1 });
    expect(JSON.parse(await daemon.ok('token', 'show', 'PISM0009965C')).description).toBe('Diensthandy Jonas (Büro 3.01)');
    expect((await adminRows()).at(-1)!.reason).toMatch(/: 0 new, 1 updated, \d+ unchanged \(by [^)]+\)$/);
    expect(await adminRows()).toHaveLength(3);
  }, 60_000);
});

/** `text` matched literally in a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
