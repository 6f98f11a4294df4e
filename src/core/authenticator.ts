// What the fronts (RADIUS, HTTP) see of the login core, and of the node's health: named
// interfaces, so a reader gets from a front to the core without opening the composition root.
import type { AuthRequest, AuthResult, TriggerRequest } from './login/request.js';

/** The login core as every front uses it (LoginService implements it). */
export interface Authenticator {
  /** One login round: a first factor, a challenge's answer or a resend. */
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** A challenge sent without the first factor (privacyIDEA's /validate/triggerchallenge). */
  triggerChallenge(request: TriggerRequest): Promise<AuthResult>;
}

/** The node's one health rule, read by Status-Server and both /readyz. Cheap: never a query per call. */
export interface Readiness {
  /** Undefined when logins can be served now, else why not (one line, for the operator). */
  notReady(): string | undefined;
}
