// The group search of a user store: the groups under --group-base whose filter names the
// person's DN (`member={dn}`, or AD's in-chain rule for nested groups), each named by its cn.
// Read in pages (RFC 2696): a person may be in more groups than a server sends at once.
import { ResultCodeError, type Client } from 'ldapts';
import { groupNameOfDn } from './dn.js';
import { groupFilter } from './group-parameters.js';
import { firstValue } from './ldap-users.js';

const PAGE_SIZE = 500;

export interface GroupSearch {
  readonly base: string;
  /** The filter with `{dn}` for the person's DN. */
  readonly filter: string;
  /** Seconds the server may spend. */
  readonly timeLimit: number;
}

export type GroupSearchOutcome =
  | { readonly names: string[] }
  /** The directory answered with a refusal (no such base, a filter it cannot evaluate). */
  | { readonly refused: ResultCodeError };

/** The names of the groups `search` finds for the person at `dn`. */
export async function searchGroups(client: Client, search: GroupSearch, dn: string): Promise<GroupSearchOutcome> {
  const names: string[] = [];
  try {
    const pages = client.searchPaginated(search.base, {
      scope: 'sub',
      filter: groupFilter(search.filter, dn),
      attributes: ['cn'],
      timeLimit: search.timeLimit,
      paged: { pageSize: PAGE_SIZE },
    });
    for await (const page of pages) {
      for (const entry of page.searchEntries) names.push(firstValue(entry, 'cn') ?? groupNameOfDn(entry.dn) ?? entry.dn);
    }
  } catch (err) {
    // The directory's answer, said once and the same by every server: not a reason to try another.
    if (err instanceof ResultCodeError) return { refused: err };
    throw err;
  }
  return { names };
}

/** The names of groups listed by DN (memberOf): each DN's cn; a DN that does not parse is kept whole. */
export function namesOfGroupDns(dns: readonly string[]): string[] {
  return dns.map((dn) => groupNameOfDn(dn) ?? dn);
}

/** Sorted, each name once. */
export function mergeGroupNames(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort((a, b) => a.localeCompare(b));
}
