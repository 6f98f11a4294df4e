// The SMS challenge: advance each token's counter (durably, before anything is sent, so an
// OTP is never sent twice), send HOTP(counter) through the token's gateway, then record the
// challenges that went out. A resend ends the old transaction and issues a new one. The
// challenge of a token not yet verified (verify_enrollment) says so in its prompt.
//
// Never outlast the NAS: a gateway that has not answered by the request's sms deadline gets
// the rest of the challenge's validity in the background while the challenge is answered; a
// definite failure before it still rejects. A request that asks again for a challenge being
// sent or still fresh gets that same challenge, not a second SMS, but only where that cannot
// hurt: the same caller (src/core/login/recent-challenges.ts), its SMS not failed, its OTP not
// used or overtaken since, and never with sms.concurrent_challenges (each request its own).
import { hotp } from '../hotp.js';
import { Messages } from '../messages.js';
import type { Challenge, Token } from '../model.js';
import type { WriteStep } from '../ports.js';
import { phoneTags, renderTemplate, timeTags, userTags } from '../templates.js';
import type { LoginContext, LoginPorts } from './context.js';
import { destinationOf } from './phone-of.js';
import { admitSms, minutesToWait, refundSms } from './sms-limits.js';
import type { AuthResult } from './request.js';
import { checkUnlocked, LOCKED, lockedVerdict, usableTokens } from './token-state.js';
import { RecentChallenges } from './recent-challenges.js';
import { auditEntry, decide, deadlineOf, reject, serialsOf, type SmsAttempt, type Verdict } from './verdict.js';

export interface IssueOptions {
  /** The transaction this one replaces (a resend): ended in the same writes, once. */
  readonly replaces?: string;
  /** Triggered without a first factor (triggerchallenge): said in the audit reason. */
  readonly triggered?: boolean;
}

export async function issueChallenge(
  ports: LoginPorts,
  ctx: LoginContext,
  pinMatched: readonly Token[],
  options: IssueOptions = {},
): Promise<AuthResult> {
  const usable = usableTokens(ctx, pinMatched);
  if ('refused' in usable) return decide(ports, ctx, [], { ok: usable.refused });
  const sendable = usable.tokens.filter((token) => {
    if (gatewayOf(ctx, token) !== null) return true;
    ports.events.emit({ type: 'configuration', serial: token.serial, problem: 'no SMS gateway for this token: set sms.identifier or the token gateway' });
    return false;
  });
  const recent = ports.recentChallenges;
  // With concurrent challenges each request gets its own challenge and SMS, as privacyIDEA's:
  // two logins of one user must not share one single-use transaction.
  if (!recent || sendable.length === 0 || ctx.settings['sms.concurrent_challenges']) return sendChallenge(ports, ctx, usable, sendable, options);
  const key = RecentChallenges.keyOf(ctx.user, callerOf(ctx), serialsOf(sendable));
  // A resend asks for a new SMS on purpose; anything else that finds the same challenge fresh
  // is a NAS (or an impatient user) asking again.
  if (options.replaces === undefined) {
    const repeated = await repeatRecent(ports, ctx, recent, key);
    if (repeated) return repeated;
  }
  const work = sendChallenge(ports, ctx, usable, sendable, { ...options, lateFailure: (transactionId) => recent.discard(key, transactionId) });
  recent.track(key, ctx.now, work);
  return work;
}

/** Who asked, for the same-challenge-again rule: the RADIUS client, or the HTTP caller (address and client parameter). */
function callerOf(ctx: LoginContext): string {
  return ctx.request.client.caller ?? ctx.request.client.name;
}

/**
 * The same challenge again, without an SMS, for a request that comes while one for the same
 * user, caller and tokens is being sent or is fresh (younger than sms.resend_interval) and
 * can still be answered: open (not answered, not expired), its SMS not failed, and every
 * token's counter still at the challenge's (no accept and no newer challenge since: an OTP
 * used by a PIN+OTP login, or overtaken, would be refused). Undefined when there is none.
 */
