// The SMS challenge: advance each token's counter (durably, before anything is sent, so an
// OTP is never sent twice), send HOTP(counter) through the token's gateway, then record the
// challenges that went out. A resend ends the old transaction and issues a new one. The
// challenge of a token not yet verified (verify_enrollment) says so in its prompt.
import { newTransactionId } from '../../crypto/random.js';
import { hotp } from '../hotp.js';
import { Messages } from '../messages.js';
import type { Challenge, Token } from '../model.js';
import type { WriteStep } from '../ports.js';
import { phoneTags, renderTemplate, timeTags, userTags } from '../templates.js';
import type { LoginContext, LoginPorts } from './context.js';
import { destinationOf } from './phone-of.js';
import { admitSms, minutesToWait } from './sms-limits.js';
import type { AuthResult } from './request.js';
import { usableTokens } from './token-state.js';
import { decide, deadlineOf, reject, serialsOf, type SmsAttempt, type Verdict } from './verdict.js';

export interface IssueOptions {
  /** The transaction this one replaces (a resend): ended in the same writes, once. */
  readonly replaces?: string;
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

  const reserve: WriteStep[] = [...usable.unlock];
  if (options.replaces !== undefined) reserve.push({ kind: 'consumeTransaction', transactionId: options.replaces, guard: 'transaction_used' });
  for (const token of sendable) reserve.push({ kind: 'advanceCounter', serial: token.serial, at: ctx.now });
  const reserved = await ports.store.commit({ steps: reserve, ...deadlineOf(ctx) });
  if (reserved.outcome === 'transaction_used') {
    return reject(ports, ctx, Messages.invalidTransaction, [], 'transaction already used');
  }

  const transactionId = newTransactionId();
  const expiresAt = ctx.now + ctx.settings['sms.providerTimeout'] * 1000;
  const sent: Array<{ token: Token; counter: number; phone: string }> = [];
  const failures: string[] = [];
  /** How long each SMS held back by a limit has to wait (ms). */
  const limited: number[] = [];
  const tried: SmsAttempt[] = [];
  await Promise.all(
    sendable.map(async (token) => {
      const counter = reserved.counters.get(token.serial);
      if (counter === undefined) return;
      const { phone, failure, retryAfterMs } = await sendOtp(ports, ctx, token, counter);
      tried.push({ gateway: gatewayOf(ctx, token) ?? '', phone });
      if (failure === undefined) sent.push({ token, counter, phone });
      else failures.push(failure);
      if (retryAfterMs !== undefined) limited.push(retryAfterMs);
    }),
  );
  if (sent.length === 0) {
    const reason = failures.length > 0 ? `no SMS could be sent: ${failures.sort().join('; ')}` : 'no SMS could be sent';
    // Every SMS held back by a limit: the user learns when the first may go.
    const message = limited.length > 0 && limited.length === failures.length ? Messages.tooManyCodes(minutesToWait(Math.min(...limited))) : Messages.smsFailed;
    return decide(ports, ctx, [], {
      ok: { result: { outcome: 'reject', message }, serials: serialsOf(usable.tokens), reason, sms: tried },
    });
  }
  sent.sort((a, b) => a.token.serial.localeCompare(b.token.serial));
  const challenges: Array<Omit<Challenge, 'receivedCount'>> = sent.map(({ token, counter }) => ({
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
  const serials = sent.map((s) => s.token.serial);
  if (ctx.settings.increase_failcounter_on_challenge) steps.push({ kind: 'recordFailure', serials, at: ctx.now });
  const verifying = sent.filter((s) => !s.token.verified).map((s) => s.token.serial);
  return decide(ports, ctx, steps, {
    ok: {
      result: { outcome: 'challenge', message: prompt(ctx, sent), transactionId, expiresAt, serials },
      serials,
      reason: verifying.length > 0 ? `SMS sent; it verifies the enrollment of ${verifying.join(',')}` : 'SMS sent',
      sms: sent.map((s) => ({ gateway: gatewayOf(ctx, s.token) ?? '', phone: s.phone })),
    },
  });
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
  const gateway = gatewayOf(ctx, token);
  const destination = await destinationOf(ports, ctx, token);
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
  try {
    await ports.sms.send(gateway ?? '', destination.phone, text);
    return { phone: destination.phone };
  } catch (err) {
    const reason = (err as Error).message;
    ports.events.emit({ type: 'sms_failed', serial: token.serial, gateway, reason });
    return { phone: destination.phone, failure: reason };
  }
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
