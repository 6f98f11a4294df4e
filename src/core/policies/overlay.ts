// Authentication policies over the site settings: each winning action replaces the setting it
// takes over, for this login only. The site settings stay the defaults.
import { parseSetting, type SettingValues } from '../settings.js';
import { settingOf } from './actions.js';
import type { Evaluation } from './compiled.js';

export function overlaySettings(site: SettingValues, evaluation: Evaluation): SettingValues {
  if (evaluation.actions.size === 0) return site;
  const values: Record<string, unknown> = { ...site };
  for (const [key, decided] of evaluation.actions) {
    const setting = settingOf(key);
    if (setting) values[setting] = parseSetting(setting, decided.value);
  }
  return values as SettingValues;
}
