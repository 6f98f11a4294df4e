import type { Knex } from 'knex';
import type { DatabaseConfig } from '../config/schema.js';
import { SecretBox } from '../crypto/secretbox.js';
import type { Keys } from '../crypto/keyfile.js';
import { AuditRepository } from './audit.js';
import { ChallengeRepository } from './challenges.js';
import { connect } from './connection.js';
import { GatewayRepository } from './gateways.js';
import { KeyCheck } from './key-check.js';
import { migrateLatest } from './migrations.js';
import { SettingRepository } from './settings.js';
import { SmtpServerRepository } from './smtp-servers.js';
import { TokenRepository } from './tokens.js';

/** The one source of truth shared by every daemon of a site and the CLI. */
export class Store {
  readonly tokens: TokenRepository;
  readonly challenges: ChallengeRepository;
  readonly gateways: GatewayRepository;
  readonly settings: SettingRepository;
  readonly audit: AuditRepository;
  readonly smtpServers: SmtpServerRepository;
  readonly keyCheck: KeyCheck;

  constructor(
    readonly knex: Knex,
    keys: Keys,
    readonly now: () => number = Date.now,
  ) {
    const box = new SecretBox(keys.encryption);
    this.tokens = new TokenRepository(knex, box, now);
    this.challenges = new ChallengeRepository(knex);
    this.gateways = new GatewayRepository(knex, box, now);
    this.settings = new SettingRepository(knex, now);
    this.audit = new AuditRepository(knex);
    this.smtpServers = new SmtpServerRepository(knex, box, now);
    this.keyCheck = new KeyCheck(knex, box);
  }

  static open(database: DatabaseConfig, keys: Keys, now?: () => number): Store {
    return new Store(connect(database), keys, now);
  }

  migrate(): Promise<string[]> {
    return migrateLatest(this.knex);
  }

  /** True when the store answers a trivial query. */
  async healthy(): Promise<boolean> {
    try {
      await this.knex.raw('select 1');
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.knex.destroy();
  }
}
