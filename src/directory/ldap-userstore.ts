// One user store as the login sees it: find a person by login name or UPN (cached for
// userstore.cache_seconds), and check a person's password with a bind.
import type { Filter } from 'ldapts';
import type { UserStoreDefinition } from './definition.js';
import { LdapConnections } from './ldap-connections.js';
import { listLogins, parseSearchFilter, searchPerson, type SearchOutcome, type SearchSpec } from './ldap-users.js';
import { UserCache } from './user-cache.js';

export interface LdapUserStoreOptions {
  /** How long what the directory said is kept (0: not at all). */
  readonly cacheMs: () => number;
  readonly now?: () => number;
}

export class LdapUserStore {
  readonly connections: LdapConnections;
  private readonly spec: SearchSpec;
  private readonly cache: UserCache<SearchOutcome>;

  constructor(
    readonly definition: UserStoreDefinition,
    options: LdapUserStoreOptions,
  ) {
    const now = options.now ?? Date.now;
    this.connections = new LdapConnections(definition, now);
    const filter: Filter = parseSearchFilter(definition.searchFilter);
    this.spec = { baseDn: definition.baseDn, filter, attributes: definition.attributes, timeLimit: definition.timeout };
    this.cache = new UserCache(options.cacheMs, now);
  }

  /** The person whose login attribute is `name` (as the directory compares it). */
  find(name: string): Promise<SearchOutcome> {
    return this.cache.get(`login:${name}`, () => this.search(this.definition.attributes.login, name));
  }

  /** The person whose UPN is `upn`; nobody when the user store has no UPN attribute. */
  findByUpn(upn: string): Promise<SearchOutcome> {
    const attribute = this.definition.attributes.upn;
    if (!attribute) return Promise.resolve({ matches: 0 });
    return this.cache.get(`upn:${upn}`, () => this.search(attribute, upn));
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
    return this.connections.close();
  }

  private search(attribute: string, value: string): Promise<SearchOutcome> {
    return this.connections.withService((client) => searchPerson(client, this.spec, attribute, value));
  }
}
