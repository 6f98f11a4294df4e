// The application layer, built once per daemon (the HTTP admin API) and once per CLI command:
// every service on the same runtime. Built lazily: a command pays only for what it uses.
import type { EventSink } from '../core/ports.js';
import { AuditedChanges } from '../app/audited-changes.js';
import { AuditedTokenChanges } from '../app/audited-token-changes.js';
import { ApiKeyAdmin } from '../app/api-keys.js';
import { AuditAdmin } from '../app/audit.js';
import { DirectoryEnrollment } from '../app/directory-enrollment.js';
import { GatewayAdmin } from '../app/gateway-admin.js';
import { NotificationAdmin } from '../app/notifications.js';
import { SessionAdmin } from '../app/sessions.js';
import { SettingsAdmin } from '../app/settings-admin.js';
import { PolicyAdmin } from '../app/policy-admin.js';
import { checkReplyAttribute } from '../radius/policy-attributes.js';
import { LdapDirectory } from '../directory/directory.js';
import { RealmNameDirectory } from '../directory/realm-names.js';
import { realmSplitter } from '../radius/realms.js';
import { SmtpServerAdmin } from '../app/smtp-servers.js';
import { RadiusServerAdmin } from '../app/radius-servers.js';
import { TokenAdmin } from '../app/token-admin.js';
import { TokenImport } from '../app/token-import.js';
import { WebAccounts } from '../app/web-accounts.js';
import { PrivacyIdeaMigration } from '../app/privacyidea-migration.js';
import { RealmAdmin, UserStoreAdmin } from '../app/userstore-admin.js';
import { providerContext } from './providers.js';
import { HTTP_CLIENT_NAME, WEB_CLIENT_NAME } from '../config/schema.js';
import type { Runtime } from './runtime.js';

export interface Admin {
  readonly tokens: TokenAdmin;
  readonly tokenImport: TokenImport;
  readonly privacyIdeaMigration: PrivacyIdeaMigration;
  readonly directoryEnrollment: DirectoryEnrollment;
  readonly gateways: GatewayAdmin;
  readonly settings: SettingsAdmin;
  readonly userstores: UserStoreAdmin;
  readonly realms: RealmAdmin;
  readonly apiKeys: ApiKeyAdmin;
  readonly smtpServers: SmtpServerAdmin;
  readonly radiusServers: RadiusServerAdmin;
  readonly notifications: NotificationAdmin;
  readonly audit: AuditAdmin;
  readonly sessions: SessionAdmin;
  readonly policies: PolicyAdmin;
  readonly webAccounts: WebAccounts;
  /** Settings, policies and API keys changed with an audit row naming who did it (every front's way to change them). */
  readonly changes: AuditedChanges;
  /** Tokens changed with an audit row naming who did it (the HTTP admin API's and `token enroll`'s way; the helpdesk writes its own). */
  readonly tokenChanges: AuditedTokenChanges;
}

export interface AdminOptions {
  /** Tokens enrolled here are told to this events port (token_enrolled), as from `client`. */
  readonly enrolled?: { readonly events: EventSink; readonly client: string };
}

export function buildAdmin(rt: Pick<Runtime, 'config' | 'store' | 'pins' | 'keys'>, options: AdminOptions = {}): Admin {
  const { store, pins } = rt;
  const once = <T>(make: () => T): (() => T) => {
    let made: T | undefined;
    return () => (made ??= make());
  };
  const tokens = once(() => new TokenAdmin(store, pins, options.enrolled));
  const tokenImport = once(() => new TokenImport(store, pins));
  const privacyIdeaMigration = once(() => new PrivacyIdeaMigration(store, pins));
  const directoryEnrollment = once(() => new DirectoryEnrollment(store));
  const gateways = once(() => new GatewayAdmin(store, providerContext(rt)));
  const settings = once(() => new SettingsAdmin(store));
  const userstores = once(() => new UserStoreAdmin(store));
  const realms = once(() => new RealmAdmin(store));
  const apiKeys = once(() => new ApiKeyAdmin(store, rt.keys.apiKeyMac));
  const smtpServers = once(() => new SmtpServerAdmin(store, providerContext(rt)));
  const radiusServers = once(() => new RadiusServerAdmin(store));
  const notifications = once(() => new NotificationAdmin(store));
  const audit = once(() => new AuditAdmin(store.audit));
  const sessions = once(() => new SessionAdmin(store.sessions));
  const policies = once(
    () =>
      new PolicyAdmin(store, {
        checkReplyAttribute,
        clientNames: [...rt.config.radius.clients.map((c) => c.name), HTTP_CLIENT_NAME, WEB_CLIENT_NAME],
        // `policy explain` asks the directory as a login does: the user stores and realms as the store has them now.
        openDirectory: async () => {
          const [userstores, realms] = await Promise.all([store.userstores.list(), store.realms.list()]);
          const { realm_format, realm_delimiter } = rt.config.radius;
          return new LdapDirectory({
            snapshot: () => ({ revision: 'explain', userstores, realms }),
            fallback: new RealmNameDirectory(realmSplitter(realm_format, realm_delimiter)),
            cacheMs: () => 0,
          });
        },
      }),
  );
  const webAccounts = once(() => new WebAccounts(store, tokens()));
  const changes = once(() => new AuditedChanges({ settings: settings(), policies: policies(), apiKeys: apiKeys(), audit: store.audit }));
  const tokenChanges = once(() => new AuditedTokenChanges({ tokens: tokens(), audit: store.audit }));
  return {
    get tokens() { return tokens(); },
    get tokenImport() { return tokenImport(); },
    get privacyIdeaMigration() { return privacyIdeaMigration(); },
    get directoryEnrollment() { return directoryEnrollment(); },
    get gateways() { return gateways(); },
    get settings() { return settings(); },
    get userstores() { return userstores(); },
    get realms() { return realms(); },
    get apiKeys() { return apiKeys(); },
    get smtpServers() { return smtpServers(); },
    get radiusServers() { return radiusServers(); },
    get notifications() { return notifications(); },
    get audit() { return audit(); },
    get sessions() { return sessions(); },
    get policies() { return policies(); },
    get webAccounts() { return webAccounts(); },
    get changes() { return changes(); },
    get tokenChanges() { return tokenChanges(); },
  };
}
