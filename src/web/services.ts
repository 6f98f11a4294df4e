// What the web UI (src/web) calls: the login core for sign-in, and the application layer for
// everything a page shows or changes. The composition root (src/main/web.ts) builds it; the
// pages never reach the store, a gateway or the directory themselves.
import type { SessionStore } from '@fastify/session';
import type { Authenticator } from '../core/authenticator.js';
import type { UserRef } from '../core/ports.js';
import type { UserView } from '../app/user-view.js';
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

export interface WebServices {
  /** The login core: the UI's sign-in is a login like a RADIUS one (fail counters, locks, SMS limits, audit). */
  readonly login: Pick<Authenticator, 'authenticate'>;
  readonly access: WebAccessPort;
  /** Everything about one user (tokens, last logins, open challenges); undefined when they have nothing stored. */
  readonly accounts: { of(user: UserRef): Promise<UserView | undefined> };
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
