// What the web UI (src/web) calls: the login core for sign-in, and the application layer for
// everything a page shows or changes. The composition root (src/main/web.ts) builds it; the
// pages never reach the store, a gateway or the directory themselves.
import type { SessionStore } from '@fastify/session';
import type { Authenticator } from '../core/authenticator.js';
import type { UserRef } from '../core/ports.js';
import type { UserView } from '../app/user-view.js';
import type { UserSearchResult } from '../app/user-search.js';
import type { ReversibleAction, ResendResult } from '../app/helpdesk.js';
import type { AdminServices } from './admin-services.js';

/** Who a signed-in person is to the UI: what the `admin`-scope policies give them. */
export interface WebAccessView {
  readonly role: 'admin' | 'helpdesk' | 'user';
  /** The realms a helpdesk may see and act on; 'all' for an admin and an unrestricted helpdesk. */
  readonly realms: readonly string[] | 'all';
  /** A user may enroll an SMS token for themself. */
  readonly selfServiceEnroll: boolean;
}

export interface WebAccessPort {
  of(user: UserRef, client: { readonly name: string; readonly address: string }): Promise<WebAccessView>;
}

/** A helpdesk call's actor: named in its audit rows (`web:carol@corp`), limited to the realms it may see. */
export interface HelpdeskActor {
  readonly operator: string;
  readonly allowedRealms: readonly string[] | 'all';
}

/**
 * The helpdesk's pages' calls (src/app/helpdesk.ts and its neighbours). Each one refuses a
 * user or token outside the actor's realms with the same 403, whether or not it exists; the
 * actions by serial are the tokens the user's page listed.
 */
export interface HelpdeskPort {
  search(query: string, as: HelpdeskActor): Promise<UserSearchResult>;
  /** The user's page: tokens (numbers redacted), last logins, open challenges. */
  user(user: UserRef, as: HelpdeskActor): Promise<UserView>;
  /** Unlock (reset), enable or disable one token; the lines say what was done. */
  change(action: ReversibleAction, serial: string, as: HelpdeskActor): Promise<string[]>;
  delete(serial: string, as: HelpdeskActor): Promise<string>;
  setPhone(serial: string, phone: string, as: HelpdeskActor): Promise<string>;
  /** The full number, audited. */
  revealPhone(serial: string, as: HelpdeskActor): Promise<{ serial: string; phone: string }>;
  /** `pin`: the token PIN, where the site's first factor is it (setting otppin tokenpin). */
  enrollSms(user: UserRef, phone: string, pin: string | undefined, as: HelpdeskActor): Promise<{ serial: string }>;
  /** An SMS now, through the login core, as a login would send it. */
  resend(serial: string, as: HelpdeskActor): Promise<ResendResult>;
  /**
   * A phone change proved first: a code goes to the new number, and the number is saved when
   * the helpdesk types back the code the user reads to them.
   */
  readonly verifiedPhone: {
    start(user: UserRef, serial: string, phone: string, as: HelpdeskActor): Promise<{ verificationId: string; expiresAt: number }>;
    /** Resolves with the number saved. */
    confirm(user: UserRef, serial: string, verificationId: string, code: string, as: HelpdeskActor): Promise<string>;
  };
}

/** A code on its way to a number the person typed; its id answers it. */
export interface VerificationStarted {
  readonly verificationId: string;
  readonly expiresAt: number;
}

/**
 * A change proved before it is saved: a code goes to the NEW number, and only its owner can
 * type it back (a stolen first factor must not be enough to redirect the second). Refusals
 * are SmsOtpErrors whose message the page shows; a wrong code counts, and the third voids the
 * verification (the application layer's rule). `operator`: who acts, for the audit (`web:alice@corp`).
 */
export interface VerifiedChange<T> {
  /** Sends a code to `phone` for `owner`. */
  start(owner: UserRef, phone: string, operator: string): Promise<VerificationStarted>;
  /** Saves the change once the code is typed back. */
  confirm(owner: UserRef, verificationId: string, code: string, operator: string): Promise<T>;
}

/** What a person does to their own account. */
export interface SelfServicePort {
  /** A new number for every token of the owner; resolves with the number saved. */
  readonly phoneChange: VerifiedChange<string>;
  /** An SMS token for an owner who has none (where a policy allows it); absent: not offered by this daemon. */
  readonly enrollment?: SelfEnrollment;
}

/**
 * The PIN of a new token, where one is required, is typed with the code (it is never kept in
 * the session between the two pages) and checked before the code is spent.
 */
export interface SelfEnrollment {
  start(owner: UserRef, phone: string, operator: string): Promise<VerificationStarted>;
  confirm(owner: UserRef, verificationId: string, code: string, operator: string, pin?: string): Promise<{ readonly serial: string }>;
  /** Whether a new token needs a PIN (setting otppin tokenpin). */
  pinRequired(): Promise<boolean>;
}

export interface WebServices {
  /** The login core: the UI's sign-in is a login like a RADIUS one (fail counters, locks, SMS limits, audit). */
  readonly login: Pick<Authenticator, 'authenticate'>;
  readonly access: WebAccessPort;
  /** Everything about one user (tokens, last logins, open challenges); undefined when they have nothing stored. */
  readonly accounts: { of(user: UserRef): Promise<UserView | undefined> };
  readonly helpdesk: HelpdeskPort;
  /** Self-service changes; absent: the daemon offers none (the pages say so). */
  readonly selfService?: SelfServicePort;
  /** The admin role's pages: gateways, settings, policies, API keys, the dashboard. */
  readonly admin: AdminServices;
  /** Where sessions live (the store, so that every node of a site knows them); absent: this process's memory. */
  readonly sessionStore?: SessionStore;
}

export interface WebOptions {
  readonly services: WebServices;
  /** Signs the session cookie (at least 32 characters, from the key file). */
  readonly sessionSecret: string;
  /**
   * The cookie's Secure flag: true under the listener's TLS; 'auto' behind a trusted proxy
   * (Secure when it says the request came over HTTPS); false on plain HTTP.
   */
  readonly secureCookie: boolean | 'auto';
  /** A session unused this long is over (ms). */
  readonly idleTimeoutMs: number;
  readonly now: () => number;
}
