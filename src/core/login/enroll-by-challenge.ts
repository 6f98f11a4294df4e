// Enrollment by challenge (privacyIDEA's enroll_via_multichallenge, for SMS). A user of a user
// store who has no token and passes the first factor is not let in: the login becomes the
// enrollment of an SMS token.
// - The directory has a mobile number: the SMS goes there at once.
// - It has none: the user is asked for a number (enroll_via_multichallenge_text), answers it
//   with the State, and the SMS goes to that number under a new State.
// - The OTP answers the last challenge: the token is created, already verified, and the
//   login is accepted.
// Until the OTP proved the phone there is no token, only a pending enrollment tied to the
// transaction (key, counter, number, user) that expires and is purged with it: an abandoned
// enrollment leaves nothing behind but its audit lines.
//
// Ours, not privacyIDEA's: a typed number must be a phone number (privacyIDEA stores any
// text, a pumping risk); otppin none takes the directory's number only (nothing proves who
// types a number there); a wrong answer counts, and token.default_maxfail of them end the
// enrollment; with otppin tokenpin nothing happens here (a user without a token has no PIN).
import { newSerial, randomOtpKey } from '../random.js';
import { constantTimeEqual, hotp, type HotpKey } from '../hotp.js';
import { Messages } from '../messages.js';
import type { HashLib, OtpLength, PendingEnrollment } from '../model.js';
import type { UserRef, WriteStep } from '../ports.js';
import { checkRecipient } from '../recipient.js';
import { normalisePhoneNumber } from '../phone-number.js';
import { NO_PIN_HASH } from '../token-pin.js';
import { phoneTags, renderTemplate, timeTags, userTags } from '../templates.js';
import type { LoginContext, LoginPorts } from './context.js';
import { firstKnown } from './no-token.js';
import { contextFor } from './policy-context.js';
import { admitSms, minutesToWait, refundSms } from './sms-limits.js';
import { isAllowedNumber } from '../limits/calling-code.js';
import type { AuthResult } from './request.js';
import { deadlineOf, decide, reject, type Verdict } from './verdict.js';

const HASHLIB: HashLib = 'sha1';
/** As privacyIDEA's challenge: the counter is advanced before the first SMS, which carries HOTP(1). */
const FIRST_COUNTER = 1;

/** The pending enrollment before it is stored: what a new round of it keeps. */
type Draft = Pick<PendingEnrollment, 'phone' | 'phoneSource' | 'otpKey' | 'counter'>;

/**
 * The phone of the token an enrollment creates: a number from the directory stays there
 * (a dynamic-phone token reads it at every send, so a changed mobile needs no CLI step); a
 * typed number is the token's own.
 */
function tokenPhoneOf(pending: PendingEnrollment): { phone: string; dynamicPhone: boolean } {
  return pending.phoneSource === 'directory' ? { phone: '', dynamicPhone: true } : { phone: pending.phone, dynamicPhone: false };
}

/**
 * For a login name without a token (no State): the enrollment's first round, or undefined
 * when enrollment by challenge does not apply (off, otppin tokenpin, nobody the directory
 * knows) and the login goes on as before. When it applies it takes precedence over passthru
 * and passOnNoToken: a directory user without a token is enrolled, never let in without one.
 */
