import type { Knex } from 'knex';
import type { DatabaseConfig } from '../config/schema.js';
import { SecretBox } from '../crypto/secretbox.js';
import type { Keys } from '../crypto/keyfile.js';
import { ApiKeyRepository } from './api-keys.js';
import { AuditRepository } from './audit.js';
import { AuditStatsRepository } from './audit-stats.js';
import { connect } from './connection.js';
import { GatewayRepository, type GatewaySecrecy } from './gateways.js';
import { GatewayHealthRepository } from './gateway-health.js';
import { KeyCheck } from './key-check.js';
import { PolicyRepository } from './policies.js';
import { migrateLatest } from './migrations/index.js';
import { SessionRepository } from './sessions.js';
import { SettingRepository } from './settings.js';
import { SmtpServerRepository } from './smtp-servers.js';
import { RadiusServerRepository } from './radius-servers.js';
import { PgAuthStore } from './auth/pg.js';
import { SqliteAuthStore } from './auth/sqlite.js';
import { TokenDecoder, TokenRepository } from './tokens.js';
import { TokenSearchRepository } from './token-search.js';
import { LoginKeys } from './auth/login-keys.js';
import { RealmRepository } from './realms.js';
import { KnownClientRepository, NotificationRepository } from './notifications.js';
import { UserStoreRepository } from './userstores.js';
import { MigrationWriter } from './migrated.js';
import { WebSessionRepository } from './web-sessions.js';
import { PhoneVerificationRepository } from './phone-verifications.js';

/**
 * What the store needs decided by the adapters whose definitions it keeps, given by the
 * composition root (src/main/store-adapters.ts): the store imports no adapter's behaviour.
 */
export interface StoreAdapters {
  /** Which gateway values are sealed at rest: the modules' declarations say (src/gateways/secrets.ts). */
  readonly gatewaySecrecy: GatewaySecrecy;
  /** How long a failover member stays blocked after its n-th consecutive failure (src/gateways/health.ts). */
  readonly blockDuration: (failures: number) => number;
}

/** The one source of truth shared by every daemon of a site and the CLI. */
export class Store {
  readonly tokens: TokenRepository;
  readonly gateways: GatewayRepository;
  readonly gatewayHealth: GatewayHealthRepository;
  readonly settings: SettingRepository;
  readonly audit: AuditRepository;
  readonly auditStats: AuditStatsRepository;
  readonly tokenSearch: TokenSearchRepository;
  readonly smtpServers: SmtpServerRepository;
  readonly radiusServers: RadiusServerRepository;
  readonly keyCheck: KeyCheck;
  readonly userstores: UserStoreRepository;
  readonly realms: RealmRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly notifications: NotificationRepository;
  readonly knownClients: KnownClientRepository;
  readonly sessions: SessionRepository;
  readonly migrated: MigrationWriter;
  readonly policies: PolicyRepository;
  readonly webSessions: WebSessionRepository;
  readonly phoneVerifications: PhoneVerificationRepository;
  private readonly box: SecretBox;

  constructor(
    readonly knex: Knex,
    keys: Keys,
    adapters: StoreAdapters,
    readonly now: () => number = Date.now,
    private readonly database?: DatabaseConfig,
  ) {
    const box = new SecretBox(keys.encryption);
    this.box = box;
    this.tokens = new TokenRepository(knex, box, now);
    this.gateways = new GatewayRepository(knex, box, now, adapters.gatewaySecrecy);
    this.gatewayHealth = new GatewayHealthRepository(knex, adapters.blockDuration);
    this.settings = new SettingRepository(knex, now);
    this.audit = new AuditRepository(knex);
    this.auditStats = new AuditStatsRepository(knex);
    this.tokenSearch = new TokenSearchRepository(knex);
    this.smtpServers = new SmtpServerRepository(knex, box, now);
    this.radiusServers = new RadiusServerRepository(knex, box, now);
    this.keyCheck = new KeyCheck(knex, box);
    this.userstores = new UserStoreRepository(knex, box, now);
    this.realms = new RealmRepository(knex, now);
    this.apiKeys = new ApiKeyRepository(knex, now);
    this.notifications = new NotificationRepository(knex, now);
    this.knownClients = new KnownClientRepository(knex);
    this.sessions = new SessionRepository(knex);
    this.migrated = new MigrationWriter(knex, box, now, this.gateways, this.smtpServers);
    this.policies = new PolicyRepository(knex, now);
    this.webSessions = new WebSessionRepository(knex);
    this.phoneVerifications = new PhoneVerificationRepository(knex);
  }

  static open(database: DatabaseConfig, keys: Keys, adapters: StoreAdapters, now?: () => number): Store {
    return new Store(connect(database), keys, adapters, now, database);
  }

  /**
   * The login hot path's own connection(s) to the same database: prepared statements and
   * batched commits, apart from knex (which keeps migrations and administration).
   */
  openAuthStore(onError: (err: Error) => void): SqliteAuthStore | PgAuthStore {
    if (!this.database) throw new Error('Store.openAuthStore needs the database configuration (use Store.open)');
    const decoder = new TokenDecoder(this.box);
    const keys = new LoginKeys(this.box);
    if (this.database.client === 'sqlite') return new SqliteAuthStore(this.database.filename, decoder, keys, this.now);
    return new PgAuthStore({ url: this.database.url, max: this.database.pool?.max ?? 10, onError }, decoder, keys);
  }

  /** One round trip: throws what the driver says when the store cannot be used. */
  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  /**
   * The States of the challenges and pending enrollments still open at `now`, with their
   * expiry: read once at start, to know how long States of an earlier release stay valid.
   */
  async openTransactions(now: number): Promise<Array<{ transactionId: string; expiresAt: number }>> {
    const rows = (await this.knex
      .select('transaction_id', 'expires_at')
      .from('challenges')
      .where('expires_at', '>', now)
      .unionAll((q) => q.select('transaction_id', 'expires_at').from('pending_enrollments').where('expires_at', '>', now))) as Array<{
      transaction_id: string;
      expires_at: number | string;
    }>;
    return rows.map((r) => ({ transactionId: r.transaction_id, expiresAt: Number(r.expires_at) }));
  }

  migrate(): Promise<string[]> {
    return migrateLatest(this.knex);
  }

  close(): Promise<void> {
    return this.knex.destroy();
  }
}
