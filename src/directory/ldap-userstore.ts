// One user store as the login sees it: find a person by login name or UPN (cached for
// userstore.cache_seconds), read their groups (cached as long, one search at most), and check
// a person's password with a bind.
import { NoSuchObjectError, type Filter } from 'ldapts';
import { DirectoryUnavailable, RequestShed } from '../core/errors.js';
import type { UserStoreDefinition } from './definition.js';
import { describeLdapError, LdapConnections } from './ldap-connections.js';
import { mergeGroupNames, namesOfGroupDns, searchGroups } from './ldap-groups.js';
import { listLogins, parseSearchFilter, searchPerson, type LdapPerson, type SearchOutcome, type SearchSpec } from './ldap-users.js';
import { UserCache } from './user-cache.js';

export interface LdapUserStoreOptions {
  /** How long what the directory said is kept (0: not at all). */
  readonly cacheMs: () => number;
  readonly now?: () => number;
}

/** A person and, when the user store reads groups, the names of their groups. */
export type LookupOutcome = SearchOutcome & { readonly groups?: readonly string[] };

export class LdapUserStore {
  readonly connections: LdapConnections;
  private readonly spec: SearchSpec;
  private readonly cache: UserCache<SearchOutcome>;
  private readonly groupCache: UserCache<string[]>;
  private readonly now: () => number;

  constructor(
    readonly definition: UserStoreDefinition,
    options: LdapUserStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.connections = new LdapConnections(definition, this.now);
    const filter: Filter = parseSearchFilter(definition.searchFilter);
    this.spec = {
      baseDn: definition.baseDn,
      filter,
      attributes: definition.attributes,
      groupAttribute: definition.groups.attribute,
      timeLimit: definition.timeout,
    };
    this.cache = new UserCache(options.cacheMs, this.now);
    this.groupCache = new UserCache(options.cacheMs, this.now);
  }

  /** The person whose login attribute is `name` (as the directory compares it). */
  find(name: string): Promise<SearchOutcome> {
    return this.cache.get(`login:${name}`, () => this.search(this.definition.attributes.login, name));
  }

  /**
   * The person and their groups. The group search (when there is one) has the user store's
   * timeout, as every operation, and never outlasts `deadline` (the login's: the NAS has
   * given up by then).
   * A group search the directory cannot answer fails the lookup (DirectoryUnavailable):
   * a login must not pass a group condition because the groups could not be read.
   */
  async lookup(name: string, deadline?: number): Promise<LookupOutcome> {
    const outcome = await this.find(name);
    if (!outcome.found || !this.readsGroups()) return outcome;
    const person = outcome.found;
    const fromAttribute = namesOfGroupDns(person.groupDns ?? []);
    if (!this.definition.groups.base) return { ...outcome, groups: mergeGroupNames(fromAttribute) };
    const searched = await this.groupCache.get(`groups:${person.dn}`, () => this.searchGroups(person, deadline));
    return { ...outcome, groups: mergeGroupNames(fromAttribute, searched) };
  }

  /** The person whose UPN is `upn`; nobody when the user store has no UPN attribute. */
  findByUpn(upn: string): Promise<SearchOutcome> {
    const attribute = this.definition.attributes.upn;
    if (!attribute) return Promise.resolve({ matches: 0 });
    return this.cache.get(`upn:${upn}`, () => this.search(attribute, upn));
  }

  /**
   * The person whose `attribute` holds `value` (how privacyIDEA's resolver named its users when
   * not by DN: objectGUID, entryUUID, ...); never cached, as only the migration asks.
   */
  findByAttribute(attribute: string, value: string | Buffer): Promise<SearchOutcome> {
    return this.connections.withService((client) => searchPerson(client, this.spec, attribute, value));
  }

  /** The login names of everyone in the user store (and in `extra`, when given); never cached. */
  listLogins(extra?: Filter): Promise<string[]> {
    return this.connections.withService((client) => listLogins(client, this.spec, extra));
  }

  /** A bind as the person named `name`; false when there is no such person or the password is wrong. */
  async checkPassword(name: string, password: string): Promise<boolean> {
    if (password === '') return false;
    const { found } = await this.find(name);
    return found ? this.connections.checkPassword(found.dn, password) : false;
  }

  close(): Promise<void> {
    this.cache.clear();
    this.groupCache.clear();
    return this.connections.close();
  }

  private readsGroups(): boolean {
    return this.definition.groups.attribute !== '' || this.definition.groups.base !== '';
  }

  private search(attribute: string, value: string): Promise<SearchOutcome> {
    return this.connections.withService((client) => searchPerson(client, this.spec, attribute, value));
  }

  private async searchGroups(person: LdapPerson, deadline: number | undefined): Promise<string[]> {
    const { identifier, groups } = this.definition;
    const where = `user store ${identifier}: the group search under ${groups.base} for ${person.dn}`;
    const left = Math.min(deadline ?? Infinity, this.now() + this.definition.timeout * 1000) - this.now();
    if (left <= 0) throw this.outOfTime(where, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(this.outOfTime(where, deadline)), left);
    });
    const search = { base: groups.base, filter: groups.filter, timeLimit: Math.max(1, Math.ceil(left / 1000)) };
    try {
      const outcome = await Promise.race([this.connections.withService((client) => searchGroups(client, search, person.dn)), timedOut]);
      if ('names' in outcome) return outcome.names;
      const why =
        outcome.refused instanceof NoSuchObjectError
          ? `the group base does not exist (LDAP result 32, no such object); correct --group-base with 'userstore set ${identifier} ...'`
          : `${describeLdapError(outcome.refused)}; check --group-base and --group-filter with 'userstore test ${identifier} --user NAME'`;
      throw new DirectoryUnavailable(`${where} failed: ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Past the login's deadline nobody waits (the request is shed); else the user store's timeout ran out. */
  private outOfTime(where: string, deadline: number | undefined): Error {
    if (deadline !== undefined && this.now() >= deadline) return new RequestShed('deadline');
    return new DirectoryUnavailable(`${where} did not finish within the user store's timeout (${this.definition.timeout} s)`);
  }
}
