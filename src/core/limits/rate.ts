// A rate as an operator writes it in a setting: `N/Ds|m|h`, at most N SMS in D seconds,
// minutes or hours ('5/10m'). Empty switches the limit off. One parser for the settings
// registry (which refuses what it cannot read) and the login core (which counts with it).

export interface Rate {
  readonly max: number;
  readonly windowMs: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** A counter row lives one window: a day at most keeps the store's limit table small. */
export const LONGEST_WINDOW_MS = 24 * UNIT_MS.h;
const RATE = /^([1-9][0-9]{0,5})\/([1-9][0-9]{0,4})([smh])$/;

export const RATE_RULE = 'N/Ds|m|h (at most N SMS in D seconds, minutes or hours, e.g. 5/10m; the window at most 24h), or nothing to switch the limit off';

/** The rate, null when the limit is off (''), or undefined when `raw` is not a rate. */
export function parseRate(raw: string): Rate | null | undefined {
  const value = raw.trim();
  if (value === '') return null;
  const m = RATE.exec(value);
  if (!m) return undefined;
  const windowMs = Number(m[2]) * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  if (windowMs > LONGEST_WINDOW_MS) return undefined;
  return { max: Number(m[1]), windowMs };
}
