// What a daemon keeps in memory of the store: the site's settings, gateway definitions, user
// stores, realms, API keys and the RADIUS servers logins may be forwarded to,
// reloaded when the configuration revision moves (any node's CLI bumps it), and whether the
// store answers at all. One small read every half second serves both, so no request reads a
// settings table and no Status-Server queries the store.
import type { PolicySource, SettingsSource } from '../core/ports.js';
import { CompiledPolicies } from '../core/policies/compiled.js';
import type { PolicyRepository } from './policies.js';
import type { SettingValues } from '../core/settings.js';
import type { ApiKeyRecord, ApiKeyRepository } from './api-keys.js';
import type { NotificationDefinition } from '../notifications/definition.js';
import type { GatewayDefinition, GatewayRepository } from './gateways.js';
import type { NotificationRepository } from './notifications.js';
import type { RadiusServerDefinition, RadiusServerRepository } from './radius-servers.js';
import type { RealmDefinition, RealmRepository } from './realms.js';
import type { SettingRepository } from './settings.js';
import type { UserStoreDefinition, UserStoreRepository } from './userstores.js';

export interface RevisionSource {
  configRevision(): Promise<string>;
}

export interface SiteConfigOptions {
  readonly settings: SettingRepository;
  readonly gateways: GatewayRepository;
  readonly revisions: RevisionSource;
  /** The user stores and realms (a daemon without them has none). */
  readonly userstores?: UserStoreRepository;
  readonly realms?: RealmRepository;
  /** The HTTP front's API keys (hashes and roles), so that no request reads the store for its key. */
  readonly apiKeys?: ApiKeyRepository;
  /** The notifications (a daemon without them sends none). */
  readonly notifications?: NotificationRepository;
  /** The RADIUS servers logins may be forwarded to (passthru=radius:NAME). */
  readonly radiusServers?: RadiusServerRepository;
  /** The policies (a daemon without them has none: the settings alone decide). */
  readonly policies?: PolicyRepository;
  readonly now?: () => number;
  /** Told when a probe fails after one that succeeded (once per outage). */
  readonly onError: (err: unknown) => void;
  /** Told when a probe succeeds after one that failed. */
  readonly onRecovered?: () => void;
  /** Told after every reload but the first, with the new revision. */
  readonly onReload?: (revision: string) => void;
}

const POLL_MS = 500;
/** Without a successful probe for this long the store counts as unreachable. */
const REACHABLE_MS = 1_500;

export class SiteConfig implements SettingsSource, PolicySource {
  private settings: SettingValues | undefined;
  private gatewayDefinitions = new Map<string, GatewayDefinition>();
  private notificationDefinitions: readonly NotificationDefinition[] = [];
  private radiusServerDefinitions = new Map<string, RadiusServerDefinition>();
  private revision: string | undefined;
  private directory: { revision: string; userstores: UserStoreDefinition[]; realms: RealmDefinition[] } = { revision: '', userstores: [], realms: [] };
  private apiKeysByHash = new Map<string, ApiKeyRecord>();
  private compiledPolicies = CompiledPolicies.none;
  private lastSuccess = -Infinity;
  private lastFailed = false;
  private polling = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SiteConfigOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Reads everything once (at start) and then polls in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  current(): SettingValues {
    if (!this.settings) throw new Error('site configuration read before start()');
    return this.settings;
  }

  async gateway(identifier: string): Promise<GatewayDefinition | undefined> {
    return this.gatewayDefinitions.get(identifier);
  }

  /** The module of a gateway (http, smpp...), undefined for an unknown identifier: a label of the SMS metrics. */
  gatewayModule(identifier: string): string | undefined {
    return this.gatewayDefinitions.get(identifier)?.module;
  }

  /** A RADIUS server logins may be forwarded to, undefined for a name none has. */
  radiusServer(identifier: string): RadiusServerDefinition | undefined {
    return this.radiusServerDefinitions.get(identifier);
  }

  /** The policies of the last revision read, compiled once for it. */
  policies(): CompiledPolicies {
    return this.compiledPolicies;
  }

  notifications(): readonly NotificationDefinition[] {
    return this.notificationDefinitions;
  }

  /** The user stores and realms, with the revision they were read at (it moves on every reload). */
  directorySnapshot(): { readonly revision: string; readonly userstores: readonly UserStoreDefinition[]; readonly realms: readonly RealmDefinition[] } {
    return this.directory;
  }

  /** The stored API key with this hash (src/crypto/api-key.ts), if any. */
  apiKey(keyHash: string): ApiKeyRecord | undefined {
    return this.apiKeysByHash.get(keyHash);
  }

  /** The store answered the last probe, and recently. */
  storeReachable(): boolean {
    return !this.lastFailed && this.now() - this.lastSuccess <= REACHABLE_MS;
  }

  /** Reloads when the revision moved; always when `force`. */
  async refresh(force = false): Promise<void> {
    const revision = await this.options.revisions.configRevision();
    this.lastSuccess = this.now();
    this.lastFailed = false;
    if (!force && revision === this.revision) return;
    // Read after the revision: a change landing meanwhile moves it again, and the next poll reloads.
    const [settings, gateways, userstores, realms, apiKeys, notifications, radiusServers, policies] = await Promise.all([
      this.options.settings.values(),
      this.options.gateways.list(),
      this.options.userstores?.list() ?? [],
      this.options.realms?.list() ?? [],
      this.options.apiKeys?.list() ?? [],
      this.options.notifications?.list() ?? [],
      this.options.radiusServers?.list() ?? [],
      this.options.policies?.list() ?? [],
    ]);
    this.radiusServerDefinitions = new Map(radiusServers.map((r) => [r.identifier, r]));
    this.compiledPolicies = CompiledPolicies.compile(policies);
    this.apiKeysByHash = new Map(apiKeys.map((k) => [k.keyHash, k]));
    this.settings = settings;
    this.notificationDefinitions = notifications;
    this.gatewayDefinitions = new Map(gateways.map((g) => [g.identifier, g]));
    this.directory = { revision, userstores, realms };
    const first = this.revision === undefined;
    this.revision = revision;
    if (!first) this.options.onReload?.(revision);
  }

  private async poll(): Promise<void> {
    if (this.polling) return; // a probe that hangs (store frozen) is not stacked up
    this.polling = true;
    const wasFailing = this.lastFailed;
    try {
      await this.refresh();
      if (wasFailing) this.options.onRecovered?.();
    } catch (err) {
      this.lastFailed = true;
      if (!wasFailing) this.options.onError(err);
    } finally {
      this.polling = false;
    }
  }
}
