import type { Knex } from 'knex';
import { changeConfiguration } from './config-revision.js';
import { normaliseSetting, resolveSettings, type SettingValues } from '../settings/registry.js';

export class SettingRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async stored(): Promise<Map<string, string>> {
    const rows: Array<{ key: string; value: string }> = await this.knex('settings').select('key', 'value');
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** Every known setting, stored values over defaults, as the store has them now. */
  async values(): Promise<SettingValues> {
    return resolveSettings(await this.stored());
  }

  /** Validates and stores; returns the canonical value. */
  async set(key: string, raw: string): Promise<string> {
    const value = normaliseSetting(key, raw);
    await changeConfiguration(this.knex, (trx) =>
      trx('settings').insert({ key, value, updated_at: this.now() }).onConflict('key').merge(['value', 'updated_at']),
    );
    return value;
  }

  async unset(key: string): Promise<boolean> {
    return (await changeConfiguration(this.knex, (trx) => trx('settings').where({ key }).delete())) > 0;
  }
}
