// Authentication policies over the site settings: each winning action replaces the setting it
// takes over, for this login only. The site settings stay the defaults. The overlaid object is
// made once per site settings object (a reload makes a new one) and set of winning values:
// logins repeat the same few combinations, and a copy of every setting per login showed in
// the bench's round 2.
import { parseSetting, type SettingValues } from '../settings.js';
import { settingOf } from './actions.js';
import type { Evaluation } from './compiled.js';

const overlays = new WeakMap<SettingValues, Map<string, SettingValues>>();
const PER_SITE_MAX = 1024;

export function overlaySettings(site: SettingValues, evaluation: Evaluation): SettingValues {
  if (evaluation.actions.size === 0) return site;
  let made = overlays.get(site);
  if (!made) {
    made = new Map();
    overlays.set(site, made);
  }
  let key = '';
  for (const [action, decided] of evaluation.actions) key += `${action}\u0000${decided.value}\u0001`;
  const known = made.get(key);
  if (known) return known;
  const values: Record<string, unknown> = { ...site };
  for (const [action, decided] of evaluation.actions) {
    const setting = settingOf(action);
    if (setting) values[setting] = parseSetting(setting, decided.value);
  }
  if (made.size >= PER_SITE_MAX) made.clear();
  made.set(key, values as SettingValues);
  return values as SettingValues;
}
