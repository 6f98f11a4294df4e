import type { Knex } from 'knex';
import { refuseIfPoliciesName } from './policies.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import type { SecretBox } from '../crypto/secretbox.js';
import { CENSORED, type GatewayDefinition } from '../gateways/definition.js';

export { CENSORED, type GatewayDefinition } from '../gateways/definition.js';

/** When a definition was created and last replaced (epoch milliseconds), for display. */
export interface DefinitionTimes {
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The times of definitions in `table`, by identifier (all of them, or the one named). */
export async function definitionTimes(knex: Knex, table: string, identifier?: string): Promise<Map<string, DefinitionTimes>> {
  const query = knex(table).select('identifier', 'created_at', 'updated_at');
  if (identifier !== undefined) query.where({ identifier });
  const rows: Array<{ identifier: string; created_at: number | string; updated_at: number | string }> = await query;
  return new Map(rows.map((r) => [r.identifier, { createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }]));
}

/** The setting naming the site's default gateway. */
const DEFAULT_GATEWAY_SETTING = 'sms.identifier';

/** What refers to a gateway: tokens that name it, and whether it is the site's default. */
export interface GatewayUsage {
  readonly tokens: number;
  readonly isDefault: boolean;
}

/**
 * Whether a value is sealed at rest: the gateway modules' declarations decide
 * (src/gateways/secrets.ts); the store only keeps the answer in each row's `sealed`.
 */
export type GatewaySecrecy = (module: string, kind: 'option' | 'header', key: string, value: string) => boolean;

/** A value that should be sealed but is stored in the clear (written by an earlier version). */
export interface ClearSecret {
  readonly identifier: string;
  readonly kind: 'option' | 'header';
  readonly key: string;
}

type Kind = 'option' | 'header';
const context = (identifier: string, kind: Kind, key: string) => `gateway:${identifier}:${kind}:${key}`;

interface OptionRow {
  gateway_id: number;
  kind: Kind;
  key: string;
  value: string;
  sealed: boolean | number;
}

export class GatewayRepository {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
    private readonly isSecret: GatewaySecrecy,
  ) {}

  get(identifier: string): Promise<GatewayDefinition | undefined> {
    return this.read(this.knex, identifier);
  }

  private async read(db: Knex, identifier: string): Promise<GatewayDefinition | undefined> {
    const gw = await db('sms_gateways').where({ identifier }).first();
    if (!gw) return undefined;
    const rows: OptionRow[] = await db('sms_gateway_options').where({ gateway_id: gw.id }).orderBy(['kind', 'key']);
    const options: Record<string, string> = {};
    const headers: Record<string, string> = {};
    for (const row of rows) {
      const value = row.sealed ? this.box.openString(row.value, context(identifier, row.kind, row.key)) : row.value;
      (row.kind === 'header' ? headers : options)[row.key] = value;
    }
    return { identifier, description: gw.description, module: gw.module, options, headers };
  }

  /** Created and updated times, by identifier (all gateways, or the one named). */
  times(identifier?: string): Promise<Map<string, DefinitionTimes>> {
    return definitionTimes(this.knex, 'sms_gateways', identifier);
  }

  /** Every gateway's identifier and module, without opening anything sealed. */
  identifiers(): Promise<Array<{ identifier: string; module: string }>> {
    return this.knex('sms_gateways').select('identifier', 'module').orderBy('identifier');
  }

  async exists(identifier: string): Promise<boolean> {
    return (await this.knex('sms_gateways').where({ identifier }).first('identifier')) !== undefined;
  }

  async list(): Promise<GatewayDefinition[]> {
    const ids: Array<{ identifier: string }> = await this.knex('sms_gateways').select('identifier').orderBy('identifier');
    const out: GatewayDefinition[] = [];
    for (const { identifier } of ids) {
      const def = await this.get(identifier);
      if (def) out.push(def);
    }
    return out;
  }

  /**
   * Creates or replaces a gateway definition, its secrets sealed. A censored value must already
   * be resolved to the stored one it stands for (src/gateways/secrets.ts, restoreCensored).
   */
  async set(def: GatewayDefinition): Promise<void> {
    await changeConfiguration(this.knex, async (trx) => {
      await this.write(trx, def);
    });
  }

