// The helpdesk's search box: a part of a user name, or a part of a phone number as people
// type it ('0170 123', '+49170123', '49 170-123'), over the realms the helpdesk may see. The
// database compares digits only (src/store/token-search.ts); this module turns what was typed
// into the digit patterns, so that a national number finds the international one it means.
import { redactPhone } from '../core/redact.js';
import type { Store } from '../store/index.js';
import { likeLiteral } from '../store/token-search.js';
import { realmScope, type AllowedRealms } from './realm-guard.js';

export const DEFAULT_SEARCH_LIMIT = 50;
/** A larger limit asked for is cut to this: one page, not the whole table. */
const MAX_SEARCH_LIMIT = 500;
/** Fewer digits than this match too many numbers to mean one: the phone is not searched (the name still is). */
const MIN_PHONE_DIGITS = 3;

export interface UserSearchRequest {
  readonly query: string;
  readonly allowedRealms: AllowedRealms;
  /** Default DEFAULT_SEARCH_LIMIT; cut to 1 .. 500. */
  readonly limit?: number;
}

export interface UserSearchHit {
  readonly username: string;
  readonly realm: string;
  /** How many tokens the user has. */
  readonly tokens: number;
  /** One of the user's numbers, redacted as in the audit trail ('' when the number is the user store's). */
  readonly phone: string;
  /** A token's fail counter has reached its maxfail (and no clear timeout has lifted it). */
  readonly locked: boolean;
  /** At least one token is enabled. */
  readonly active: boolean;
}

export interface UserSearchResult {
  readonly users: readonly UserSearchHit[];
  /** More users match than were returned: the helpdesk types more. */
  readonly more: boolean;
}

/**
 * The LIKE patterns over a stored phone's digits that what was typed means, or none when it is
 * no phone number (letters in it, or too few digits). International ('+49 170', '0049 170'):
 * its digits anywhere. National ('0170 123'): as stored nationally, and with the default
 * country code in front of the number without its 0 (as stored internationally, with + or
 * 00); without a default country code, the digits after the 0 anywhere.
 */
export function phonePatterns(typed: string, defaultCountryCode: string): string[] {
  const trimmed = typed.trim();
  if (!/^\+?[0-9 ().\/-]+$/.test(trimmed)) return [];
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < MIN_PHONE_DIGITS) return [];
  const anywhere = (d: string) => `%${likeLiteral(d)}%`;
  if (trimmed.startsWith('+')) return [anywhere(digits)];
  if (digits.startsWith('00')) return [anywhere(digits.slice(2))];
  if (!digits.startsWith('0')) return [anywhere(digits)];
  const national = digits.slice(1);
  if (defaultCountryCode === '') return [anywhere(national)];
  // '49170…' and '0049170…' as stored: the country code starts the number (after a 00).
  return [anywhere(digits), `${defaultCountryCode}${national}%`, `00${defaultCountryCode}${national}%`];
}

export class UserSearch {
  constructor(private readonly store: Store) {}

  async search(request: UserSearchRequest): Promise<UserSearchResult> {
    const limit = Math.min(Math.max(1, Math.trunc(request.limit ?? DEFAULT_SEARCH_LIMIT)), MAX_SEARCH_LIMIT);
    const query = request.query.trim();
    if (query === '') return { users: [], more: false };
    const [scope, settings] = await Promise.all([realmScope(this.store, request.allowedRealms), this.store.settings.values()]);
    if (scope.stored !== 'all' && scope.stored.length === 0) return { users: [], more: false };
    const timeout = settings.failcounter_clear_timeout;
    const found = await this.store.tokenSearch.users({
      username: query,
      phoneDigits: phonePatterns(query, settings['sms.default_country_code']),
      realms: scope.stored,
      limit,
      lockClearedBefore: timeout > 0 ? this.store.now() - timeout * 60_000 : null,
    });
    return {
      users: found.slice(0, limit).map((u) => ({ ...u, phone: u.phone === '' ? '' : redactPhone(u.phone) })),
      more: found.length > limit,
    };
  }
}
