// The UI's session: who signed in, the sign-in between its two factors, and when it was last
// used. Kept server-side (the cookie holds a signed random id only), so that signing out or
// an idle timeout ends it everywhere, and nothing of the person's reaches the browser.
import type { FastifyRequest } from 'fastify';
import type { WebAccessView } from './services.js';

declare module 'fastify' {
  interface Session {
    /** Signed in: the user (as the login core named them) and what the policies gave them at sign-in. */
    user?: SignedIn;
    /** Between the first factor and the SMS code: the login's challenge. */
    pending?: PendingSignIn;
    /** Epoch ms of the last request: the idle timeout counts from it. */
    lastSeen?: number;
  }
}

export interface SignedIn {
  readonly username: string;
  readonly realm: string;
  readonly access: WebAccessView;
}

export interface PendingSignIn {
  /** The name as typed: the second round goes under the same name as the first. */
  readonly loginName: string;
  readonly transactionId: string;
  readonly expiresAt: number;
  /** The login core's prompt ("Enter the code sent to +49…"). */
  readonly message: string;
}

/** The cookie's name: not a framework's default, which would tell an attacker what runs here. */
export const SESSION_COOKIE = 'sms_otp_session';

/** The name an audit row and a helpdesk action give a person of the UI: `web:alice@corp`. */
export function operatorOf(user: SignedIn): string {
  return `web:${user.realm ? `${user.username}@${user.realm}` : user.username}`;
}

/**
 * Ends a session idle longer than `idleMs` (its data is dropped, its id regenerated) and
 * notes this request's time; answers whether it had expired.
 */
export async function enforceIdleTimeout(request: FastifyRequest, now: number, idleMs: number): Promise<boolean> {
  const { session } = request;
  const last = session.get('lastSeen');
  const expired = last !== undefined && now - last > idleMs && (session.get('user') !== undefined || session.get('pending') !== undefined);
  if (expired) await session.regenerate();
  if (session.get('user') !== undefined || session.get('pending') !== undefined) session.set('lastSeen', now);
  return expired;
}
