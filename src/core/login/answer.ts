// A login with a State: the answer to an SMS challenge (single use), or a request to send
// the SMS again. A State we did not issue, or issued to someone else, is rejected, never
// taken for a PIN attempt. The answer for a token not yet verified (verify_enrollment) must
// be the very OTP its challenge sent: it verifies the token and logs in.
import { constantTimeEqual, findCounter, hotp } from '../hotp.js';
import { Messages } from '../messages.js';
import type { Challenge, Token } from '../model.js';
import { autosendNext } from './autosend.js';
import { issueChallenge, resendTooSoon } from './challenges.js';
import { answerEnrollment } from './enroll-by-challenge.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthResult } from './request.js';
import { checkUnlocked, LOCKED, lockedVerdict, usableTokens } from './token-state.js';
import { decide, reject, rejectWithFailure } from './verdict.js';

type Open = { challenges: Challenge[]; tokens: Token[]; ctx: LoginContext };
type Opened = Open | { rejected: AuthResult } | { enrolling: AuthResult };

/**
 * The open challenges of a transaction and the context of the user they were issued to,
 * provided that user is one the login name may mean and the client is the one that got it.
 */
async function openChallenges(
  ports: LoginPorts,
  ctx: LoginContext,
  transactionId: string,
  candidates: ReadonlyArray<{ username: string; realm: string }>,
  resending: boolean,
): Promise<Opened> {
  // The State is plausible: the login service refused a forged or expired one before (LoginService.route).
  const { challenges, tokens } = await ports.store.openWithTokens(transactionId, ctx.now);
  const first = challenges[0];
  if (!first) {
    // Not a challenge of a token: perhaps a token still being enrolled (asked only then, so
    // the ordinary answer costs no second read).
    const pending = await ports.store.pendingEnrollment(transactionId, ctx.now);
    if (pending) return { enrolling: await answerEnrollment(ports, ctx, pending, candidates, resending) };
    return { rejected: await reject(ports, ctx, Messages.invalidTransaction, [], 'unknown or expired transaction') };
  }
  const mine = candidates.some((c) => c.username === first.username && c.realm === first.realm);
  if (!mine || first.client !== ctx.request.client.name) {
    // Challenge data never comes from the request: a State issued to someone else is not ours to answer.
    return { rejected: await reject(ports, ctx, Messages.invalidTransaction, [], 'transaction belongs to another user or client') };
  }
  const user = first.username === ctx.user.username && first.realm === ctx.user.realm ? ctx.user : { username: first.username, realm: first.realm };
  return { challenges, tokens, ctx: { ...ctx, user } };
}

export async function answerChallenge(
  ports: LoginPorts,
  ctx0: LoginContext,
  transactionId: string,
  candidates: ReadonlyArray<{ username: string; realm: string }>,
): Promise<AuthResult> {
  const open = await openChallenges(ports, ctx0, transactionId, candidates, false);
  if ('rejected' in open) return open.rejected;
  if ('enrolling' in open) return open.enrolling;
  const { ctx, challenges } = open;
  const usable = usableTokens(ctx, open.tokens);
  if ('refused' in usable) return decide(ports, ctx, [], { ok: usable.refused });
  const otp = ctx.request.password;
  const concurrent = ctx.settings['sms.concurrent_challenges'];
  for (const token of usable.tokens) {
    const counter = token.verified ? matchChallenge(token, otp, challenges, concurrent) : matchSent(token, otp, challenges);
    if (counter < 0) continue;
    const result = await decide(
      ports,
      ctx,
      [
        ...usable.unlock,
        // The lock first: a token locked since it was read accepts nothing, and its challenge
        // stays as it was (a locked token is answered "Failcounter exceeded", not "unknown").
        checkUnlocked([token]),
        // Single use: whoever removes the transaction's challenges first wins; the others
        // lost a race to an identical answer and are rejected without counting a failure.
        { kind: 'consumeTransaction', transactionId, guard: 'transaction_used' },
        { kind: 'commitOtp', serial: token.serial, counter, allowOlder: concurrent, at: ctx.now, guard: 'otp_used' },
        ...(token.verified ? [] : [{ kind: 'verifyToken', serial: token.serial, at: ctx.now } as const]),
      ],
      {
        ok: {
          result: { outcome: 'accept', message: Messages.accepted, serial: token.serial, username: ctx.user.username, realm: ctx.user.realm },
          serials: [token.serial],
          reason: token.verified ? 'challenge answered' : 'challenge answered; enrollment verified',
        },
        transaction_used: { result: { outcome: 'reject', message: Messages.invalidTransaction }, serials: [token.serial], reason: 'transaction already used' },
        otp_used: { result: { outcome: 'reject', message: Messages.responseMismatch(1) }, serials: [token.serial], reason: 'OTP already used' },
        [LOCKED]: lockedVerdict([token]),
      },
    );
    if (result.outcome === 'accept') autosendNext(ports, ctx, token, counter);
    return result;
  }
  const unverified = usable.tokens.some((t) => !t.verified);
  const why = unverified ? 'response did not match; enrollment not verified' : 'response did not match';
  return rejectWithFailure(ports, ctx, Messages.responseMismatch(usable.tokens.length), usable.tokens, why, [
    ...usable.unlock,
    { kind: 'countReceived', transactionId },
  ]);
}

/**
 * Sends a new OTP for a pending transaction (the user asked again), at most once per
 * sms.resend_interval; the old transaction ends and a fresh challenge answers.
 */
export async function resend(
  ports: LoginPorts,
  ctx0: LoginContext,
  transactionId: string,
  candidates: ReadonlyArray<{ username: string; realm: string }>,
): Promise<AuthResult> {
  const open = await openChallenges(ports, ctx0, transactionId, candidates, true);
  if ('rejected' in open) return open.rejected;
  if ('enrolling' in open) return open.enrolling;
  const { ctx, challenges, tokens } = open;
  const newest = Math.max(...challenges.map((c) => c.createdAt));
  const wait = Math.ceil((newest + ctx.settings['sms.resend_interval'] * 1000 - ctx.now) / 1000);
  if (wait > 0) return decide(ports, ctx, [], { ok: resendTooSoon(ctx, transactionId, challenges, wait) });
  return issueChallenge(ports, ctx, tokens, { replaces: transactionId });
}

/**
 * The counter of this transaction's challenge of `token` whose OTP is `otp`, else -1: only
 * an OTP that was sent proves the phone (the counter window could be computed from the key).
 */
function matchSent(token: Token, otp: string, open: readonly Challenge[]): number {
  for (const challenge of open) {
    if (challenge.serial === token.serial && constantTimeEqual(otp, hotp(token, challenge.counter))) return challenge.counter;
  }
  return -1;
}

/**
 * With concurrent challenges the OTP of any open challenge of this transaction counts;
 * otherwise only the counter window from the token's current counter does.
 */
function matchChallenge(token: Token, otp: string, open: readonly Challenge[], concurrent: boolean): number {
  if (concurrent) {
    for (const challenge of open) {
      if (challenge.serial === token.serial && constantTimeEqual(otp, hotp(token, challenge.counter))) return challenge.counter;
    }
  }
  return findCounter(token, otp, token.counter, token.countWindow);
}
