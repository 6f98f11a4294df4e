// What the CLI prints for an operator and a script, through the real process: --json on every
// list and show (no key, PIN hash or secret), ISO 8601 UTC times, a token locked by real
// failed logins shown as locked until `token reset`, `token set --maxfail` and --description,
// and one stable confirmation line after every change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const GATEWAY_SECRET = 'gw-secret-4711';
const SMTP_SECRET = 'smtp-secret-0815';

describe('CLI output for operators and scripts', () => {
  let daemon: TestDaemon;
  const json = async (...args: string[]) => JSON.parse(await daemon.ok(...args, '--json'));
  /** The cells of a token's row in `token list`, by column name (columns start where their headers do). */
  const tokenRow = async (serial: string) => {
    const [header = '', ...rows] = (await daemon.ok('token', 'list')).split('\n');
    const row = rows.find((r) => r.startsWith(`${serial} `)) ?? '';
    const starts = [...header.matchAll(/\S+/g)].map((m) => [m[0], m.index] as const);
    return Object.fromEntries(starts.map(([name, start], i) => [name, row.slice(start, starts[i + 1]?.[1]).trim()]));
  };

  beforeAll(async () => {
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('confirms every change in one line on stdout; enroll prints only the serial', async () => {
    const steps: Array<[string[], string]> = [
      [['gateway', 'set', 'web', '--module', 'http', '--option', 'URL=http://127.0.0.1:9/send', '--option', `PASSWORD=${GATEWAY_SECRET}`], 'gateway web saved (module http)'],
      [['gateway', 'set', 'spare', '--module', 'http', '--option', 'URL=http://127.0.0.1:9/'], 'gateway spare saved (module http)'],
      [['gateway', 'delete', 'spare'], 'gateway spare deleted'],
      [['setting', 'set', 'sms.identifier', 'web'], 'setting sms.identifier = web (was unset)'],
      [['setting', 'set', 'sms.resend_interval', '60'], 'setting sms.resend_interval = 60 (was 30)'],
      [['setting', 'unset', 'sms.resend_interval'], 'setting sms.resend_interval unset (now 30; was 60)'],
      [['smtpserver', 'set', 'relay', '--server', '127.0.0.1', '--port', '2525', '--username', 'u1', '--password', SMTP_SECRET], 'smtpserver relay saved (server 127.0.0.1:2525)'],
      [['smtpserver', 'set', 'old', '--server', 'mail.example.com'], 'smtpserver old saved (server mail.example.com:25)'],
      [['smtpserver', 'delete', 'old'], 'smtpserver old deleted'],
      [['token', 'enroll', '--user', 'alice', '--phone', '+4917012', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'ALICE', '--description', 'Diensthandy Alice'], 'ALICE'],
      [['token', 'enroll', '--user', 'bob', '--phone', '+4917013', '--pin', 'pin5678', '--serial', 'BOB'], 'BOB'],
      [['token', 'set', 'BOB', '--phone', '+4917014', '--maxfail', '7', '--description', 'spare'], 'token BOB updated (phone, maxfail, description)'],
      [['token', 'delete', 'BOB'], 'token BOB deleted'],
    ];
    for (const [args, line] of steps) {
      const r = await daemon.cli(...args);
      expect({ code: r.code, stdout: r.stdout }, `${args.join(' ')}: ${r.stderr}`).toEqual({ code: 0, stdout: `${line}\n` });
    }
  }, 60_000);

  it('prints lists as one JSON array and shows as one JSON object, with stable fields, ISO times and no secret', async () => {
    const [tokens, shownToken, gateways, shownGateway, servers, shownServer, settings, oneSetting, plainShow, gatewayTable, serverTable] = await Promise.all([
      json('token', 'list'),
      json('token', 'show', 'ALICE'),
      json('gateway', 'list'),
      json('gateway', 'show', 'web'),
      json('smtpserver', 'list'),
      json('smtpserver', 'show', 'relay'),
      json('setting', 'list'),
      json('setting', 'get', 'sms.identifier'),
      daemon.ok('token', 'show', 'ALICE'),
      daemon.ok('gateway', 'list'),
      daemon.ok('smtpserver', 'list'),
    ]);
    expect(tokens).toEqual([shownToken]);
    expect(Object.keys(shownToken).sort()).toEqual([
      'active', 'countWindow', 'counter', 'createdAt', 'description', 'dynamicPhone', 'failcount', 'gateway', 'hashlib', 'lastAuthAt', 'lastFailAt',
      'locked', 'maxfail', 'otplen', 'phone', 'realm', 'serial', 'tokentype', 'unlocksAt', 'updatedAt', 'username', 'verified',
    ]);
    expect(shownToken).toMatchObject({
      serial: 'ALICE', username: 'alice', realm: '', description: 'Diensthandy Alice', phone: '+4917012', gateway: null, active: true, verified: true, locked: false,
      failcount: 0, maxfail: 10, lastAuthAt: null, lastFailAt: null, unlocksAt: null,
    });
    expect(shownToken.createdAt).toMatch(ISO);
    expect(shownToken.updatedAt).toMatch(ISO);
    expect(Math.abs(Date.parse(shownToken.createdAt) - Date.now())).toBeLessThan(120_000);

    expect(gateways).toEqual([shownGateway]);
    expect(shownGateway).toMatchObject({ identifier: 'web', module: 'http', default: true, options: { PASSWORD: '__CENSORED__' }, headers: {} });
    expect(Object.keys(shownGateway).sort()).toEqual(['createdAt', 'default', 'description', 'headers', 'health', 'identifier', 'module', 'options', 'updatedAt']);
    expect(shownGateway.updatedAt).toMatch(ISO);

    expect(servers).toEqual([shownServer]);
    expect(shownServer).toMatchObject({ identifier: 'relay', server: '127.0.0.1', port: 2525, username: 'u1', password: '__CENSORED__' });
    expect(shownServer.createdAt).toMatch(ISO);
    expect(shownServer.updatedAt).toMatch(ISO);

    expect(settings.find((s: { key: string }) => s.key === 'sms.resend_interval')).toMatchObject({ value: 30, source: 'default' });
    expect(settings.find((s: { key: string }) => s.key === 'sms.concurrent_challenges')).toMatchObject({ value: false, source: 'default' });
    expect(oneSetting).toEqual({ key: 'sms.identifier', value: 'web', source: 'store', meaning: expect.any(String) });

    // Without --json, show still prints the same JSON; tables carry the times in ISO too.
    expect(JSON.parse(plainShow)).toEqual(shownToken);
    expect(gatewayTable.split('\n')[0]).toMatch(/^ID\s+MODULE\s+DEFAULT\s+UPDATED\s+HEALTH\s+DESCRIPTION$/);
    expect(gatewayTable.split('\n')[1]).toContain(shownGateway.updatedAt);
    expect(serverTable.split('\n')[1]).toContain(shownServer.updatedAt);

    const everything = JSON.stringify([tokens, gateways, servers, gatewayTable, serverTable]);
    for (const secret of [GATEWAY_SECRET, SMTP_SECRET, RFC4226_KEY, 'pin1234', 'otpKey', 'pinHash', '$argon', '$scrypt']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('--maxfail takes 1 to 1000 and nothing else (usage error, nothing changed)', async () => {
    const bad = ['0', '1001', '-1', '2.5', 'ten', ''];
    const answers = await Promise.all(bad.map((n) => daemon.cli('token', 'set', 'ALICE', '--maxfail', n)));
    expect(answers).toEqual(bad.map((n) => ({
      code: 2, stdout: '', stderr: `sms-otp-radiusd: --maxfail must be a whole number from 1 to 1000, not '${n}'\n`,
    })));
    expect((await json('token', 'show', 'ALICE')).maxfail).toBe(10);
    expect(await daemon.ok('token', 'set', 'ALICE', '--maxfail', '2')).toBe('token ALICE updated (maxfail)');
    const [shown, row] = await Promise.all([json('token', 'show', 'ALICE'), tokenRow('ALICE')]);
    expect(shown.maxfail).toBe(2);
    expect(row.FAILCOUNT).toBe('0/2');
  }, 30_000);

  it('--description: the last column of token list, on one line; empty clears it; over 1000 characters refused', async () => {
    expect((await tokenRow('ALICE')).DESCRIPTION).toBe('Diensthandy Alice');
    expect(await daemon.ok('token', 'set', 'ALICE', '--description', 'first line\nsecond line')).toBe('token ALICE updated (description)');
    expect((await json('token', 'show', 'ALICE')).description).toBe('first line\nsecond line');
    const [header, ...rows] = (await daemon.ok('token', 'list')).split('\n');
    expect(header).toMatch(/\sLAST-AUTH\s+DESCRIPTION$/);
    expect(rows.find((r) => r.startsWith('ALICE '))).toMatch(/ first line second line$/);
    const tooLong = await daemon.cli('token', 'set', 'ALICE', '--description', 'd'.repeat(1001));
    expect([tooLong.code, tooLong.stderr]).toEqual([2, 'sms-otp-radiusd: --description is 1001 characters long; at most 1000 are allowed\n']);
    expect(await daemon.ok('token', 'set', 'ALICE', '--description', '')).toBe('token ALICE updated (description)');
    expect((await json('token', 'show', 'ALICE')).description).toBe('');
  });

  it('a token locked by failed logins is shown as locked until token reset; a disabled one as disabled', async () => {
    await daemon.start();
    const login = (password: string) => radclient(daemon, { 'User-Name': '"alice"', 'User-Password': `"${password}"` });
    for (let i = 0; i < 2; i++) expect((await login('wrong-pin')).code).toBe('Access-Reject');
    // The daemon agrees: even the right PIN is refused now.
    const refused = await login('pin1234');
    expect(refused.code).toBe('Access-Reject');
    expect(refused.attributes['Reply-Message']).toEqual(['Failcounter exceeded']);
    await daemon.stop();

    const [locked, lockedRow, listed] = await Promise.all([json('token', 'show', 'ALICE'), tokenRow('ALICE'), json('token', 'list')]);
    expect(locked).toMatchObject({ locked: true, failcount: 2, maxfail: 2, active: true, unlocksAt: null });
    expect(locked.lastFailAt).toMatch(ISO);
    expect(lockedRow).toMatchObject({ STATE: 'locked', FAILCOUNT: '2/2' });
    expect(listed).toEqual([locked]);

    // With failcounter_clear_timeout the lock lifts by itself, and show says when.
    await daemon.ok('setting', 'set', 'failcounter_clear_timeout', '5');
    const clearing = await json('token', 'show', 'ALICE');
    expect(clearing.locked).toBe(true);
    expect(Date.parse(clearing.unlocksAt) - Date.parse(clearing.lastFailAt)).toBe(5 * 60_000);
    await daemon.ok('setting', 'unset', 'failcounter_clear_timeout');

    // (disable, enable and reset confirm themselves here.)
    expect(await daemon.ok('token', 'disable', 'ALICE')).toBe('token ALICE disabled');
    expect((await tokenRow('ALICE')).STATE).toBe('disabled,locked');
    expect(await daemon.ok('token', 'enable', 'ALICE')).toBe('token ALICE enabled');

    expect(await daemon.ok('token', 'reset', 'ALICE')).toBe('token ALICE reset (failcount was 2)');
    const [unlocked, unlockedRow] = await Promise.all([json('token', 'show', 'ALICE'), tokenRow('ALICE')]);
    expect(unlocked).toMatchObject({ locked: false, failcount: 0, lastFailAt: null });
    expect(unlockedRow).toMatchObject({ STATE: 'active', FAILCOUNT: '0/2', 'LAST-AUTH': '-' });
    await daemon.ok('token', 'disable', 'ALICE');
    expect((await tokenRow('ALICE')).STATE).toBe('disabled');
  }, 60_000);
});
