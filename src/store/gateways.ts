import type { Knex } from 'knex';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import type { SecretBox } from '../crypto/secretbox.js';

export interface GatewayDefinition {
  readonly identifier: string;
  readonly description: string;
  readonly module: string;
  readonly options: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

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

/** What `gateway show` prints instead of a secret; sending it back keeps the stored secret. */
export const CENSORED = '__CENSORED__';

/**
 * Option and header names that hold credentials, sealed at rest and censored on display: the
 * providers' passwords and secrets, a modem's SIM PIN, and what HTTP APIs carry their keys in
 * (an Authorization header, a token or API key parameter). Not every name with KEY in it:
 * SMS_TEXT_KEY names a form field.
 */
export function isSecretKey(key: string): boolean {
  const upper = key.toUpperCase();
  return (
    upper.includes('PASSWORD') ||
    upper.includes('SECRET') ||
    upper === 'PIN' ||
    upper.includes('AUTHORIZATION') ||
    upper.includes('TOKEN') ||
    /API[-_]?KEY/.test(upper)
  );
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
   * Creates or replaces a gateway definition. A secret given as CENSORED keeps the value
   * already stored under that key (so a definition read with `show` can be written back).
   */
  async set(def: GatewayDefinition): Promise<void> {
    await changeConfiguration(this.knex, async (trx) => {
      const previous = await this.read(trx, def.identifier);
      await this.write(trx, def, previous);
    });
  }

  private async write(trx: Knex.Transaction, def: GatewayDefinition, previous: GatewayDefinition | undefined): Promise<void> {
    const resolve = (kind: Kind, key: string, value: string): string => {
      if (value !== CENSORED || !isSecretKey(key)) return value;
      const old = previous?.[kind === 'header' ? 'headers' : 'options'][key];
      if (old === undefined) throw new Error(`${key} is ${CENSORED} but no stored value exists to keep; give the real value`);
      return old;
    };
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
        for (const [key, raw] of Object.entries(entries)) {
          const value = resolve(kind, key, raw);
          const sealed = isSecretKey(key);
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

/** A copy of the definition safe to print or log. */
export function censor(def: GatewayDefinition): GatewayDefinition {
  const hide = (entries: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, isSecretKey(k) ? CENSORED : v]));
  return { ...def, options: hide(def.options), headers: hide(def.headers) };
}