async function repeatRecent(ports: LoginPorts, ctx: LoginContext, recent: RecentChallenges, key: string): Promise<AuthResult | undefined> {
  const pending = recent.pending(key);
  const earlier = pending
    ? await pending.catch(() => undefined)
    : recent.fresh(key, ctx.now, ctx.settings['sms.resend_interval'] * 1000);
  // A send that failed gave the user nothing to wait for: this request tries again.
  if (earlier?.outcome !== 'challenge' || recent.hasFailed(earlier.transactionId)) return undefined;
  const { challenges, tokens } = await ports.store.openWithTokens(earlier.transactionId, ports.clock.now());
  if (challenges.length === 0) return undefined;
  const counters = new Map(tokens.map((t) => [t.serial, t.counter]));
  if (challenges.some((c) => counters.get(c.serial) !== c.counter)) return undefined;
  return decide(ports, ctx, [], {
    ok: { result: earlier, serials: earlier.serials, reason: 'same challenge again (asked again while it was fresh); no SMS sent' },
  });
}

/** One SMS being sent for the challenge: its token, counter, gateway and number, and how it ends. */
interface Attempt {
  readonly token: Token;
  readonly counter: number;
  readonly gateway: string;
  readonly phone: string;
  readonly outcome: Promise<SendOutcome>;
}

async function sendChallenge(
  ports: LoginPorts,
  ctx: LoginContext,
  usable: { tokens: readonly Token[]; unlock: readonly WriteStep[] },
  sendable: readonly Token[],
  options: IssueOptions & { readonly lateFailure?: (transactionId: string) => void },
): Promise<AuthResult> {
  // The lock is checked in the same writes that reserve the counters: a token locked by
  // failures stored since it was read sends no SMS (its counter is not advanced).
  const reserve: WriteStep[] = [...usable.unlock, checkUnlocked(sendable.length > 0 ? sendable : usable.tokens)];
  if (options.replaces !== undefined) reserve.push({ kind: 'consumeTransaction', transactionId: options.replaces, guard: 'transaction_used' });
  for (const token of sendable) reserve.push({ kind: 'advanceCounter', serial: token.serial, at: ctx.now });
  const reserved = await ports.store.commit({ steps: reserve, ...deadlineOf(ctx) });
  if (reserved.outcome === 'transaction_used') {
    return reject(ports, ctx, Messages.invalidTransaction, [], 'transaction already used');
  }
  if (reserved.outcome === LOCKED || (sendable.length > 0 && reserved.counters.size === 0)) {
    return decide(ports, ctx, [], { ok: lockedVerdict(usable.tokens) });
  }

  const expiresAt = ctx.now + ctx.settings['sms.providerTimeout'] * 1000;
  const transactionId = ports.transactionIds.issue(expiresAt);
  const attempts: Attempt[] = [];
  const failures: string[] = [];
  /** How long each SMS held back by a limit has to wait (ms). */
  const limited: number[] = [];
  const tried: SmsAttempt[] = [];
  await Promise.all(
    sendable.map(async (token) => {
      const counter = reserved.counters.get(token.serial);
      if (counter === undefined) return;
      const gateway = gatewayOf(ctx, token) ?? '';
      const sms = await prepareOtp(ports, ctx, token, counter);
      if ('failure' in sms) {
        tried.push({ gateway, phone: sms.phone });
        failures.push(sms.failure);
        if (sms.retryAfterMs !== undefined) limited.push(sms.retryAfterMs);
        return;
      }
      attempts.push({ token, counter, gateway, phone: sms.phone, outcome: sms.send() });
    }),
  );
  // The gateways get until the request's sms deadline; what has not answered by then goes on
  // in the background, and the challenge is answered now (the NAS would give up otherwise).
  const outcomes = await settledBy(attempts.map((a) => a.outcome), ctx.request.smsDeadline, ports.clock);
  const sent: Attempt[] = [];
  const late: Attempt[] = [];
  attempts.forEach((attempt, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) late.push(attempt);
    else if (outcome.failure === undefined) sent.push(attempt);
    else {
      tried.push({ gateway: attempt.gateway, phone: attempt.phone });
      failures.push(outcome.failure);
    }
  });
  const issued = [...sent, ...late].sort((a, b) => a.token.serial.localeCompare(b.token.serial));
  if (issued.length === 0) {
    const reason = failures.length > 0 ? `no SMS could be sent: ${failures.sort().join('; ')}` : 'no SMS could be sent';
    // Every SMS held back by a limit: the user learns when the first may go.
    const message = limited.length > 0 && limited.length === failures.length ? Messages.tooManyCodes(minutesToWait(Math.min(...limited))) : Messages.smsFailed;
    return decide(ports, ctx, [], {
      ok: { result: { outcome: 'reject', message }, serials: serialsOf(usable.tokens), reason, sms: tried },
    });
  }
  const challenges: Array<Omit<Challenge, 'receivedCount'>> = issued.map(({ token, counter }) => ({
    transactionId,
    serial: token.serial,
    counter,
    username: ctx.user.username,
    realm: ctx.user.realm,
    client: ctx.request.client.name,
    createdAt: ctx.now,
    expiresAt,
  }));
  const steps: WriteStep[] = [{ kind: 'insertChallenges', challenges }];
  const serials = issued.map((s) => s.token.serial);
  if (ctx.settings.increase_failcounter_on_challenge) steps.push({ kind: 'recordFailure', serials, at: ctx.now });
  const verifying = issued.filter((s) => !s.token.verified).map((s) => s.token.serial);
  const reasons = [verifying.length > 0 ? `SMS sent; it verifies the enrollment of ${verifying.join(',')}` : 'SMS sent'];
  if (late.length > 0) {
    reasons.push(`the gateway had not answered for ${late.map((a) => a.token.serial).join(',')} by sms_deadline: challenge answered, the send goes on`);
  }
  const result = await decide(ports, ctx, steps, {
    ok: {
      result: { outcome: 'challenge', message: prompt(ctx, issued), transactionId, expiresAt, serials },
      serials,
      reason: reasons.join('; ') + (options.triggered ? ' (triggerchallenge, without a first factor)' : ''),
      sms: issued.map((s) => ({ gateway: s.gateway, phone: s.phone })),
    },
  });
  for (const attempt of late) {
    ctx.defer(() => reportLate(ports, ctx, attempt, expiresAt, () => options.lateFailure?.(transactionId)));
  }
  return result;
}

