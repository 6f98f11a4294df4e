// Reading and changing the site-wide settings: the application layer the CLI's `setting`
// commands and the HTTP admin API (/system/) both use. Values are validated by the registry
// (src/core/settings.ts), whose errors name the key; every change moves the
// configuration revision, so every daemon applies it within a second.
import { SETTINGS, SettingError, isSettingKey, resolveSettings, type SettingKey, type SettingValues } from '../core/settings.js';
import type { Store } from '../store/index.js';

/** One setting for people and scripts: the typed effective value and where it comes from. */
export interface SettingView {
  readonly key: SettingKey;
  readonly value: SettingValues[SettingKey];
  readonly source: 'store' | 'default';
  readonly meaning: string;
}

function settingView(key: SettingKey, stored: ReadonlyMap<string, string>): SettingView {
  return { key, value: resolveSettings(stored)[key], source: stored.has(key) ? 'store' : 'default', meaning: SETTINGS[key].help };
}

/** What a change did to one setting. */
export interface SettingChange {
  readonly key: string;
  /** The canonical value stored. */
  readonly value: string;
  /** The effective value before (null: unset and without a default). */
  readonly before: unknown;
  /** It was not stored before (privacyIDEA's "insert", else "update"). */
  readonly inserted: boolean;
}

export class SettingsAdmin {
  constructor(private readonly store: Store) {}

  async list(): Promise<SettingView[]> {
    const stored = await this.store.settings.stored();
    return (Object.keys(SETTINGS) as SettingKey[]).map((key) => settingView(key, stored));
  }

  async get(key: string): Promise<SettingView> {
    return settingView(knownKey(key), await this.store.settings.stored());
  }

  /** Sets each key to its value, all or none (nothing is stored when one value is wrong). */
  async set(entries: ReadonlyArray<readonly [string, string]>): Promise<SettingChange[]> {
    if (entries.length === 0) throw new SettingError('no setting given: name at least one key and its value');
    const stored = await this.store.settings.stored();
    const before = resolveSettings(stored);
    const values = await this.store.settings.setMany(entries);
    return entries.map(([key], i) => ({
      key,
      value: values[i]!,
      before: before[key as SettingKey],
      inserted: !stored.has(key),
    }));
  }

  /** Returns the setting to its default; returns the value it had. */
  async unset(key: string): Promise<{ readonly key: SettingKey; readonly before: unknown; readonly now: unknown }> {
    const known = knownKey(key);
    const before = (await this.store.settings.values())[known];
    await this.store.settings.unset(known);
    return { key: known, before, now: SETTINGS[known].default };
  }
}

function knownKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw new SettingError(`unknown setting '${key}'; see 'setting list'`);
  return key;
}
