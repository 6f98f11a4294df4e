// A login without a State: the password is the first factor (an SMS challenge follows) or the
// first factor followed by the OTP (accepted at once), as privacyIDEA's SMS token defines it.
// The first factor is the token's PIN, the user's directory password, or nothing, as the
// setting otppin says (privacyIDEA's tokenpin, userstore, none).
// A token not yet verified (verify_enrollment) takes no PIN+OTP: only the answer to its challenge.
import { constantTimeEqual, findCounter, hotp } from '../hotp.js';
import { Messages } from '../messages.js';
import type { Token } from '../model.js';
import { autosendNext } from './autosend.js';
import { issueChallenge } from './challenges.js';
import type { LoginContext, LoginPorts } from './context.js';
import type { AuthResult } from './request.js';
import { RequestShed } from '../errors.js';
import { isCarriedOverPinHash } from '../token-pin.js';
import { checkUnlocked, LOCKED, lockedOut, lockedVerdict, usableTokens } from './token-state.js';
import { decide, pinCheckOf, reject, rejectWithFailure, serialsOf } from './verdict.js';

export async function checkPassword(ports: LoginPorts, ctx: LoginContext, tokens: Token[]): Promise<AuthResult> {
  ctx.request.trace?.(`first factor is ${ctx.settings.otppin === 'tokenpin' ? "the token's PIN" : ctx.settings.otppin === 'userstore' ? 'the directory password' : 'nothing'} (otppin ${ctx.settings.otppin}${ctx.decidedBy?.length ? '' : ', the site setting'})`);
  return withFailSlot(ports, ctx, tokens, (current) =>
    ctx.settings.otppin === 'tokenpin' ? checkTokenPin(ports, ctx, current) : checkWithoutTokenPin(ports, ctx, current),
  );
}

/** How long a check waits for a slot when its request has no deadline. */
const SLOT_WAIT_MS = 10_000;
/** A waiting check reads its tokens anew at least this often (a slot freed on another node). */
const SLOT_POLL_MS = 1_000;

/**
 * A locked user is refused before anything is checked (privacyIDEA: "Failcounter exceeded" for
 * any password, and the counter does not rise). Otherwise the check takes a slot against each
 * usable token's fail counter before the first factor is checked (src/core/login/fail-slots.ts)
 * and holds it until its verdict is stored; with none free it waits for a check to end and
 * reads the tokens again.
 */
async function withFailSlot(
  ports: LoginPorts,
  ctx: LoginContext,
  tokens: Token[],
  check: (tokens: Token[]) => Promise<AuthResult>,
): Promise<AuthResult> {
  const waitUntil = ctx.request.deadline ?? ports.clock.now() + SLOT_WAIT_MS;
  let current = tokens;
  for (;;) {
    const locked = lockedOut(ctx, current);
    if (locked) return decide(ports, ctx, [], { ok: locked });
    const usable = usableTokens(ctx, current);
    const release = ports.failSlots.tryTake('refused' in usable ? [] : usable.tokens);
    if (release) {
      try {
        return await check(current);
      } finally {
        release();
      }
    }
    const left = waitUntil - ports.clock.now();
    if (left <= 0) throw new RequestShed('deadline');
    await ports.failSlots.released(serialsOf(current), Math.min(left, SLOT_POLL_MS));
    current = await reread(ports, current);
    if (current.length === 0) return reject(ports, ctx, Messages.noToken, [], 'tokens removed during the login');
  }
}

async function reread(ports: LoginPorts, tokens: readonly Token[]): Promise<Token[]> {
  const fresh = await Promise.all(tokens.map((t) => ports.store.bySerial(t.serial)));
  return fresh.filter((t): t is Token => t !== undefined);
}

async function checkTokenPin(ports: LoginPorts, ctx: LoginContext, tokens: Token[]): Promise<AuthResult> {
  const password = ctx.request.password;
  const pinOnly = await filterAsync(tokens, (t) => verifyPin(ports, ctx, password, t));
  ctx.request.trace?.(pinOnly.length > 0 ? `the password is the PIN of ${serialsOf(pinOnly).join(', ')}: an SMS challenge follows` : 'the password is no token\'s PIN alone: trying PIN+OTP');
  if (pinOnly.length > 0) return issueChallenge(ports, ctx, pinOnly);

  // PIN+OTP in one password: the PIN is prepended, the OTP is the last otplen digits.
  const pinMatched = await filterAsync(tokens, (t) =>
    password.length >= t.otplen ? verifyPin(ports, ctx, password.slice(0, -t.otplen), t) : Promise.resolve(false),
  );
  ctx.request.trace?.(pinMatched.length > 0 ? `PIN+OTP: the PIN of ${serialsOf(pinMatched).join(', ')} matches; the OTP decides` : 'PIN+OTP: no PIN matches either: wrong first factor');
  if (pinMatched.length === 0) return wrongFirstFactor(ports, ctx, tokens);
  return acceptOtp(ports, ctx, pinMatched);
}

/**
 * otppin userstore or none: one first factor for all of the user's tokens. The OTP is looked
 * for first (a local computation), so that a directory sees one bind per login, never a
 * failed one for the PIN+OTP form: with an OTP at the end, the rest is the password;
 * otherwise the whole password is, and a challenge follows.
 */
