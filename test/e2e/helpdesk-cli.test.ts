// The helpdesk's five tasks by user name, through the real CLI against a running daemon,
// radclient as the NAS and the test SMS gateway as the peer: find a user (`user show`), see
// why a login failed (its audit reason), unlock (`token reset --user`), send a new SMS
// (`token resend --user`, within the SMS limits) and change the phone (`token set --user`);
// `audit list` filters that match what its USER column shows; every change audited with the
// operator. docs/helpdesk.md shows these same commands.
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { sampleMismatch } from '../helpers/output-sample.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

/** The blocks of docs/helpdesk.md that run commands, in page order. */
const PAGE_BLOCKS = ['helpdesk-show', 'helpdesk-audit', 'helpdesk-reset', 'helpdesk-resend', 'helpdesk-set', 'helpdesk-delete', 'helpdesk-changes'];

/** The refusal docs/helpdesk.md shows when the SMS limit is reached (its seconds are the run's). */
const LIMIT_REFUSAL = 'sms-otp-radiusd: token PISMA1: no SMS could be sent: SMS limit reached: sms.limit.user 2/1h for user alice@corp, free again in 3593 s; no SMS sent';

interface Row {
  action: string;
  user: string;
  realm: string;
  client: string;
  serials: string[];
  reason: string;
  gateway: string;
  phone: string;
  time: string;
}

interface UserJson {
  username: string;
  realm: string;
  tokens: Array<{ serial: string; phone: string; failcount: number; maxfail: number; locked: boolean; active: boolean }>;
  directory: { userstore: string | null };
  lastLogins: Row[];
  recentAudit: Row[];
  openChallenges: { count: number; oldestAgeSeconds: number | null };
}