  /**
   * The upgrade path for values an earlier version stored in the clear that the declarations
   * now call secret (header values, URL credentials): sealed in place, in one transaction. The
   * definitions do not change, so the configuration revision does not move. Returns what it sealed.
   */
  async sealStoredSecrets(): Promise<ClearSecret[]> {
    return this.knex.transaction(async (trx) => {
      const found = await this.clearSecrets(trx);
      for (const { row, identifier } of found) {
        await trx('sms_gateway_options')
          // Unless a change landed meanwhile: that one was sealed as it was written.
          .where({ gateway_id: row.gateway_id, kind: row.kind, key: row.key, value: row.value })
          .update({ value: this.box.seal(row.value, context(identifier, row.kind, row.key)), sealed: true });
      }
      return found.map(({ identifier, row }) => ({ identifier, kind: row.kind, key: row.key }));
    });
  }

  /** The values that should be sealed but are stored in the clear (for `check`). */
  async storedInClear(): Promise<ClearSecret[]> {
    return (await this.clearSecrets(this.knex)).map(({ identifier, row }) => ({ identifier, kind: row.kind, key: row.key }));
  }

  private async clearSecrets(db: Knex): Promise<Array<{ identifier: string; row: OptionRow }>> {
    const rows: Array<OptionRow & { identifier: string; module: string }> = await db('sms_gateway_options')
      .join('sms_gateways', 'sms_gateways.id', 'sms_gateway_options.gateway_id')
      .select('sms_gateway_options.*', 'sms_gateways.identifier', 'sms_gateways.module')
      .orderBy(['sms_gateways.identifier', 'sms_gateway_options.kind', 'sms_gateway_options.key']);
    return rows
      .filter((r) => !r.sealed && this.isSecret(r.module, r.kind, r.key, r.value))
      .map((r) => ({ identifier: r.identifier, row: { gateway_id: r.gateway_id, kind: r.kind, key: r.key, value: r.value, sealed: r.sealed } }));
  }

  /** Creates or replaces a definition inside the caller's transaction (which moves the revision). */
  async write(trx: Knex.Transaction, def: GatewayDefinition): Promise<void> {
    {
      const now = this.now();
      let id: number;
      const existing = await trx('sms_gateways').where({ identifier: def.identifier }).first();
      if (existing) {
        id = existing.id;
        await trx('sms_gateways').where({ id }).update({ description: def.description, module: def.module, updated_at: now });
        await trx('sms_gateway_options').where({ gateway_id: id }).delete();
      } else {
        const inserted: Array<{ id: number } | number> = await trx('sms_gateways').insert(
          { identifier: def.identifier, description: def.description, module: def.module, created_at: now, updated_at: now },
          ['id'],
        );
        const first = inserted[0];
        id = typeof first === 'object' && first !== null ? first.id : Number(first);
      }
      const rows: OptionRow[] = [];
      for (const [kind, entries] of [['option', def.options], ['header', def.headers]] as const) {
        for (const [key, value] of Object.entries(entries)) {
          const sealed = this.isSecret(def.module, kind, key, value);
          rows.push({
            gateway_id: id,
            kind,
            key,
            value: sealed ? this.box.seal(value, context(def.identifier, kind, key)) : value,
            sealed,
          });
        }
      }
      if (rows.length) await trx('sms_gateway_options').insert(rows);
    }
  }

  /**
   * Deletes a gateway unless `decide`, shown what uses it, throws (which rolls everything
   * back). What used it is let go in the same transaction: its tokens return to the site
   * default (gateway NULL) and a default naming it is unset, so nothing names a gateway that
   * does not exist. Returns undefined when there is no such gateway.
   */
  async delete(identifier: string, decide: (usage: GatewayUsage) => void = () => undefined): Promise<GatewayUsage | undefined> {
    return changeConfiguration(this.knex, async (trx) => {
      const gw = await trx('sms_gateways').where({ identifier }).first();
      if (!gw) return nothingChanged(undefined);
      await refuseIfPoliciesName(trx, 'smsgateway', identifier, `gateway '${identifier}'`);
      const counted: Array<{ n: number | string }> = await trx('tokens').where({ gateway: identifier }).count({ n: '*' });
      const setting = await trx('settings').where({ key: DEFAULT_GATEWAY_SETTING }).first();
      const usage: GatewayUsage = { tokens: Number(counted[0]?.n ?? 0), isDefault: setting?.value === identifier };
      decide(usage);
      if (usage.tokens > 0) await trx('tokens').where({ gateway: identifier }).update({ gateway: null, updated_at: this.now() });
      if (usage.isDefault) await trx('settings').where({ key: DEFAULT_GATEWAY_SETTING }).delete();
      await trx('sms_gateways').where({ id: gw.id }).delete();
      return usage;
    });
  }
}
