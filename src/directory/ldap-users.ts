// Finding a person in a user store: the user store's filter AND (attribute = the name as
// typed). The filter is built from ldapts's filter objects and sent as BER, so a name is only
// ever a value: `*`, `)(uid=*` or `\2a` in it match those characters literally (RFC 4515's
// escaping is what the string form needs; here there is no string form to escape).
import { AndFilter, EqualityFilter, FilterParser, SizeLimitExceededError, type Client, type Entry, type Filter } from 'ldapts';
import { SmsOtpError } from '../core/errors.js';
import type { UserStoreAttributes } from './definition.js';

/** What the directory says of a person, in the user store's terms. */
export interface LdapPerson {
  readonly dn: string;
  /** The value of the login attribute, as the directory spells it. */
  readonly login: string;
  readonly givenname?: string;
  readonly surname?: string;
  readonly email?: string;
  readonly mobile?: string;
  /** The DNs the user store's group attribute lists (AD's memberOf); absent when it has none configured. */
  readonly groupDns?: readonly string[];
}

export type SearchOutcome =
  | { readonly found: LdapPerson }
  | { readonly found?: undefined; readonly matches: 0 | 'several' };

/** A user store's --search-filter that is not an LDAP filter. */
export class SearchFilterError extends SmsOtpError {
  override name = 'SearchFilterError';
  readonly code = 'ERR_INVALID_FILTER';
}

/** Parses an operator's filter (it is theirs, not a user's: it may use any filter syntax). */
export function parseSearchFilter(text: string, option = '--search-filter', example = '(objectClass=user)'): Filter {
  const wrapped = text.trim().startsWith('(') ? text.trim() : `(${text.trim()})`;
  try {
    return FilterParser.parseString(wrapped);
  } catch (err) {
    throw new SearchFilterError(`${option} '${text}' is not an LDAP filter: ${(err as Error).message}; e.g. '${example}'`);
  }
}

/** Entries per page of a listing (below Active Directory's MaxPageSize of 1000). */
const PAGE_SIZE = 500;

/**
 * The login names of everyone the user store's filter (AND `extra`) matches, read in pages
 * (RFC 2696), as a directory of thousands answers no single search with all of them.
 */
export async function listLogins(client: Client, spec: SearchSpec, extra?: Filter): Promise<string[]> {
  const filter = extra ? new AndFilter({ filters: [spec.filter, extra] }) : spec.filter;
  const login = spec.attributes.login;
  const logins: string[] = [];
  const pages = client.searchPaginated(spec.baseDn, { scope: 'sub', filter, attributes: [login], paged: { pageSize: PAGE_SIZE } });
  for await (const page of pages) {
    for (const entry of page.searchEntries) {
      const value = firstValue(entry, login);
      if (value !== undefined) logins.push(value);
    }
  }
  return logins;
}

export interface SearchSpec {
  readonly baseDn: string;
  readonly filter: Filter;
  readonly attributes: UserStoreAttributes;
  /** The attribute listing a person's groups, read with the person ('' for none). */
  readonly groupAttribute: string;
  /** Seconds the server may spend on the search. */
  readonly timeLimit: number;
}

/**
 * Looks up `value` in `attribute` (the login attribute, the UPN's, or the one privacyIDEA named
 * a user by: octets for a binary one such as objectGUID); one match or none.
 */
export async function searchPerson(client: Client, spec: SearchSpec, attribute: string, value: string | Buffer): Promise<SearchOutcome> {
  const a = spec.attributes;
  const filter = new AndFilter({ filters: [spec.filter, new EqualityFilter({ attribute, value })] });
  let entries: Entry[];
  try {
    ({ searchEntries: entries } = await client.search(spec.baseDn, {
      scope: 'sub',
      filter,
      attributes: [a.login, a.mobile, a.givenname, a.surname, a.email, spec.groupAttribute].filter(Boolean),
      sizeLimit: 2,
      timeLimit: spec.timeLimit,
    }));
  } catch (err) {
    if (err instanceof SizeLimitExceededError) return { matches: 'several' };
    throw err;
  }
  if (entries.length > 1) return { matches: 'several' };
  const entry = entries[0];
  if (!entry) return { matches: 0 };
  // Found by the name typed (login attribute or UPN), that name stands in where the server
  // returns no login attribute; found by an id, a person without a login name is nobody to log in.
  const byName = attribute === a.login || attribute === a.upn;
  const login = firstValue(entry, a.login) ?? (byName && typeof value === 'string' ? value : undefined);
  if (login === undefined) return { matches: 0 };
  return {
    found: {
      dn: entry.dn,
      login,
      ...optional('givenname', firstValue(entry, a.givenname)),
      ...optional('surname', firstValue(entry, a.surname)),
      ...optional('email', firstValue(entry, a.email)),
      ...optional('mobile', firstValue(entry, a.mobile)),
      ...(spec.groupAttribute ? { groupDns: allValues(entry, spec.groupAttribute) } : {}),
    },
  };
}

/** The first value of an attribute, its name compared without case (servers spell names their way). */
export function firstValue(entry: Entry, attribute: string): string | undefined {
  return allValues(entry, attribute)[0];
}

/** Every non-empty value of an attribute, as text. */
function allValues(entry: Entry, attribute: string): string[] {
  if (!attribute) return [];
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).filter((t) => t !== '');
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