async function checkWithoutTokenPin(ports: LoginPorts, ctx: LoginContext, tokens: Token[]): Promise<AuthResult> {
  const password = ctx.request.password;
  const firstFactor = firstFactorCheck(ports, ctx);
  const withOtp = tokens.filter(
    (t) => password.length >= t.otplen && findCounter(t, password.slice(-t.otplen), t.counter, t.countWindow) >= 0,
  );
  ctx.request.trace?.(withOtp.length > 0 ? `the password ends with an OTP of ${serialsOf(withOtp).join(', ')}: the rest is the first factor` : 'no OTP at the end: the whole password is the first factor, a challenge follows if it is right');
  if (withOtp.length > 0) {
    const matched = await filterAsync(withOtp, (t) => firstFactor(password.slice(0, -t.otplen)));
    if (matched.length === 0) return wrongFirstFactor(ports, ctx, tokens);
    return acceptOtp(ports, ctx, matched);
  }
  if (await firstFactor(password)) return issueChallenge(ports, ctx, tokens);
  return wrongFirstFactor(ports, ctx, tokens);
}

/** The first factor of otppin userstore (a bind, once per distinct value) or none (always). */
function firstFactorCheck(ports: LoginPorts, ctx: LoginContext): (secret: string) => Promise<boolean> {
  if (ctx.settings.otppin === 'none') return async () => true;
  const asked = new Map<string, Promise<boolean>>();
  return (secret) => {
    let answer = asked.get(secret);
    if (!answer) {
      answer = ports.directory.checkPassword(ctx.user.username, ctx.user.realm, secret);
      asked.set(secret, answer);
    }
    return answer;
  };
}

function wrongFirstFactor(ports: LoginPorts, ctx: LoginContext, tokens: Token[]): Promise<AuthResult> {
  const why = ctx.settings.otppin === 'userstore' ? 'wrong directory password' : 'wrong PIN';
  return rejectWithFailure(ports, ctx, Messages.wrongPin, tokens, why);
}

/** The first factor was right for `pinMatched`: the OTP at the end of the password decides. */
async function acceptOtp(ports: LoginPorts, ctx: LoginContext, pinMatched: Token[]): Promise<AuthResult> {
  const password = ctx.request.password;
  const usable = usableTokens(ctx, pinMatched);
  if ('refused' in usable) return decide(ports, ctx, [], { ok: usable.refused });
  const verified = usable.tokens.filter((t) => t.verified);
  if (verified.length === 0) {
    // Nothing but the OTP sent for its challenge proves the phone; no failure is counted,
    // since no OTP was checked.
    return reject(ports, ctx, Messages.notVerified, serialsOf(usable.tokens), 'PIN+OTP for a token not verified yet', usable.unlock);
  }
  for (const token of verified) {
    const otp = password.slice(-token.otplen);
    const counter = findCounter(token, otp, token.counter, token.countWindow);
    if (counter < 0) continue;
    const result = await decide(
      ports,
      ctx,
      [...usable.unlock, checkUnlocked([token]), { kind: 'commitOtp', serial: token.serial, counter, allowOlder: false, at: ctx.now, guard: 'otp_used' }],
      {
        ok: {
          result: { outcome: 'accept', message: Messages.accepted, serial: token.serial, username: ctx.user.username, realm: ctx.user.realm },
          serials: [token.serial],
          reason: 'PIN+OTP matched',
        },
        // An identical request committed this OTP a moment ago: not a failure, just not twice.
        otp_used: lostRace(token),
        // Failures stored since the token was read locked it: nothing is accepted any more.
        [LOCKED]: lockedVerdict([token]),
      },
    );
    if (result.outcome === 'accept') autosendNext(ports, ctx, token, counter);
    return result;
  }
  const replayed = verified.find((t) => isJustUsedOtp(ctx, t, password.slice(-t.otplen)));
  if (replayed) return decide(ports, ctx, usable.unlock, { ok: lostRace(replayed) });
  return rejectWithFailure(ports, ctx, Messages.wrongOtp, verified, 'PIN right, OTP wrong', usable.unlock);
}

/** The same answer as to a wrong OTP (so nothing is learnt), but no failure is counted. */
function lostRace(token: Token) {
  return {
    result: { outcome: 'reject', message: Messages.wrongOtp } as const,
    serials: [token.serial],
    reason: 'OTP already used by an identical request',
  };
}

/**
 * The OTP accepted last (counter - 1), within a challenge's life of that acceptance: what a
 * NAS that resent the request, or asked two servers, sends a second time.
 */
function isJustUsedOtp(ctx: LoginContext, token: Token, otp: string): boolean {
  if (token.lastAuthAt === null || token.counter < 1) return false;
  if (ctx.now - token.lastAuthAt > ctx.settings['sms.providerTimeout'] * 1000) return false;
  return constantTimeEqual(otp, hotp(token, token.counter - 1));
}

async function verifyPin(ports: LoginPorts, ctx: LoginContext, pin: string, token: Token): Promise<boolean> {
  const ok = await ports.pins.verify(pin, token.pinHash, pinCheckOf(ctx));
  if (ok && isCarriedOverPinHash(token.pinHash)) upgradePinHash(ports, ctx, pin, token);
  return ok;
}

/**
 * A PIN that matched a hash carried over from privacyIDEA is hashed into our scheme after the
 * reply (the KDF runs in the same queue as every PIN check) and stored unless the hash
 * changed meanwhile; a failure leaves the old hash, which keeps working.
 */
function upgradePinHash(ports: LoginPorts, ctx: LoginContext, pin: string, token: Token): void {
  const upgrades = ports.pinUpgrades;
  if (!upgrades) return;
  ctx.defer(async () => {
    const next = await ports.pins.hash(pin, ctx.settings['pin.kdf_cost']);
    await upgrades.replacePinHash(token.serial, token.pinHash, next);
  });
}

async function filterAsync(tokens: Token[], test: (t: Token) => Promise<boolean>): Promise<Token[]> {
  const results = await Promise.all(tokens.map(test));
  return tokens.filter((_t, i) => results[i]);
}
