// Which of a user's tokens may authenticate now: active and not locked. A lock whose
// failcounter_clear_timeout has passed is lifted as part of this request's writes. What is
// read here only spares work: the store decides, in the unit that writes (checkUnlocked and
// the guarded failure, src/core/ports.ts), whether the token is still below its maxfail.
import { Messages } from '../messages.js';
import type { Token } from '../model.js';
import type { WriteStep } from '../ports.js';
import type { LoginContext } from './context.js';
import type { Verdict } from './verdict.js';

const serialsOf = (tokens: ReadonlyArray<{ serial: string }>): string[] => tokens.map((t) => t.serial);

/**
 * Whether a token's fail counter locks it now, and when the lock lifts by itself
 * (failcounter_clear_timeout minutes after the last failure; null when it never does).
 * The one rule for the login and for what `token list`/`token show` print.
 */
export function lockState(token: Token, now: number, clearTimeoutMinutes: number): { locked: boolean; unlocksAt: number | null } {
  if (token.failcount < token.maxfail) return { locked: false, unlocksAt: null };
  const unlocksAt = clearTimeoutMinutes > 0 && token.lastFailAt !== null ? token.lastFailAt + clearTimeoutMinutes * 60_000 : null;
  if (unlocksAt !== null && now >= unlocksAt) return { locked: false, unlocksAt: null };
  return { locked: true, unlocksAt };
}

export type Usable = { readonly tokens: Token[]; readonly unlock: WriteStep[] } | { readonly refused: Verdict };

export function usableTokens(ctx: LoginContext, tokens: readonly Token[]): Usable {
  const active = tokens.filter((t) => t.active);
  if (active.length === 0) {
    return { refused: { result: { outcome: 'reject', message: Messages.disabled }, serials: serialsOf(tokens), reason: 'token disabled' } };
  }
  const usable: Token[] = [];
  const unlocked: string[] = [];
  for (const token of active) {
    if (token.failcount < token.maxfail) {
      usable.push(token);
    } else if (!lockState(token, ctx.now, ctx.settings.failcounter_clear_timeout).locked) {
      usable.push({ ...token, failcount: 0, lastFailAt: null });
      unlocked.push(token.serial);
    }
  }
  if (usable.length === 0) return { refused: lockedVerdict(active) };
  const failedBefore = ctx.now - ctx.settings.failcounter_clear_timeout * 60_000;
  const unlock: WriteStep[] = unlocked.length ? [{ kind: 'clearFailures', serials: unlocked, at: ctx.now, failedBefore }] : [];
  return { tokens: usable, unlock };
}

/**
 * The refusal of a login whose tokens are all locked (the active ones; a user with only disabled
 * tokens is answered as before): privacyIDEA's "Failcounter exceeded" for any password, a right
 * PIN included, before any PIN is checked, and no failure counted. Undefined otherwise.
 */
export function lockedOut(ctx: LoginContext, tokens: readonly Token[]): Verdict | undefined {
  const active = tokens.filter((t) => t.active);
  if (active.length === 0) return undefined;
  if (active.some((t) => !lockState(t, ctx.now, ctx.settings.failcounter_clear_timeout).locked)) return undefined;
  return lockedVerdict(active);
}

/** "Failcounter exceeded": for a token found locked, or locked by the time the unit ran. */
export function lockedVerdict(tokens: ReadonlyArray<{ serial: string }>): Verdict {
  return { result: { outcome: 'reject', message: Messages.locked }, serials: serialsOf(tokens), reason: 'fail counter exceeded' };
}

/** The guard outcome of a unit that found every token it guards at maxfail. */
export const LOCKED = 'locked';

/** The step that makes the lock part of a unit's writes (first, after any unlock). */
export function checkUnlocked(tokens: ReadonlyArray<{ serial: string }>): WriteStep {
  return { kind: 'checkUnlocked', serials: serialsOf(tokens), guard: LOCKED };
}
