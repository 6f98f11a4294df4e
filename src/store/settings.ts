import type { Knex } from 'knex';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import { NotFoundError } from '../core/errors.js';
import { normaliseSetting, referencedName, resolveSettings, type SettingKey, type SettingValues } from '../core/settings.js';

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
   * given. A setting that names a gateway (or a RADIUS server) is refused when none of that
   * name exists, checked in the same transaction as the write (which `gateway delete` and
   * `radius_server delete` also run in), so the two cannot pass each other.
   */
  async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
    const values = entries.map(([key, raw]) => normaliseSetting(key, raw));
    await changeConfiguration(this.knex, async (trx) => {
      for (const [i, [key]] of entries.entries()) {
        const value = values[i]!;
        const named = referencedName(key as SettingKey, value);
        if (named?.kind === 'gateway' && !(await trx('sms_gateways').where({ identifier: named.name }).first())) {
          throw new NotFoundError(
            `no gateway '${named.name}' for setting ${key}; define it first with 'gateway set ${named.name} --module ...' (see 'gateway list')`,
          );
        }
        if (named?.kind === 'radius_server' && !(await trx('radius_servers').where({ identifier: named.name }).first())) {
          throw new NotFoundError(
            `no RADIUS server '${named.name}' for setting ${key}; define it first with 'radius_server set ${named.name} --address HOST:PORT --secret-file FILE' (see 'radius_server list')`,
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
