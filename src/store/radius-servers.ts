// The RADIUS servers logins without a token may be forwarded to (passthru=radius:NAME), their
// secret sealed with the key file. Every change moves the configuration revision, so every
// node has it in memory within a second (src/store/site-config.ts).
import type { Knex } from 'knex';
import { refuseIfPoliciesName } from './policies.js';
import { RefusedError } from '../core/errors.js';
import { PASSTHRU_RADIUS_PREFIX } from '../core/settings.js';
import type { SecretBox } from '../crypto/secretbox.js';
import type { RadiusServerDefinition } from '../radius-upstream/definition.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import { definitionTimes, type DefinitionTimes } from './gateways.js';

export type { RadiusServerDefinition } from '../radius-upstream/definition.js';

interface Row {
  identifier: string;
  description: string;
  host: string;
  port: number;
  secret: string;
  timeout_ms: number;
  require_message_authenticator: boolean | number;
}

const secretContext = (identifier: string) => `radius_server:${identifier}:secret`;

export class RadiusServerRepository {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  private fromRow(row: Row): RadiusServerDefinition {
    return {
      identifier: row.identifier,
      description: row.description,
      host: row.host,
      port: Number(row.port),
      secret: this.box.openString(row.secret, secretContext(row.identifier)),
      timeout: Number(row.timeout_ms) / 1000,
      requireMessageAuthenticator: Boolean(row.require_message_authenticator),
    };
  }

  async get(identifier: string): Promise<RadiusServerDefinition | undefined> {
    const row: Row | undefined = await this.knex('radius_servers').where({ identifier }).first();
    return row ? this.fromRow(row) : undefined;
  }

  /** Created and updated times, by identifier (all servers, or the one named). */
  times(identifier?: string): Promise<Map<string, DefinitionTimes>> {
    return definitionTimes(this.knex, 'radius_servers', identifier);
  }

  /** Every server's identifier, without opening anything sealed. */
  async identifiers(): Promise<string[]> {
    return ((await this.knex('radius_servers').select('identifier').orderBy('identifier')) as Array<{ identifier: string }>).map((r) => r.identifier);
  }

  async list(): Promise<RadiusServerDefinition[]> {
    const rows: Row[] = await this.knex('radius_servers').orderBy('identifier');
    return rows.map((r) => this.fromRow(r));
  }

  /** Creates or replaces a definition (the secret sealed). */
  async set(def: RadiusServerDefinition): Promise<void> {
    const now = this.now();
    const row = {
      identifier: def.identifier,
      description: def.description,
      host: def.host,
      port: def.port,
      secret: this.box.seal(def.secret, secretContext(def.identifier)),
      timeout_ms: Math.round(def.timeout * 1000),
      require_message_authenticator: def.requireMessageAuthenticator,
      updated_at: now,
    };
    await changeConfiguration(this.knex, (trx) => trx('radius_servers').insert({ ...row, created_at: now }).onConflict('identifier').merge(row));
  }

  /**
   * Deletes a server unless the passthru setting forwards to it (refused, saying how to
   * proceed), in one transaction with the check, as `setting set` checks the other way round.
   * False when there is no such server.
   */
  async delete(identifier: string): Promise<boolean> {
    return changeConfiguration(this.knex, async (trx) => {
      const passthru = await trx('settings').where({ key: 'passthru' }).first();
      if (passthru?.value === `${PASSTHRU_RADIUS_PREFIX}${identifier}`) {
        throw new RefusedError(`RADIUS server '${identifier}' is in use: setting passthru forwards to it; 'setting set passthru false' (or another server) first`);
      }
      await refuseIfPoliciesName(trx, 'passthru', `${PASSTHRU_RADIUS_PREFIX}${identifier}`, `RADIUS server '${identifier}'`);
      return (await trx('radius_servers').where({ identifier }).delete()) > 0 ? true : nothingChanged(false);
    });
  }
}
