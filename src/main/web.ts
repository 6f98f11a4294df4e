// The web UI's services (src/web/services.ts) on the daemon's objects: its login core, its
// directory and its application layer, so that a sign-in is the same login as over RADIUS and
// a helpdesk action the same change as the CLI's, audited with the member's name.
import { createHmac } from 'node:crypto';
import { WEB_CLIENT_NAME, type Config } from '../config/schema.js';
import type { Authenticator } from '../core/authenticator.js';
import type { CompiledPolicies } from '../core/policies/compiled.js';
import type { Keys } from '../crypto/keyfile.js';
import type { EventSink, SmsSender, UserDirectory } from '../core/ports.js';
import type { Store } from '../store/index.js';
import { Helpdesk } from '../app/helpdesk.js';
import { PhoneVerifications } from '../app/phone-verification.js';
import { forbidden, realmScope } from '../app/realm-guard.js';
import { UserSearch } from '../app/user-search.js';
import { UserViews } from '../app/user-view.js';
import { WebAccess } from '../app/web-access.js';
import { Dashboard } from '../app/dashboard.js';
import { StoreSessionStore } from '../app/web-sessions.js';
import { TokenAdminError, validatePin } from '../app/token-admin.js';
import type { HelpdeskPort, SelfServicePort, WebOptions } from '../web/services.js';
import type { AdminServices } from '../web/admin-services.js';
import type { Admin } from './admin.js';

export interface WebParts {
  readonly config: Config;
  readonly keys: Keys;
  readonly store: Store;
  readonly admin: Pick<Admin, 'tokens' | 'gateways' | 'settings' | 'policies' | 'apiKeys' | 'audit' | 'changes'>;
  readonly login: Authenticator;
  readonly directory: UserDirectory;
  /** The policies of the current configuration revision (SiteConfig.policies): the admin scope gives the roles. */
  readonly policies: () => CompiledPolicies;
  /** The daemon's gateways: verification codes go out as the logins' SMS do. */
  readonly sms: SmsSender;
  /** The daemon's events port: a test send that finds a gateway down reports it (log, notifications, metrics). */
  readonly events: EventSink;
}

/** The UI's options, or undefined where the HTTP front is off or the UI is turned off. */
export function buildWeb(p: WebParts): Omit<WebOptions, 'now'> | undefined {
  const http = p.config.http;
  if (!http || !http.ui.enabled) return undefined;
  const views = new UserViews(p.store, p.admin.tokens, p.directory);
  const access = new WebAccess({ directory: p.directory, policies: p.policies });
  // No operator of its own: every call names the signed-in person (web:carol@corp).
  const helpdesk = new Helpdesk(p.store, p.admin.tokens, '', p.login, Date.now, WEB_CLIENT_NAME);
  // One for the helpdesk and the users alike, so that the limits on codes per person hold for both.
  // In the store under a key from the key file: a code sent by one node is answered at any.
  const verificationKey = createHmac('sha256', p.keys.webSessionKey).update('sms-otp-radiusd/phone-verification').digest();
  const verifications = new PhoneVerifications(p.store, p.admin.tokens, p.sms, verificationKey);
  return {
    services: {
      login: p.login,
      // Roles from the admin-scope policies, the person's groups read once at sign-in.
      access: {
        // What the session keeps of the grant: not the groups nor the deciding policies.
        of: async (user, client) => {
          const { role, realms, selfServiceEnroll } = await access.of(user, client);
          return { role, realms, selfServiceEnroll };
        },
      },
      accounts: { of: (user) => views.of(user) },
      helpdesk: helpdeskPort(p, views, helpdesk, verifications),
      selfService: selfServiceOf(p, helpdesk, verifications),
      admin: adminServices(p),
      // In the store, under the HMAC of their ids: every node knows them, a restart keeps them.
      sessionStore: new StoreSessionStore({ sessions: p.store.webSessions, key: p.keys.webSessionKey, ttlMs: http.ui.idle_timeout * 1000 }),
    },
    // The cookie's signing key, from the key file: every node of a site signs alike.
    sessionSecret: createHmac('sha256', p.keys.transactionIdMac).update('sms-otp-radiusd/web-session-cookie').digest('hex'),
    // ('auto' alone would also make the cookie SameSite=Lax on plain HTTP: @fastify/session's rule.)
    secureCookie: http.tls ? true : http.trusted_proxies.length > 0 ? 'auto' : false,
    idleTimeoutMs: http.ui.idle_timeout * 1000,
  };
}

