// Which of a user's tokens may authenticate now: active and not locked. A lock whose
// failcounter_clear_timeout has passed is lifted as part of this request's writes.
import { Messages } from '../messages.js';
import type { Token } from '../model.js';
import type { WriteStep } from '../ports.js';
import type { LoginContext } from './context.js';
import { serialsOf, type Verdict } from './verdict.js';

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
  if (usable.length === 0) {
    return { refused: { result: { outcome: 'reject', message: Messages.locked }, serials: serialsOf(active), reason: 'fail counter exceeded' } };
  }
  const unlock: WriteStep[] = unlocked.length ? [{ kind: 'clearFailures', serials: unlocked, at: ctx.now }] : [];
  return { tokens: usable, unlock };
}