export async function startEnrollment(
  ports: LoginPorts,
  base: Omit<LoginContext, 'user'>,
  candidates: readonly UserRef[],
): Promise<AuthResult | undefined> {
  const off = (s: typeof base.settings) => s.enroll_via_multichallenge !== 'sms' || s.otppin === 'tokenpin';
  // Without authentication policies the site settings decide before the directory is asked.
  if (off(base.settings) && (ports.policies?.policies().isEmpty('authentication') ?? true)) return undefined;
  const user = await firstKnown(ports, candidates);
  if (!user) return undefined;
  const ctx = contextFor(ports, base, user);
  const { settings } = ctx;
  if (off(settings)) return undefined;
  if (settings.otppin === 'userstore' && !(await ports.directory.checkPassword(user.username, user.realm, base.request.password))) {
    // The same answer as a token owner's wrong password: it does not tell who has a token.
    return reject(ports, ctx, Messages.wrongPin, [], 'enrollment by challenge: wrong directory password');
  }
  const otpKey = randomOtpKey(HASHLIB);
  if (user.mobile) {
    // As every send to a directory number: normalised to E.164, or never sent to.
    const normalised = normalisePhoneNumber(user.mobile, settings['sms.default_country_code']);
    if ('problem' in normalised) {
      return reject(ports, ctx, Messages.smsFailed, [], `enrollment by challenge: the directory's mobile number ${normalised.problem}`);
    }
    return sendOtp(ports, ctx, { phone: normalised.e164, phoneSource: 'directory', otpKey, counter: FIRST_COUNTER });
  }
  if (settings.otppin === 'none') {
    // Nothing proved who is typing: anyone knowing a user name could enroll their own phone.
    return reject(ports, ctx, Messages.noToken, [], 'enrollment by challenge: no mobile number in the directory, and otppin none takes no typed number');
  }
  const expiresAt = ctx.now + settings['sms.providerTimeout'] * 1000;
  const transactionId = ports.transactionIds.issue(expiresAt);
  return decide(ports, ctx, [pendingStep(ctx, transactionId, expiresAt, { phone: '', phoneSource: 'typed', otpKey, counter: 0 })], {
    ok: { result: { outcome: 'challenge', message: numberPrompt(ctx), transactionId, expiresAt, serials: [] }, serials: [], reason: 'enrollment by challenge: asked for a phone number' },
  });
}

/**
 * A login with the State of a pending enrollment: the phone number, the OTP, or (`resend`)
 * a request for the SMS again. A State issued to another user or client is rejected.
 */
export async function answerEnrollment(
  ports: LoginPorts,
  ctx0: LoginContext,
  pending: PendingEnrollment,
  candidates: readonly UserRef[],
  resend: boolean,
): Promise<AuthResult> {
  const mine = candidates.some((c) => c.username === pending.username && c.realm === pending.realm);
  if (!mine || pending.client !== ctx0.request.client.name) {
    return reject(ports, ctx0, Messages.invalidTransaction, [], 'transaction belongs to another user or client');
  }
  const user = ctx0.user.username === pending.username && ctx0.user.realm === pending.realm ? ctx0.user : { username: pending.username, realm: pending.realm };
  const awaitingNumber = pending.phone === '';
  // The prompt and the SMS text may name the user: a State-bearing request has only the name.
  const ctx = awaitingNumber || resend ? await withNames(ports, { ...ctx0, user }) : { ...ctx0, user };
  if (resend) {
    if (awaitingNumber) return decide(ports, ctx, [], { ok: sameChallenge(pending, numberPrompt(ctx), 'enrollment by challenge: asked for the phone number again') });
    const wait = Math.ceil((pending.createdAt + ctx.settings['sms.resend_interval'] * 1000 - ctx.now) / 1000);
    if (wait > 0) return decide(ports, ctx, [], { ok: sameChallenge(pending, Messages.resendTooSoon(wait), 'enrollment by challenge: resend throttled') });
    return sendOtp(ports, ctx, { ...pending, counter: pending.counter + 1 }, pending.transactionId);
  }
  return awaitingNumber ? takeNumber(ports, ctx, pending) : checkOtp(ports, ctx, pending);
}

async function takeNumber(ports: LoginPorts, ctx: LoginContext, pending: PendingEnrollment): Promise<AuthResult> {
  const checked = checkRecipient(ctx.request.password, 'phone');
  if ('problem' in checked) {
    const verdict = sameChallenge(pending, `${Messages.notAPhoneNumber} ${numberPrompt(ctx)}`, 'enrollment by challenge: the answer is not a phone number');
    return wrongAnswer(ports, ctx, pending, verdict);
  }
  if (!isAllowedNumber(checked.value, ctx.settings['sms.allowed_prefixes'])) {
    // Asked again, like a non-number: the user may have another phone (sendOtp would refuse it anyway).
    const verdict = sameChallenge(pending, `${Messages.numberNotAllowed} ${numberPrompt(ctx)}`, 'enrollment by challenge: the typed number is outside sms.allowed_prefixes');
    return wrongAnswer(ports, ctx, pending, verdict);
  }
  return sendOtp(ports, ctx, { ...pending, phone: checked.value, phoneSource: 'typed', counter: FIRST_COUNTER }, pending.transactionId);
}