/** The helpdesk pages' calls: the CLI's helpdesk layer, acting as the signed-in member within their realms. */
function helpdeskPort(p: WebParts, views: UserViews, helpdesk: Helpdesk, verifications: PhoneVerifications): HelpdeskPort {
  const search = new UserSearch(p.store);
  return {
    search: (query, as) => search.search({ query, allowedRealms: as.allowedRealms }),
    user: async (user, as) => {
      // Known or not, a user of another realm gets the same refusal.
      if (!(await realmScope(p.store, as.allowedRealms)).allows(user.realm)) throw forbidden(`user ${user.username}`);
      return views.of(user);
    },
    change: (action, serial, as) => helpdesk.change(action, { serial }, as),
    delete: (serial, as) => helpdesk.delete({ serial }, as),
    setPhone: (serial, phone, as) => helpdesk.set({ serial }, { phone }, as),
    revealPhone: (serial, as) => helpdesk.revealPhone({ serial }, as),
    enrollSms: (user, phone, pin, as) => helpdesk.enrollSms({ username: user.username, realm: user.realm, phone, ...(pin !== undefined ? { pin } : {}) }, as),
    resend: (serial, as) => helpdesk.resend({ serial }, as),
    verifiedPhone: {
      start: (user, serial, phone, as) => verifications.start(user, phone, { ...as, serial }),
      confirm: (user, serial, verificationId, code, as) => verifications.confirm(user, verificationId, code, { ...as, serial }),
    },
  };
}

/**
 * Self-service on the application layer: a phone change proved by a code sent to the new
 * number (src/app/phone-verification.ts). The verifications live in this process: a person
 * who signs in on one node and answers on another asks for a new code.
 */
function selfServiceOf(p: WebParts, helpdesk: Helpdesk, verifications: PhoneVerifications): SelfServicePort {
  // Enrollment is the helpdesk's (the HTTP API's number rule, audited), acting as the owner.
  return {
    phoneChange: {
      start: (owner, phone, operator) => verifications.start(owner, phone, { operator }),
      confirm: (owner, verificationId, code, operator) => verifications.confirm(owner, verificationId, code, { operator }),
    },
    enrollment: {
      start: (owner, phone, operator) => verifications.start(owner, phone, { operator, enrollment: true }),
      confirm: async (owner, verificationId, code, operator, pin) => {
        // A PIN refused after the code was spent would cost the person a new SMS: checked first.
        if (pin !== undefined) validatePin(pin);
        else if (await p.admin.tokens.pinRequired()) throw new TokenAdminError('choose a PIN for the token');
        const phone = await verifications.confirm(owner, verificationId, code, { operator, enrollment: true });
        const token = await helpdesk.enrollSms({ username: owner.username, realm: owner.realm, phone, ...(pin !== undefined ? { pin } : {}) }, { operator });
        return { serial: token.serial };
      },
      pinRequired: () => p.admin.tokens.pinRequired(),
    },
  };
}

/** The admin pages' services: the same application layer as the CLI's, each change audited with the operator. */
function adminServices(p: WebParts): AdminServices {
  const { admin } = p;
  return {
    gateways: admin.gateways,
    testSend: (t) => admin.gateways.test(t, p.events),
    settings: admin.settings,
    policies: admin.policies,
    apiKeys: admin.apiKeys,
    changes: admin.changes,
    dashboard: new Dashboard(p.store),
    recentTests: () => admin.audit.list({ action: 'gateway-test' }, 50),
  };
}
