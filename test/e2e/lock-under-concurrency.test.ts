// The fail counter under concurrent guesses (issue 18), as an attacker tries it: a token with
// maxfail 10, then 100 answers at the same instant over real sockets (the HTTP front through
// fetch, the RADIUS front through raw UDP), on SQLite and PostgreSQL:
// - 99 wrong OTPs and the right one for an open challenge;
// - 100 wrong PINs and the right one.
// At most 10 failures may be counted, the right answer may win only if the store had not
// locked the token yet (read from the order of the audit rows), and once locked a right PIN,
// a right PIN+OTP and a right answer are all refused "Failcounter exceeded", with no SMS.
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/store/connection.js';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { hotp } from '../helpers/hotp.js';
import { createTestDatabase } from '../helpers/pg.js';
import { RadiusPeer } from '../helpers/radius-peer.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { useHttpGateway } from '../helpers/sms-daemon.js';

const MAXFAIL = 10;
const WAVE = 100;
const LOCKED = 'Failcounter exceeded';
/** Audit reasons of a reject whose failure the store counted. */
const COUNTED = ['wrong PIN', 'response did not match'];

interface Reply {
  readonly kind: 'accept' | 'challenge' | 'reject' | 'none';
  readonly message: string;
  readonly state?: string;
}

interface Front {
  readonly name: 'http' | 'radius';
  login(user: string, password: string, state?: string): Promise<Reply>;
}

interface AuditRow {
  id: number;
  action: string;
  reason: string;
}

/** Six digits that are no OTP of the test key anywhere near the counters used here. */
function wrongOtps(n: number): string[] {
  const real = new Set(Array.from({ length: 64 }, (_v, c) => hotp(RFC4226_KEY, c)));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const candidate = String((i * 7919 + 123457) % 1_000_000).padStart(6, '0');
    if (!real.has(candidate)) out.push(candidate);
  }
  return out;
}

