// The web UI's services (src/web/services.ts) on the daemon's objects: its login core, its
// directory and its application layer, so that a sign-in is the same login as over RADIUS.
import { createHmac } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Authenticator } from '../core/authenticator.js';
import type { Keys } from '../crypto/keyfile.js';
import type { EventSink, UserDirectory } from '../core/ports.js';
import type { Store } from '../store/index.js';
import { UserViews } from '../app/user-view.js';
import { AuditedChanges } from '../app/audited-changes.js';
import { WebAccess } from '../app/web-access.js';
import { Dashboard } from '../app/dashboard.js';
import { StoreSessionStore } from '../app/web-sessions.js';
import type { CompiledPolicies } from '../core/policies/compiled.js';
import type { AdminServices } from '../web/admin-services.js';
import type { WebOptions } from '../web/services.js';
import type { Admin } from './admin.js';

export interface WebParts {
  readonly config: Config;
  readonly keys: Keys;
  readonly store: Store;
  readonly admin: Pick<Admin, 'tokens' | 'gateways' | 'settings' | 'policies' | 'apiKeys' | 'audit'>;
  readonly login: Authenticator;
  readonly directory: UserDirectory;
  /** The policies of the current configuration revision (SiteConfig.policies): the admin scope gives the roles. */
  readonly policies: () => CompiledPolicies;
  /** The daemon's events port: a test send that finds a gateway down reports it (log, notifications, metrics). */
  readonly events: EventSink;
}

/** The UI's options, or undefined where the HTTP front is off or the UI is turned off. */
export function buildWeb(p: WebParts): Omit<WebOptions, 'now'> | undefined {
  const http = p.config.http;
  if (!http || !http.ui.enabled) return undefined;
  const views = new UserViews(p.store, p.admin.tokens, p.directory);
  return {
    services: {
      login: p.login,
      // Roles from the admin-scope policies, the person's groups read once at sign-in.
      access: new WebAccess({ directory: p.directory, policies: p.policies }),
      accounts: { of: (user) => views.of(user) },
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

/** The admin pages' services: the same application layer as the CLI's, each change audited with the operator. */
function adminServices(p: WebParts): AdminServices {
  const { admin } = p;
  return {
    gateways: admin.gateways,
    testSend: (t) => admin.gateways.test(t, p.events),
    settings: admin.settings,
    policies: admin.policies,
    apiKeys: admin.apiKeys,
    changes: new AuditedChanges({ settings: admin.settings, policies: admin.policies, apiKeys: admin.apiKeys, audit: p.store.audit }),
    dashboard: new Dashboard(p.store),
    recentTests: () => admin.audit.list({ action: 'gateway-test' }, 50),
  };
}