async function checkOtp(ports: LoginPorts, ctx: LoginContext, pending: PendingEnrollment): Promise<AuthResult> {
  if (!constantTimeEqual(ctx.request.password, hotp(keyOf(ctx, pending), pending.counter))) {
    const verdict: Verdict = { result: { outcome: 'reject', message: Messages.responseMismatch(1) }, serials: [], reason: 'enrollment by challenge: OTP wrong' };
    return wrongAnswer(ports, ctx, pending, verdict);
  }
  const serial = newSerial();
  const { settings } = ctx;
  const steps: WriteStep[] = [
    // Single use: of two identical answers only the first creates the token.
    { kind: 'consumePendingEnrollment', transactionId: pending.transactionId, guard: 'transaction_used' },
    {
      kind: 'createToken',
      token: {
        serial,
        username: pending.username,
        realm: pending.realm,
        ...tokenPhoneOf(pending),
        otpKey: pending.otpKey,
        hashlib: HASHLIB,
        otplen: otplenOf(ctx),
        counter: pending.counter + 1,
        countWindow: settings['token.default_count_window'],
        maxfail: settings['token.default_maxfail'],
        // The token's PIN is not the first factor (otppin userstore or none): it has none.
        pinHash: NO_PIN_HASH,
        at: ctx.now,
      },
    },
  ];
  const result = await decide(ports, ctx, steps, {
    ok: {
      result: { outcome: 'accept', message: Messages.accepted, serial, username: pending.username, realm: pending.realm },
      serials: [serial],
      reason: `enrollment by challenge: the OTP proved the ${sourceName(pending)}; token enrolled`,
    },
    transaction_used: { result: { outcome: 'reject', message: Messages.invalidTransaction }, serials: [], reason: 'transaction already used' },
  });
  if (result.outcome === 'accept') {
    ports.events.emit({ type: 'token_enrolled', serial, username: pending.username, realm: pending.realm, client: ctx.request.client.name });
  }
  return result;
}

/**
 * A wrong answer (not a number, a wrong OTP): counted; the answer that reaches
 * token.default_maxfail ends the enrollment, like the lock of the token it would have been.
 */
function wrongAnswer(ports: LoginPorts, ctx: LoginContext, pending: PendingEnrollment, verdict: Verdict): Promise<AuthResult> {
  const limit = ctx.settings['token.default_maxfail'];
  if (pending.receivedCount + 1 >= limit) {
    return decide(ports, ctx, [{ kind: 'consumePendingEnrollment', transactionId: pending.transactionId }], {
      ok: {
        result: { outcome: 'reject', message: verdict.result.outcome === 'reject' ? verdict.result.message : Messages.enrollmentEnded },
        serials: [],
        reason: `enrollment by challenge ended after ${limit} wrong answers`,
      },
    });
  }
  return decide(ports, ctx, [{ kind: 'countPendingReceived', transactionId: pending.transactionId }], { ok: verdict });
}

/**
 * Sends the OTP of `draft` and records the pending enrollment under a new transaction (ending
 * the one it `replaces`). When no SMS can be sent the enrollment ends: nothing is kept.
 */
