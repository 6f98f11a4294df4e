import type { Knex } from 'knex';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import { NotFoundError } from '../core/errors.js';
import { normaliseSetting, referenceOf, resolveSettings, type SettingKey, type SettingValues } from '../core/settings.js';

export class SettingRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async stored(): Promise<Map<string, string>> {
    const rows: Array<{ key: string; value: string }> = await this.knex('settings').select('key', 'value');
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** Every stored setting as written, known to this version or not, in key order. */
  entries(): Promise<Array<{ key: string; value: string }>> {
    return this.knex('settings').select('key', 'value').orderBy('key');
  }

  /** Every known setting, stored values over defaults, as the store has them now. */
  async values(): Promise<SettingValues> {
    return resolveSettings(await this.stored());
  }

  /**
   * Validates and stores several settings at once, all or none, with one revision move: every
   * value is validated before anything is written. Returns the canonical values in the order
   * given. A setting that names a gateway is refused when no such gateway exists, checked in
   * the same transaction as the write (which `gateway delete` also runs in), so the two cannot
   * pass each other.
   */
  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
    const values = entries.map(([key, raw]) => normaliseSetting(key, raw));
    await changeConfiguration(this.knex, async (trx) => {
      for (const [i, [key]] of entries.entries()) {
        const value = values[i]!;
        if (referenceOf(key as SettingKey) === 'gateway' && !(await trx('sms_gateways').where({ identifier: value }).first())) {
          throw new NotFoundError(
            `no gateway '${value}' for setting ${key}; define it first with 'gateway set ${value} --module ...' (see 'gateway list')`,
          );
        }
        await trx('settings').insert({ key, value, updated_at: this.now() }).onConflict('key').merge(['value', 'updated_at']);
      }
    });
    return values;
  }

  async unset(key: string): Promise<boolean> {
    // Nothing deleted moves no revision (every daemon would reload for nothing).
    return changeConfiguration(this.knex, async (trx) => ((await trx('settings').where({ key }).delete()) > 0 ? true : nothingChanged(false)));
  }
}
