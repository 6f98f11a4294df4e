// Which of a user's tokens may authenticate now: active and not locked. A lock whose
// failcounter_clear_timeout has passed is lifted as part of this request's writes.
import { Messages } from '../messages.js';
import type { Token } from '../model.js';
import type { WriteStep } from '../ports.js';
import type { LoginContext } from './context.js';
import { serialsOf, type Verdict } from './verdict.js';

export type Usable = { readonly tokens: Token[]; readonly unlock: WriteStep[] } | { readonly refused: Verdict };

export function usableTokens(ctx: LoginContext, tokens: readonly Token[]): Usable {
  const active = tokens.filter((t) => t.active);
  if (active.length === 0) {
    return { refused: { result: { outcome: 'reject', message: Messages.disabled }, serials: serialsOf(tokens), reason: 'token disabled' } };
  }
  const clearAfterMs = ctx.settings.failcounter_clear_timeout * 60_000;
  const usable: Token[] = [];
  const unlocked: string[] = [];
  for (const token of active) {
    if (token.failcount < token.maxfail) {
      usable.push(token);
    } else if (clearAfterMs > 0 && token.lastFailAt !== null && ctx.now - token.lastFailAt >= clearAfterMs) {
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
