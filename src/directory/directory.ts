// The user directory of a site with user stores: a login name is mapped to a realm (the one
// it names, else the default realm) and, through the realm's user store, to the person the
// directory knows, under the name the directory spells (so ALICE and alice are one person
// when the directory says so). Without realms, and for tokens enrolled before there were any,
// the realm-name directory (the name, or user@realm split) still answers.
import { normaliseRealm } from '../core/names.js';
import type { DirectoryUser, UserDirectory, UserRef } from '../core/ports.js';
import type { RealmDefinition } from './definition.js';
import type { UserStoreDefinition } from './definition.js';
import { LdapUserStore } from './ldap-userstore.js';
import { parseLoginName } from './login-names.js';

/** The user stores and realms as the site configuration last read them. */
export interface DirectorySnapshot {
  /** Moves whenever either list may have changed. */
  readonly revision: string;
  readonly userstores: readonly UserStoreDefinition[];
  readonly realms: readonly RealmDefinition[];
}

export interface DirectoryOptions {
  readonly snapshot: () => DirectorySnapshot;
  /** The answer where no realm applies (tokens without a directory). */
  readonly fallback: UserDirectory;
  readonly cacheMs: () => number;
  readonly now?: () => number;
}

export class LdapDirectory implements UserDirectory {
  private revision: string | undefined;
  private stores = new Map<string, { key: string; store: LdapUserStore }>();
  private realms = new Map<string, RealmDefinition>();
  private defaultRealm: string | undefined;

  constructor(private readonly options: DirectoryOptions) {}

  async candidates(loginName: string): Promise<UserRef[]> {
    this.sync();
    const legacy = await this.options.fallback.candidates(loginName);
    if (this.realms.size === 0) return legacy;
    const mine = await this.directoryCandidates(loginName);
    const seen = new Set<string>();
    return [...mine, ...legacy].filter((c) => {
      const key = `${c.username}\u0000${normaliseRealm(c.realm)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async lookup(username: string, realm: string, options: { readonly deadline?: number } = {}): Promise<DirectoryUser | undefined> {
    this.sync();
    const store = this.storeOf(realm);
    if (!store) return this.options.fallback.lookup(username, realm, options);
    const { found, groups } = await store.lookup(username, options.deadline);
    if (!found) return undefined;
    return {
      username: found.login,
      realm: normaliseRealm(realm),
      dn: found.dn,
      ...(found.givenname !== undefined ? { givenname: found.givenname } : {}),
      ...(found.surname !== undefined ? { surname: found.surname } : {}),
      ...(found.email !== undefined ? { email: found.email } : {}),
      ...(found.mobile !== undefined ? { mobile: found.mobile } : {}),
      ...(groups !== undefined ? { groups } : {}),
    };
  }

  async checkPassword(username: string, realm: string, password: string): Promise<boolean> {
    this.sync();
    const store = this.storeOf(realm);
    return store ? store.checkPassword(username, password) : this.options.fallback.checkPassword(username, realm, password);
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map((s) => s.store.close()));
  }

  private async directoryCandidates(loginName: string): Promise<UserRef[]> {
    const name = parseLoginName(loginName);
    if (name.realm !== undefined) {
      const realm = normaliseRealm(name.realm);
      if (this.realms.has(realm)) return [await this.canonical(name.user, realm)];
      // DOMAIN\user for a domain we do not know: nobody in our realms.
      if (name.form === 'prefix') return [];
    }
    const realm = this.defaultRealm;
    if (realm === undefined) return [];
    const store = this.storeOf(realm);
    if (name.form === 'suffix' && store) {
      // alice@example.com where example.com is no realm of ours: a UPN, where the user store has them.
      const { found } = await store.findByUpn(loginName);
      if (found) return [{ username: found.login, realm }];
    }
    return [await this.canonical(loginName, realm)];
  }

  /** The name as the directory spells it, or as typed when the directory has nobody of that name. */
  private async canonical(username: string, realm: string): Promise<UserRef> {
    const store = this.storeOf(realm);
    const found = store ? (await store.find(username)).found : undefined;
    return { username: found?.login ?? username, realm };
  }

  private storeOf(realm: string): LdapUserStore | undefined {
    const definition = this.realms.get(normaliseRealm(realm));
    return definition ? this.stores.get(definition.userstore)?.store : undefined;
  }

  /** Follows the site configuration: a user store whose definition changed starts afresh (connections, cache). */
  private sync(): void {
    const snapshot = this.options.snapshot();
    if (snapshot.revision === this.revision) return;
    this.revision = snapshot.revision;
    const next = new Map<string, { key: string; store: LdapUserStore }>();
    for (const definition of snapshot.userstores) {
      const key = JSON.stringify(definition);
      const kept = this.stores.get(definition.identifier);
      if (kept?.key === key) {
        next.set(definition.identifier, kept);
        continue;
      }
      const options = { cacheMs: this.options.cacheMs, ...(this.options.now ? { now: this.options.now } : {}) };
      next.set(definition.identifier, { key, store: new LdapUserStore(definition, options) });
    }
    for (const [identifier, old] of this.stores) {
      if (next.get(identifier) !== old) void old.store.close();
    }
    this.stores = next;
    this.realms = new Map(snapshot.realms.map((r) => [r.name, r]));
    this.defaultRealm = snapshot.realms.find((r) => r.isDefault)?.name;
  }
}