describe('helpdesk CLI by user name', () => {
  let daemon: TestDaemon;
  let gw: SmsGateway;
  const operator = userInfo().username;
  const login = (user: string, password: string, state?: string) =>
    radclient(daemon, { 'User-Name': `"${user}"`, 'User-Password': `"${password}"`, ...(state ? { State: state } : {}) });
  const audit = async (...args: string[]): Promise<Row[]> => JSON.parse(await daemon.ok('audit', 'list', '--json', ...args)) as Row[];
  const show = async (name: string): Promise<UserJson[]> => JSON.parse(await daemon.ok('user', 'show', name, '--json')) as UserJson[];

  beforeAll(async () => {
    gw = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    await useHttpGateway(daemon, gw.url);
    // alice of realm corp and another alice of realm lab: `--user alice` means both.
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'corp', '--phone', '+4917012345', '--pin', 'pin1234', '--otpkey', RFC4226_KEY, '--serial', 'PISMA1', '--description', 'Diensthandy Alice');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'lab', '--phone', '+4917099999', '--pin', 'lab5678', '--serial', 'PISMLAB');
    await daemon.ok('token', 'set', 'PISMA1', '--maxfail', '3');
    await daemon.ok('setting', 'set', 'sms.limit.user', '2/1h');
    await daemon.start();
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
  });

  it('user show tells why a login failed: the wrong PIN, in the last logins with the audit reason', async () => {
    expect((await login('alice@corp', 'wrong-pin-1')).code).toBe('Access-Reject');
    const [alice, ...others] = await show('alice@corp');
    expect(others).toEqual([]);
    expect(alice).toMatchObject({ username: 'alice', realm: 'corp', directory: { userstore: null } });
    expect(alice!.tokens).toEqual([expect.objectContaining({ serial: 'PISMA1', phone: '*********45', failcount: 1, maxfail: 3, locked: false, active: true })]);
    expect(alice!.lastLogins.at(-1)).toMatchObject({ action: 'reject', user: 'alice', realm: 'corp', client: 'localhost', reason: 'wrong PIN' });
    const text = await daemon.ok('user', 'show', 'alice@corp');
    expect(text).toMatch(/^user alice@corp$/m);
    expect(text).toMatch(/^PISMA1\s+active\s+\*{9}45\s+\(default\)\s+1\/3\s.*\sDiensthandy Alice$/m);
    expect(text).toMatch(/reject\s+localhost\s+.*wrong PIN$/m);
    expect(text).not.toContain('wrong-pin-1');
    // `alice` alone is both users; the other alice's phone is redacted too.
    expect((await show('alice')).map((u) => `${u.username}@${u.realm}`).sort()).toEqual(['alice@corp', 'alice@lab']);
  });

  it('a locked user is unlocked by token reset --user and can log in again', async () => {
    expect((await login('alice@corp', 'wrong-pin-2')).code).toBe('Access-Reject');
    expect((await login('alice@corp', 'wrong-pin-3')).code).toBe('Access-Reject');
    expect((await login('alice@corp', 'pin1234')).code).toBe('Access-Reject');
    const [locked] = await show('alice@corp');
    expect(locked!.tokens[0]).toMatchObject({ locked: true, failcount: 3 });
    expect(locked!.lastLogins.at(-1)).toMatchObject({ action: 'reject', reason: 'fail counter exceeded' });
    expect(await daemon.ok('user', 'show', 'alice@corp')).toMatch(/^PISMA1\s+locked\s/m);

    // `--user alice` means two people: never guessed.
    const ambiguous = await daemon.cli('token', 'reset', '--user', 'alice');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr.trim()).toBe('sms-otp-radiusd: --user alice means 2 users (alice@corp, alice@lab): name one of them');

    expect(await daemon.ok('token', 'reset', '--user', 'alice@corp')).toBe('token PISMA1 reset (failcount was 3)');
    const first = await login('alice@corp', 'pin1234');
    expect(first.code).toBe('Access-Challenge');
    const otp = (await gw.next()).query.get('text')!;
    expect((await login('alice@corp', otp, first.attributes.State![0]!)).code).toBe('Access-Accept');
    const [after] = await show('alice@corp');
    expect(after!.lastLogins.at(-1)).toMatchObject({ action: 'accept', reason: 'challenge answered' });
    expect(after!.recentAudit.filter((r) => r.action === 'admin').at(-1)).toMatchObject({ client: 'cli', serials: ['PISMA1'], reason: `token PISMA1 reset (failcount was 3) (by ${operator})` });
  }, 30_000);

  it('token resend --user sends an SMS through the login path (gateway peer receives it) and respects the SMS limit', async () => {
    // sms.limit.user 2/1h: the login above sent one, the resend is the second, the next is refused.
    const sent = await daemon.cli('token', 'resend', '--user', 'alice@corp');
    expect({ code: sent.code, stdout: sent.stdout }).toEqual({ code: 0, stdout: 'SMS sent for token PISMA1 through gateway gw1 to *********45\n' });
    const sms = await gw.next();
    expect(sms.query.get('to')).toBe('+4917012345');
    const otp = sms.query.get('text')!;
    expect(otp).toMatch(/^\d{6}$/);
    const [alice] = await show('alice@corp');
    expect(alice!.openChallenges.count).toBe(1);
    expect(JSON.stringify(alice)).not.toContain(otp);

    const refused = await daemon.cli('token', 'resend', '--user', 'alice@corp');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().replace(/free again in \d+ s/, 'free again in 3593 s')).toBe(LIMIT_REFUSAL);
    const admin = await audit('--user', 'alice@corp', '--action', 'admin');
    const [resent, notResent] = admin.slice(-2).map((r) => r.reason);
    expect(resent).toBe(`SMS resent for token PISMA1 through gw1 to *********45 (by ${operator})`);
    expect(notResent).toMatch(new RegExp(`^SMS for token PISMA1 not resent: no SMS could be sent: SMS limit reached: .* \\(by ${operator}\\)$`));
  }, 30_000);

  it('token set --user changes the phone of the user with one token; several tokens need --serial', async () => {
    expect(await daemon.ok('token', 'set', '--user', 'alice@lab', '--phone', '+4917055555')).toBe('token PISMLAB updated (phone)');
    expect((await show('alice@lab'))[0]!.tokens[0]!.phone).toBe('*********55');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'lab', '--phone', '+4917066666', '--pin', 'lab5678', '--serial', 'PISMLAB2');
    const two = await daemon.cli('token', 'delete', '--user', 'alice@lab');
    expect(two.code).toBe(2);
    expect(two.stderr.trim()).toBe('sms-otp-radiusd: user alice@lab has 2 tokens (PISMLAB, PISMLAB2): add --serial SERIAL to delete one');
    expect(await daemon.ok('token', 'delete', '--user', 'alice@lab', '--serial', 'PISMLAB2')).toBe('token PISMLAB2 deleted');
    // Reversible changes act on every token of the user.
    expect(await daemon.ok('token', 'disable', '--user', 'alice@lab')).toBe('token PISMLAB disabled');
    expect(await daemon.ok('token', 'enable', '--user', 'alice@lab')).toBe('token PISMLAB enabled');
    const unknown = await daemon.cli('token', 'reset', '--user', 'mallory');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("sms-otp-radiusd: user mallory has no token (see 'user show mallory')");
  }, 30_000);

  it('audit list --user matches what the USER column shows, with --realm, --client and --since, and --json parses', async () => {
    const corp = await audit('--user', 'alice@corp');
    const both = await audit('--user', 'alice');
    expect(corp.length).toBeGreaterThan(5);
    expect(new Set(corp.map((r) => r.realm))).toEqual(new Set(['corp']));
    expect(new Set(both.map((r) => r.realm))).toEqual(new Set(['corp', 'lab']));
    expect(both.filter((r) => r.realm === 'corp')).toEqual(corp);
    const table = await daemon.ok('audit', 'list', '--user', 'alice@corp');
    expect(table.split('\n').slice(1).every((line) => /\salice@corp\s/.test(line))).toBe(true);

    expect(new Set((await audit('--realm', 'lab')).map((r) => r.reason.replace(/ \(by .*\)$/, '')))).toEqual(
      new Set([
        'SMS token PISMLAB enrolled for *********99',
        'SMS token PISMLAB2 enrolled for *********66',
        'token PISMLAB updated (phone)',
        'token PISMLAB2 deleted',
        'token PISMLAB disabled',
        'token PISMLAB enabled',
      ]),
    );
    const cli = await audit('--client', 'cli', '--user', 'alice@corp');
    // token enroll and token set --maxfail (by serial) in the set-up, reset, resend (its challenge and admin rows), refused resend (reject, admin).
    expect(cli.map((r) => r.action)).toEqual(['admin', 'admin', 'admin', 'challenge', 'admin', 'reject', 'admin']);
    expect((await audit('--client', 'localhost', '--user', 'alice@corp')).every((r) => r.client === 'localhost')).toBe(true);
    expect(await audit('--user', 'alice@corp', '--since', new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    expect((await audit('--user', 'alice@corp', '--since', '1h')).length).toBe(corp.length);
    for (const list of [['token', 'list', '--realm', 'corp'], ['user', 'show', 'alice'], ['audit', 'list', '--realm', 'corp']]) {
      expect(JSON.parse(await daemon.ok(...list, '--json')), list.join(' ')).toBeInstanceOf(Array);
    }
    expect((JSON.parse(await daemon.ok('token', 'list', '--user', 'alice@corp', '--json')) as Array<{ serial: string }>).map((t) => t.serial)).toEqual(['PISMA1']);
  }, 60_000);

  it('runs every command docs/helpdesk.md shows, in its order, and prints what the page shows', async () => {
    // The state the page assumes: a wrong PIN of alice@corp, a second token of alice@lab to delete, and room for one more SMS (the CLI reads the settings at its start).
    expect((await login('alice@corp', 'wrong-pin-4')).code).toBe('Access-Reject');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'lab', '--phone', '+4917066666', '--pin', 'lab5678', '--serial', 'PISMLAB2');
    await daemon.ok('setting', 'unset', 'sms.limit.user');
    let commands = 0;
    for (const id of PAGE_BLOCKS) {
      // A `$ ` line is a command; the lines after it, up to the next command, are what it prints.
      const lines = docsExample(id).split('\n').filter((l) => l.trim());
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]!.startsWith('$ sms-otp-radiusd ')) continue;
        const args = lines[i]!.slice('$ sms-otp-radiusd '.length).split(' ');
        let end = i + 1;
        while (end < lines.length && !lines[end]!.startsWith('$ ')) end++;
        const r = await daemon.cli(...args);
        commands++;
        expect(r.code, `sms-otp-radiusd ${args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(sampleMismatch(r.stdout, lines.slice(i + 1, end)), `${id}: sms-otp-radiusd ${args.join(' ')}`).toBeUndefined();
        if (args[1] === 'resend') expect((await gw.next()).query.get('to')).toBe('+4917012345');
      }
    }
    expect(commands).toBeGreaterThanOrEqual(8);
  }, 90_000);
});
