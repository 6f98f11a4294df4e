// The login core with all its ports, wired here once: the daemon and the domain tests
// (test/helpers/login-engine.ts) both build their login with buildLogin, so what a node keeps
// per login (recent failures, recent challenges, fail slots) cannot drift between them.
import { RecentChallenges } from '../core/login/recent-challenges.js';
import { RecentFailures } from '../core/login/recent-failures.js';
import { LoginService } from '../core/login/service.js';
import type { LoginPorts } from '../core/login/context.js';
import type { RadiusConfig } from '../config/schema.js';
import { LdapDirectory } from '../directory/directory.js';
import { RealmNameDirectory } from '../directory/realm-names.js';
import { realmSplitter } from '../radius/realms.js';
import type { Store } from '../store/index.js';
import { SiteConfig, type RevisionSource, type SiteConfigOptions } from '../store/site-config.js';
import type { Keys } from '../crypto/keyfile.js';
import { SecretBox } from '../crypto/secretbox.js';
import { RadiusForwarder } from '../radius-upstream/forwarder.js';
import { UpstreamStateSeal } from '../radius-upstream/state-seal.js';

/** The ports a login needs from the node; what it keeps per node (recent failures and challenges, fail slots) is made by buildLogin. */
export type LoginParts = Omit<LoginPorts, 'recentFailures' | 'failSlots' | 'recentChallenges'>;

/** The login core; one per node (what it keeps in memory is the node's). */
export function buildLogin(parts: LoginParts): LoginService {
  return new LoginService({
    ...parts,
    recentFailures: new RecentFailures(),
    recentChallenges: new RecentChallenges(),
  });
}

/** The site configuration kept in memory, on every definition the store holds, polled by revision. */
export function buildSite(store: Store, revisions: RevisionSource, hooks: Pick<SiteConfigOptions, 'onError' | 'onRecovered' | 'onReload'>): SiteConfig {
  return new SiteConfig({
    settings: store.settings,
    gateways: store.gateways,
    userstores: store.userstores,
    realms: store.realms,
    apiKeys: store.apiKeys,
    notifications: store.notifications,
    radiusServers: store.radiusServers,
    policies: store.policies,
    revisions,
    ...hooks,
  });
}

/** Who the login names mean: the site's user stores and realms, else the name split at the realm. */
export function buildDirectory(site: SiteConfig, radius: Pick<RadiusConfig, 'realm_format' | 'realm_delimiter'>): LdapDirectory {
  return new LdapDirectory({
    snapshot: () => site.directorySnapshot(),
    fallback: new RealmNameDirectory(realmSplitter(radius.realm_format, radius.realm_delimiter)),
    cacheMs: () => site.current()['userstore.cache_seconds'] * 1000,
  });
}

/** The RADIUS client for passthru=radius:NAME: the site's definitions, States sealed with the site key (every node opens them). */
export function buildUpstream(site: Pick<SiteConfig, 'radiusServer'>, keys: Pick<Keys, 'encryption'>): RadiusForwarder {
  return new RadiusForwarder({ definition: (name) => site.radiusServer(name), states: new UpstreamStateSeal(new SecretBox(keys.encryption)) });
}