async function sendOtp(ports: LoginPorts, ctx: LoginContext, draft: Draft, replaces?: string): Promise<AuthResult> {
  const { settings } = ctx;
  const gateway = settings['sms.identifier'];
  const ended: WriteStep[] = replaces === undefined ? [] : [{ kind: 'consumePendingEnrollment', transactionId: replaces }];
  if (gateway === null) {
    return reject(ports, ctx, Messages.smsFailed, [], 'enrollment by challenge: no SMS gateway: set sms.identifier', ended);
  }
  const sms = [{ gateway, phone: draft.phone }];
  const admission = await admitSms(ports, ctx, draft.phone);
  if (!admission.admitted) {
    const message = admission.refused === 'limit' ? Messages.tooManyCodes(minutesToWait(admission.retryAfterMs)) : Messages.smsFailed;
    return decide(ports, ctx, ended, {
      ok: { result: { outcome: 'reject', message }, serials: [], reason: `enrollment by challenge: ${admission.reason}`, sms },
    });
  }
  const text = renderTemplate(settings.smstext, {
    ...userTags(ctx.user),
    ...timeTags(new Date(ctx.now)),
    otp: hotp(keyOf(ctx, draft), draft.counter),
    serial: '',
    tokentype: 'sms',
  });
  const started = ports.clock.now();
  try {
    await ports.sms.send(gateway, draft.phone, text);
    ports.events.emit({ type: 'sms_sent', serial: '', gateway, durationMs: ports.clock.now() - started });
  } catch (err) {
    const refunded = await refundSms(ports, admission, err);
    const reason = (err as Error).message + (refunded ? ' (not counted against the SMS limits: it reached no gateway)' : '');
    ports.events.emit({ type: 'sms_failed', serial: '', gateway, reason, durationMs: ports.clock.now() - started });
    return decide(ports, ctx, ended, {
      ok: { result: { outcome: 'reject', message: Messages.smsFailed }, serials: [], reason: `enrollment by challenge: no SMS could be sent: ${reason}`, sms },
    });
  }
  const expiresAt = ctx.now + settings['sms.providerTimeout'] * 1000;
  const transactionId = ports.transactionIds.issue(expiresAt);
  const steps: WriteStep[] = [
    ...(replaces === undefined ? [] : [{ kind: 'consumePendingEnrollment', transactionId: replaces, guard: 'transaction_used' } as const]),
    pendingStep(ctx, transactionId, expiresAt, draft),
  ];
  const template = ctx.request.client.challengePrompt ?? settings.sms_challenge_text;
  const message = renderTemplate(template, { ...userTags(ctx.user), serial: '', ...phoneTags(draft.phone) });
  return decide(ports, ctx, steps, {
    ok: {
      result: { outcome: 'challenge', message, transactionId, expiresAt, serials: [] },
      serials: [],
      reason: `enrollment by challenge: SMS sent to the ${sourceName(draft)}`,
      sms,
    },
    transaction_used: { result: { outcome: 'reject', message: Messages.invalidTransaction }, serials: [], reason: 'transaction already used' },
  });
}

function pendingStep(ctx: LoginContext, transactionId: string, expiresAt: number, draft: Draft): WriteStep {
  return {
    kind: 'insertPendingEnrollment',
    enrollment: {
      transactionId,
      username: ctx.user.username,
      realm: ctx.user.realm,
      client: ctx.request.client.name,
      phone: draft.phone,
      phoneSource: draft.phoneSource,
      otpKey: draft.otpKey,
      counter: draft.counter,
      createdAt: ctx.now,
      expiresAt,
    },
  };
}

/** The same State again (a re-prompt): the transaction and its expiry do not change. */
function sameChallenge(pending: PendingEnrollment, message: string, reason: string): Verdict {
  return { result: { outcome: 'challenge', message, transactionId: pending.transactionId, expiresAt: pending.expiresAt, serials: [] }, serials: [], reason };
}

function numberPrompt(ctx: LoginContext): string {
  return renderTemplate(ctx.settings.enroll_via_multichallenge_text, userTags(ctx.user));
}

/** The directory's names for a prompt or an SMS text. */
async function withNames(ports: LoginPorts, ctx: LoginContext): Promise<LoginContext> {
  const known = await ports.directory.lookup(ctx.user.username, ctx.user.realm, deadlineOf(ctx));
  return known ? { ...ctx, user: { ...ctx.user, ...known } } : ctx;
}

/** The otplen setting (6 or 8; a policy may set it per user): the same in both rounds of one enrollment unless changed meanwhile. */
function otplenOf(ctx: LoginContext): OtpLength {
  return ctx.settings.otplen === '8' ? 8 : 6;
}

function keyOf(ctx: LoginContext, draft: Pick<PendingEnrollment, 'otpKey'>): HotpKey {
  return { otpKey: draft.otpKey, hashlib: HASHLIB, otplen: otplenOf(ctx) };
}

function sourceName(draft: Pick<PendingEnrollment, 'phoneSource'>): string {
  return draft.phoneSource === 'directory' ? "directory's mobile number" : 'typed number';
}