/**
 * The outcome of each piece of work that settled by `deadline` (undefined for the others); all
 * of them without a deadline. A rejection (a bug, a directory error) fails the whole.
 */
async function settledBy<T>(work: readonly Promise<T>[], deadline: number | undefined, clock: { now(): number }): Promise<Array<T | undefined>> {
  const results: Array<T | undefined> = work.map(() => undefined);
  const all = Promise.all(work.map(async (p, i) => {
    results[i] = await p;
  }));
  if (deadline === undefined) {
    await all;
    return results;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const due = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - clock.now()));
  });
  // What runs on after the deadline is reported by reportLate; its rejection is not lost here.
  all.catch(() => undefined);
  await Promise.race([all, due]);
  clearTimeout(timer);
  return [...results];
}

/**
 * An SMS still under way when the challenge was answered: waited for within the challenge's
 * validity, then its result goes to the audit trail (action sms-late) and the events; a
 * failure is told to `failed` (the challenge is not offered again).
 */
async function reportLate(ports: LoginPorts, ctx: LoginContext, attempt: Attempt, expiresAt: number, failed: () => void): Promise<void> {
  const [outcome] = await settledBy([attempt.outcome.catch((err: unknown) => ({ phone: attempt.phone, failure: (err as Error).message }))], expiresAt, ports.clock);
  const sent = outcome !== undefined && outcome.failure === undefined;
  const reason = sent
    ? 'SMS sent after sms_deadline (the challenge had been answered)'
    : `SMS not sent after sms_deadline: ${outcome?.failure ?? "the gateway did not answer within the challenge's validity"}`;
  const entry = auditEntry(ctx, { action: 'sms-late', at: ports.clock.now(), serials: [attempt.token.serial], reason, sms: [{ gateway: attempt.gateway, phone: attempt.phone }] });
  ports.events.emit({ type: 'sms_late', serial: attempt.token.serial, gateway: attempt.gateway, sent, reason });
  // Not offered again from now on, whether or not the audit row can be written.
  if (!sent) failed();
  await ports.store.commit({ steps: [], audit: { ok: entry } });
}