describe.each(['sqlite', 'pg'] as const)('the fail counter under %d concurrent answers (%s store)'.replace('%d', String(WAVE)), (kind) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let daemon: TestDaemon;
  let gw: SmsGateway;
  let peer: RadiusPeer;
  let knex: Knex;
  let base: string;

  const fronts: Record<Front['name'], Front> = {
    http: {
      name: 'http',
      async login(user, password, state) {
        const body = new URLSearchParams({ user, pass: password, ...(state === undefined ? {} : { transaction_id: state }) });
        const res = await fetch(`${base}/validate/check`, { method: 'POST', body, signal: AbortSignal.timeout(30_000) });
        const json = (await res.json()) as { result?: { authentication?: string }; detail?: { message?: string; transaction_id?: string } | null };
        const auth = json.result?.authentication;
        const kindOf = auth === 'ACCEPT' ? 'accept' : auth === 'CHALLENGE' ? 'challenge' : auth === 'REJECT' ? 'reject' : 'none';
        const tid = json.detail?.transaction_id;
        return { kind: kindOf, message: json.detail?.message ?? `HTTP ${res.status}`, ...(tid ? { state: tid } : {}) };
      },
    },
    radius: {
      name: 'radius',
      async login(user, password, state) {
        const a = await peer.request({ user, password, ...(state === undefined ? {} : { state: Buffer.from(state, 'latin1') }) }, { timeoutMs: 30_000 });
        const kindOf = a.code === 2 ? 'accept' : a.code === 11 ? 'challenge' : a.code === 3 ? 'reject' : 'none';
        return { kind: kindOf, message: a.message ?? '', ...(a.state ? { state: a.state.toString('latin1') } : {}) };
      },
    },
  };

  const show = async (serial: string) => JSON.parse(await daemon.ok('token', 'show', serial)) as { counter: number; failcount: number; locked: boolean };
  /** The rows of the user's logins (their token's enrollment from the CLI wrote an admin row too). */
  const auditOf = async (user: string): Promise<AuditRow[]> =>
    (await knex('audit').where({ username: user }).whereNot({ action: 'admin' }).orderBy('id').select('id', 'action', 'reason')) as AuditRow[];
  const smsTo = (phone: string) => gw.received.filter((m) => m.query.get('to') === phone).length;
  const summary = (replies: Reply[]) => {
    const counts = new Map<string, number>();
    for (const r of replies) counts.set(`${r.kind} "${r.message}"`, (counts.get(`${r.kind} "${r.message}"`) ?? 0) + 1);
    return [...counts].map(([k, n]) => `${n} × ${k}`).join('\n');
  };

  /** Wrong PINs one at a time until the token is locked; the failure count then is maxfail, exactly. */
  async function lockWithWrongPins(front: Front, user: string, serial: string): Promise<void> {
    for (let i = 0; i < MAXFAIL && !(await show(serial)).locked; i++) await front.login(user, 'no-such-pin');
    expect(await show(serial)).toMatchObject({ failcount: MAXFAIL, locked: true });
  }

  /** A locked token refuses the right PIN, the right PIN+OTP (and `open`'s right answer), sends nothing, counts nothing. */
  async function expectRefusesEverything(front: Front, user: string, pin: string, serial: string, phone: string, open?: { state: string; otp: string }) {
    const sent = smsTo(phone);
    const { counter } = await show(serial);
    if (open) expect(await front.login(user, open.otp, open.state)).toMatchObject({ kind: 'reject', message: LOCKED });
    expect(await front.login(user, pin)).toMatchObject({ kind: 'reject', message: LOCKED });
    expect(await front.login(user, `${pin}${hotp(RFC4226_KEY, counter)}`)).toMatchObject({ kind: 'reject', message: LOCKED });
    expect(await front.login(user, 'another-wrong-pin')).toMatchObject({ kind: 'reject', message: LOCKED });
    expect(await show(serial)).toMatchObject({ failcount: MAXFAIL, locked: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smsTo(phone), 'no SMS for a locked token').toBe(sent);
  }

  beforeAll(async () => {
    gw = await startSmsGateway();
    if (kind === 'pg') db = await createTestDatabase();
    const port = await freeTcpPort();
    daemon = await createDaemon({
      ...(db ? { database: { client: 'pg' as const, url: db.url } } : {}),
      radius: { reject_delay: '0' },
      http: { listen: `[ { host: "127.0.0.1", port: ${port} } ]` },
    });
    base = `http://127.0.0.1:${port}`;
    await useHttpGateway(daemon, gw.url);
    await daemon.ok('setting', 'set', 'token.default_maxfail', String(MAXFAIL));
    for (const [i, user] of ['answers-http', 'answers-radius', 'pins-http', 'pins-radius'].entries()) {
      await daemon.ok('token', 'enroll', '--user', user, '--phone', `+491700000${i}`, '--pin', `pin-${user}`, '--otpkey', RFC4226_KEY, '--serial', `LOCK${i}`);
    }
    await daemon.start();
    peer = await RadiusPeer.open({ port: daemon.port, secret: daemon.secret });
    knex = connect(db ? { client: 'pg', url: db.url } : { client: 'sqlite', filename: path.join(daemon.dir, 'store.sqlite') });
  });
  afterAll(async () => {
    await knex?.destroy();
    peer?.close();
    await daemon?.stop();
    await gw?.close();
    await db?.drop();
  });

  it.each([['http', 0], ['radius', 1]] as const)(
    `%s: ${WAVE - 1} wrong OTPs and the right one for a challenge at once: at most ${MAXFAIL} failures, the right one wins only before the lock`,
    async (frontName, i) => {
      const front = fronts[frontName];
      const user = `answers-${frontName}`;
      const [serial, phone, pin] = [`LOCK${i}`, `+491700000${i}`, `pin-${user}`];
      const challenge = await front.login(user, pin);
      expect(challenge).toMatchObject({ kind: 'challenge' });
      const otp = (await gw.next()).query.get('text')!;
      const answers = wrongOtps(WAVE);
      answers[WAVE / 2] = otp;

      const replies = await Promise.all(answers.map((a) => front.login(user, a, challenge.state)));
      const said = summary(replies);
      expect(replies.filter((r) => r.kind === 'none'), `every answer is answered:\n${said}`).toEqual([]);
      const accepts = replies.filter((r) => r.kind === 'accept').length;
      expect(accepts, said).toBeLessThanOrEqual(1);

      const rows = (await auditOf(user)).filter((r) => r.action !== 'challenge');
      expect(rows, said).toHaveLength(WAVE);
      const acceptAt = rows.findIndex((r) => r.action === 'accept');
      expect(acceptAt >= 0, said).toBe(accepts === 1);
      const counted = (from: number, to: number) => rows.slice(from, to).filter((r) => r.action === 'reject' && COUNTED.includes(r.reason)).length;
      if (acceptAt >= 0) {
        expect(counted(0, acceptAt), `failures stored before the accept:\n${said}`).toBeLessThan(MAXFAIL);
      }
      const since = counted(acceptAt + 1, rows.length);
      expect(since, said).toBeLessThanOrEqual(MAXFAIL);
      // Each counted failure is one step of the counter, none past maxfail.
      expect((await show(serial)).failcount, said).toBe(since);

      await lockWithWrongPins(front, user, serial);
      await expectRefusesEverything(front, user, pin, serial, phone, acceptAt < 0 ? { state: challenge.state!, otp } : undefined);
    },
    120_000,
  );

  it.each([['http', 2], ['radius', 3]] as const)(
    `%s: ${WAVE} wrong PINs and the right one at once: the fail counter never passes ${MAXFAIL}; an SMS only before the lock`,
    async (frontName, i) => {
      const front = fronts[frontName];
      const user = `pins-${frontName}`;
      const [serial, phone, pin] = [`LOCK${i}`, `+491700000${i}`, `pin-${user}`];
      const passwords = Array.from({ length: WAVE + 1 }, (_v, n) => `wrong-pin-${n}`);
      passwords[WAVE / 2] = pin;

      const replies = await Promise.all(passwords.map((p) => front.login(user, p)));
      const said = summary(replies);
      expect(replies.filter((r) => r.kind === 'none'), `every request is answered:\n${said}`).toEqual([]);
      expect(replies.filter((r) => r.kind === 'accept'), said).toEqual([]);

      const rows = await auditOf(user);
      expect(rows, said).toHaveLength(WAVE + 1);
      const countedAt = rows.flatMap((r, n) => (r.action === 'reject' && COUNTED.includes(r.reason) ? [n] : []));
      expect(countedAt, said).toHaveLength(MAXFAIL);
      expect(await show(serial)).toMatchObject({ failcount: MAXFAIL, locked: true });
      // The right PIN got a challenge (and its SMS) only if it was stored before the lock.
      const challengeAt = rows.findIndex((r) => r.action === 'challenge');
      const challenged = replies.filter((r) => r.kind === 'challenge');
      expect(challenged.length, said).toBe(challengeAt >= 0 ? 1 : 0);
      if (challengeAt >= 0) expect(challengeAt, said).toBeLessThan(countedAt[MAXFAIL - 1]!);
      else expect(replies[WAVE / 2], said).toMatchObject({ kind: 'reject', message: LOCKED });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(smsTo(phone), said).toBe(challenged.length);

      const open = challengeAt >= 0 ? { state: challenged[0]!.state!, otp: (await gw.next()).query.get('text')! } : undefined;
      await expectRefusesEverything(front, user, pin, serial, phone, open);
    },
    120_000,
  );
});
