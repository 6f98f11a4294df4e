// Which realms a helpdesk member may see (the admin policy's adminrealm=): every helpdesk
// action and view asks here before it reads or changes a user's tokens. A user outside them is
// refused with one answer whether or not the user exists, so the helpdesk of one realm cannot
// probe another realm's user names.
import { SmsOtpError } from '../core/errors.js';
import { normaliseRealm } from '../core/names.js';
import type { Store } from '../store/index.js';

/** The realms an operator may see, by name; 'all': every realm (an admin, the CLI). */
export type AllowedRealms = readonly string[] | 'all';

/** A user, token or realm outside the realms the operator may see (HTTP 403); the same for one that does not exist. */
export class ForbiddenRealmError extends SmsOtpError {
  override name = 'ForbiddenRealmError';
  readonly code = 'ERR_FORBIDDEN_REALM';
}

/** The one message, whatever the reason: it must not tell "exists elsewhere" from "does not exist". */
export function forbidden(what: string): ForbiddenRealmError {
  return new ForbiddenRealmError(`${what}: not found in the realms you may see`);
}

/** Who acts, per call: the web front's signed-in person (`web:alice@corp`) and what they may see. */
export interface ActingAs {
  /** Named in every audit row this call writes; absent: the operator the service was made with. */
  readonly operator?: string;
  /** Absent: every realm (the CLI's operator). */
  readonly allowedRealms?: AllowedRealms;
}

export interface RealmScope {
  /** Whether tokens stored with this realm ('' for the default realm's) may be seen. */
  allows(storedRealm: string): boolean;
  /** The stored realm values to search in SQL ('' included when the default realm is allowed); 'all' for every realm. */
  readonly stored: readonly string[] | 'all';
}

/**
 * The scope of `allowed`. A token enrolled without a realm is stored with '' and belongs to
 * the default realm: it is seen by whoever may see the default realm.
 */
export async function realmScope(store: Store, allowed: AllowedRealms | undefined): Promise<RealmScope> {
  if (allowed === undefined || allowed === 'all') return { allows: () => true, stored: 'all' };
  const names = new Set(allowed.map(normaliseRealm));
  const defaultRealm = (await store.realms.list()).find((r) => r.isDefault)?.name;
  if (defaultRealm !== undefined && names.has(normaliseRealm(defaultRealm))) names.add('');
  return { allows: (realm) => names.has(normaliseRealm(realm)), stored: [...names] };
}