/** The reply to a resend that comes too early: the same transaction, and how long to wait. */
export function resendTooSoon(ctx: LoginContext, transactionId: string, open: readonly Challenge[], wait: number): Verdict {
  const serials = [...new Set(open.map((c) => c.serial))];
  return {
    result: { outcome: 'challenge', message: Messages.resendTooSoon(wait), transactionId, expiresAt: Math.min(...open.map((c) => c.expiresAt)), serials },
    serials,
    reason: 'resend throttled',
  };
}

export function gatewayOf(ctx: LoginContext, token: Token): string | null {
  return token.gateway ?? ctx.settings['sms.identifier'];
}

/** What sendOtp did: the number it sent (or meant to send) to, and why it did not, if it did not. */
export interface SendOutcome {
  readonly phone: string;
  readonly failure?: string;
  /** Held back by an SMS limit: how long until it may go. */
  readonly retryAfterMs?: number;
}

/**
 * The failure is undefined when the SMS was sent, else why not (for the events and the audit
 * trail, never for the user; a gateway's reason never holds the message or a credential).
 * A token with a dynamic phone is sent to the user store's number of the moment.
 */
export async function sendOtp(ports: LoginPorts, ctx: LoginContext, token: Token, counter: number): Promise<SendOutcome> {
  const sms = await prepareOtp(ports, ctx, token, counter);
  return 'failure' in sms ? sms : sms.send();
}

/** An SMS ready to go: its number known (the send not begun), or why it cannot go. */
type PreparedSms = { readonly phone: string; readonly failure: string; readonly retryAfterMs?: number } | { readonly phone: string; send(): Promise<SendOutcome> };

async function prepareOtp(ports: LoginPorts, ctx: LoginContext, token: Token, counter: number): Promise<PreparedSms> {
  const gateway = gatewayOf(ctx, token);
  const destination = await destinationOf(ports.directory, ctx.settings['sms.default_country_code'], token);
  if ('problem' in destination) {
    ports.events.emit({ type: 'sms_failed', serial: token.serial, gateway, reason: destination.problem });
    return { phone: destination.phone, failure: destination.problem };
  }
  const admission = await admitSms(ports, ctx, destination.phone);
  if (!admission.admitted) {
    return { phone: destination.phone, failure: admission.reason, ...(admission.refused === 'limit' ? { retryAfterMs: admission.retryAfterMs } : {}) };
  }
  const text = renderTemplate(ctx.settings.smstext, {
    ...userTags(ctx.user),
    ...timeTags(new Date(ctx.now)),
    otp: hotp(token, counter),
    serial: token.serial,
    tokentype: token.tokentype,
  });
  return {
    phone: destination.phone,
    async send() {
      const started = ports.clock.now();
      try {
        await ports.sms.send(gateway ?? '', destination.phone, text);
        ports.events.emit({ type: 'sms_sent', serial: token.serial, gateway: gateway ?? '', durationMs: ports.clock.now() - started });
        return { phone: destination.phone };
      } catch (err) {
        const refunded = await refundSms(ports, admission, err);
        const reason = (err as Error).message + (refunded ? ' (not counted against the SMS limits: it reached no gateway)' : '');
        ports.events.emit({ type: 'sms_failed', serial: token.serial, gateway, reason, durationMs: ports.clock.now() - started });
        return { phone: destination.phone, failure: reason };
      }
    },
  };
}

function prompt(ctx: LoginContext, sent: ReadonlyArray<{ token: Token; phone: string }>): string {
  const template = ctx.request.client.challengePrompt ?? ctx.settings.sms_challenge_text;
  const prompts = sent.map(({ token, phone }) =>
    renderTemplate(token.verified ? template : ctx.settings.verify_enrollment_text, {
      ...userTags(ctx.user),
      serial: token.serial,
      ...phoneTags(phone),
    }),
  );
  return [...new Set(prompts)].join(', ');
}
