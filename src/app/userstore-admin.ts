// Defining user stores and realms, and testing a user store the way the daemon will use it:
// the application layer of the CLI's `userstore` and `realm` commands (and the HTTP API to
// come). What could never work is refused here, before the store is touched.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NoSuchObjectError } from 'ldapts';
import { DirectoryUnavailable } from '../core/errors.js';
import { LdapConnections, describeLdapError } from '../directory/ldap-connections.js';
import { resolveGroups, type GroupRequest } from '../directory/group-parameters.js';
import { parseSearchFilter } from '../directory/ldap-users.js';
import { LdapUserStore } from '../directory/ldap-userstore.js';
import { PRESET_VALUES } from '../directory/presets.js';
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import { describeFsError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { RealmDefinition } from '../store/realms.js';
import { CENSORED } from '../store/gateways.js';
import { PRESETS, type PresetName, type UserStoreDefinition } from '../store/userstores.js';
import { mustFit } from './limits.js';
import { userStoreView, type UserStoreView } from './views.js';

/** The presets `userstore set --preset` takes (attribute names and filter of a common directory). */
export { PRESETS } from '../store/userstores.js';
/** The group options of `userstore set`, declared by the directory. */
export { describeDefaults, GROUP_PARAMETERS } from '../directory/group-parameters.js';

/** A user store or realm request with an invalid value (the CLI's usage error, exit status 2). */
export class UserStoreAdminError extends SmsOtpError {
  override name = 'UserStoreAdminError';
  readonly code = 'ERR_INVALID_VALUE';
}

export const DEFAULT_TIMEOUT_SECONDS = 3;
const MAX_TIMEOUT_SECONDS = 30;

export interface UserStoreRequest {
  readonly identifier: string;
  readonly uris: readonly string[];
  readonly baseDn: string;
  readonly bindDn: string;
  /** Undefined keeps the stored password (an existing user store only). */
  readonly bindPassword?: string;
  readonly preset?: string;
  readonly loginAttribute?: string;
  readonly searchFilter?: string;
  readonly mobileAttribute?: string;
  readonly starttls?: boolean;
  readonly caFile?: string;
  readonly timeout?: number;
  /** Where groups are read from (--group-attribute, --group-base, --group-filter, --nested-groups). */
  readonly groups?: GroupRequest;
}

/** What `userstore test` found, server by server, and the user asked for. */
export interface UserStoreTestReport {
  readonly servers: ReadonlyArray<{ readonly uri: string; readonly ok: boolean; readonly detail: string }>;
  readonly user?: {
    readonly dn: string;
    readonly username: string;
    readonly mobile: string | null;
    readonly givenname: string | null;
    readonly surname: string | null;
    readonly email: string | null;
    /** The names of their groups; absent when the user store reads none. */
    readonly groups?: readonly string[];
  };
  /** Why the daemon could not use the user store, or not find the user; absent when all is well. */
  readonly failure?: SmsOtpError;
}

const IDENTIFIER = /^[A-Za-z0-9._-]+$/;

export class UserStoreAdmin {
  constructor(private readonly store: Store) {}

  async set(request: UserStoreRequest): Promise<UserStoreDefinition> {
    const definition = await this.definitionOf(request);
    await this.store.userstores.set(definition);
    return definition;
  }

  /** Every user store as it may be shown (bind password censored), with the realms naming it. */
  async list(): Promise<UserStoreView[]> {
    const realms = await this.store.realms.list();
    const times = await this.store.userstores.times();
    return (await this.store.userstores.list()).map((u) => userStoreView(u, times.get(u.identifier), realms));
  }

  async show(identifier: string): Promise<UserStoreView> {
    const definition = await this.store.userstores.get(identifier);
    if (!definition) throw new NotFoundError(`no user store '${identifier}' (see 'userstore list')`);
    return userStoreView(definition, (await this.store.userstores.times(identifier)).get(identifier), await this.store.realms.list());
  }

  /** Refused while a realm names the user store: the realm would lose its people. */
  async delete(identifier: string): Promise<void> {
    const usage = await this.store.userstores.delete(identifier, (u) => {
      if (u.realms.length === 0) return;
      throw new RefusedError(
        `user store ${identifier} not deleted: realm${u.realms.length === 1 ? '' : 's'} ${u.realms.join(', ')} use${u.realms.length === 1 ? 's' : ''} it; ` +
          `first 'realm delete REALM' or 'realm set REALM --userstore OTHER' (see 'realm list')`,
      );
    });
    if (!usage) throw new NotFoundError(`no user store '${identifier}' (see 'userstore list')`);
  }

  /**
   * Binds on every server of the user store as the service account and checks the base DN;
   * with `username`, looks that user up as a login would. The report's failure says why the
   * daemon could not use the user store at all, or not find the user.
   */
  async test(identifier: string, username?: string): Promise<UserStoreTestReport> {
    const definition = await this.store.userstores.get(identifier);
    if (!definition) throw new NotFoundError(`no user store '${identifier}' (see 'userstore list')`);
    const servers = await Promise.all(definition.uris.map((uri) => probeServer(definition, uri)));
    if (!servers.some((s) => s.ok)) {
      return { servers, failure: new DirectoryUnavailable(`user store ${identifier} cannot be used: no server answered (${servers.map((s) => s.uri).join(', ')})`) };
    }
    if (username === undefined) return { servers };
    const userstore = new LdapUserStore(definition, { cacheMs: () => 0 });
    try {
      let outcome: Awaited<ReturnType<LdapUserStore['lookup']>>;
      try {
        outcome = await userstore.lookup(username);
      } catch (err) {
        if (err instanceof SmsOtpError) return { servers, failure: err };
        throw err;
      }
      const a = definition.attributes;
      if (!outcome.found) {
        const why = outcome.matches === 0 ? 'no entry matches' : 'several entries match (a login must name one person)';
        return {
          servers,
          failure: new NotFoundError(`user '${username}' not found in user store ${identifier}: ${why} ${definition.searchFilter} and ${a.login}=${username} under ${definition.baseDn}`),
        };
      }
      const f = outcome.found;
      return {
        servers,
        user: {
          dn: f.dn,
          username: f.login,
          mobile: f.mobile ?? null,
          givenname: f.givenname ?? null,
          surname: f.surname ?? null,
          email: f.email ?? null,
          ...(outcome.groups !== undefined ? { groups: outcome.groups } : {}),
        },
      };
    } finally {
      await userstore.close();
    }
  }

  private async definitionOf(r: UserStoreRequest): Promise<UserStoreDefinition> {
    if (!IDENTIFIER.test(r.identifier)) throw new UserStoreAdminError('user store id: letters, digits, . _ - only');
    mustFit('userstores', 'identifier', r.identifier, 'the user store id');
    if (r.uris.length === 0) throw new UserStoreAdminError('--uri is required: ldaps://dc1.example.com (repeat it for each server, tried in order)');
    for (const uri of r.uris) checkUri(uri, r.starttls ?? false);
    const plain = r.uris.find((uri) => uri.startsWith('ldap:'));
    if (r.caFile !== undefined && !r.starttls && plain) {
      throw new UserStoreAdminError(`--ca-file is for TLS, but '${plain}' is plain LDAP: add --starttls or use ldaps://`);
    }
    if (!r.baseDn.trim()) throw new UserStoreAdminError('--base-dn must not be empty, e.g. --base-dn DC=example,DC=com');
    if (!r.bindDn.trim()) throw new UserStoreAdminError('--bind-dn must not be empty: the service account that searches the directory');
    let preset: PresetName | '' = '';
    if (r.preset !== undefined) {
      if (!(PRESETS as readonly string[]).includes(r.preset)) throw new UserStoreAdminError(`--preset must be one of ${PRESETS.join(', ')}, not '${r.preset}'`);
      preset = r.preset as PresetName;
    }
    const base = preset ? PRESET_VALUES[preset] : undefined;
    const login = r.loginAttribute ?? base?.attributes.login;
    const searchFilter = r.searchFilter ?? base?.searchFilter;
    if (login === undefined || searchFilter === undefined) {
      throw new UserStoreAdminError('give --preset ad or --preset openldap, or both --login-attribute and --search-filter');
    }
    for (const [option, value] of [['--login-attribute', login], ['--mobile-attribute', r.mobileAttribute]] as const) {
      if (value !== undefined && !/^[A-Za-z][A-Za-z0-9-]*$/.test(value)) throw new UserStoreAdminError(`${option} '${value}' is not an LDAP attribute name`);
    }
    parseSearchFilter(searchFilter);
    const timeout = r.timeout ?? DEFAULT_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw new UserStoreAdminError(`--timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (below the NAS's own timeout)`);
    }
    const caFile = r.caFile === undefined ? null : path.resolve(r.caFile);
    if (caFile !== null) {
      try {
        if (!readFileSync(caFile, 'utf8').includes('-----BEGIN CERTIFICATE-----')) throw new UserStoreAdminError(`--ca-file ${caFile} holds no PEM certificate`);
      } catch (err) {
        if (err instanceof UserStoreAdminError) throw err;
        throw new UserStoreAdminError(`--ca-file ${caFile}: cannot read it: ${describeFsError(err)}`);
      }
    }
    let bindPassword = r.bindPassword;
    if (bindPassword === undefined) {
      if (!(await this.store.userstores.get(r.identifier))) {
        throw new UserStoreAdminError('--bind-password-file is required for a new user store: FILE, or - for standard input');
      }
      bindPassword = CENSORED;
    }
    if (bindPassword === '') throw new UserStoreAdminError('the bind password is empty: an empty password is an anonymous bind, which cannot search a directory');
    const attributes = {
      login,
      mobile: r.mobileAttribute ?? base?.attributes.mobile ?? 'mobile',
      givenname: base?.attributes.givenname ?? 'givenName',
      surname: base?.attributes.surname ?? 'sn',
      email: base?.attributes.email ?? 'mail',
      upn: base?.attributes.upn ?? '',
    };
    return {
      identifier: r.identifier,
      preset,
      uris: [...r.uris],
      baseDn: r.baseDn,
      bindDn: r.bindDn,
      bindPassword,
      attributes,
      searchFilter,
      starttls: r.starttls ?? false,
      caFile,
      timeout,
      groups: resolveGroups(r.groups ?? {}, preset, r.baseDn),
    };
  }
}

function checkUri(uri: string, starttls: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new UserStoreAdminError(`--uri '${uri}' is not a URI; e.g. ldaps://dc1.example.com or ldap://ldap.example.com:389`);
  }
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new UserStoreAdminError(`--uri '${uri}': only ldap:// and ldaps:// are supported`);
  if (!url.hostname) throw new UserStoreAdminError(`--uri '${uri}' names no host`);
  if (url.pathname !== '' && url.pathname !== '/') throw new UserStoreAdminError(`--uri '${uri}': give the server only (scheme, host, port); the base DN goes in --base-dn`);
  if (starttls && url.protocol === 'ldaps:') throw new UserStoreAdminError(`--starttls is for ldap:// URIs; '${uri}' is TLS from the start already`);
}

export class RealmAdmin {
  constructor(private readonly store: Store) {}

  async set(name: string, userstore: string, isDefault: boolean): Promise<RealmDefinition> {
    if (!name || /[\s@\\]/.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new UserStoreAdminError(`realm name '${name}': no spaces, @ or \\ (it is what follows the @ or precedes the \\ of a login name)`);
    }
    mustFit('realms', 'name', name, 'the realm name');
    return this.store.realms.set({ name, userstore, isDefault });
  }

  list(): Promise<RealmDefinition[]> {
    return this.store.realms.list();
  }

  async delete(name: string): Promise<void> {
    if (!(await this.store.realms.delete(name))) throw new NotFoundError(`no realm '${name}' (see 'realm list')`);
  }
}

/** Binds to one server of the user store as the service account and looks for the base DN (and group base); read-only. */
export async function probeServer(definition: UserStoreDefinition, uri: string): Promise<{ uri: string; ok: boolean; detail: string }> {
  const connections = new LdapConnections({ ...definition, uris: [uri] });
  const exists = (dn: string) =>
    connections.withService(async (client) => {
      try {
        await client.search(dn, { scope: 'base', attributes: ['1.1'], timeLimit: definition.timeout });
        return true;
      } catch (err) {
        if (err instanceof NoSuchObjectError) return false;
        throw err;
      }
    });
  try {
    if (!(await exists(definition.baseDn))) {
      return { uri, ok: false, detail: `bound as ${definition.bindDn}, but the base DN ${definition.baseDn} does not exist (correct --base-dn)` };
    }
    const groupBase = definition.groups.base;
    if (groupBase && groupBase !== definition.baseDn && !(await exists(groupBase))) {
      return { uri, ok: false, detail: `bound as ${definition.bindDn}, but the group base ${groupBase} does not exist (correct --group-base)` };
    }
    if (definition.groups.nested && !(await isActiveDirectory(connections))) {
      return {
        uri,
        ok: false,
        detail:
          `bound as ${definition.bindDn}, but this server is not Active Directory (its root DSE names no AD capability): ` +
          "it does not know the in-chain rule of --nested-groups and would find no groups; leave --nested-groups out",
      };
    }
    const groups = groupBase && groupBase !== definition.baseDn ? `, group base ${groupBase} found` : '';
    return { uri, ok: true, detail: `bound as ${definition.bindDn}, base DN ${definition.baseDn} found${groups}` };
  } catch (err) {
    const reason = err instanceof DirectoryUnavailable ? err.message.replace(/^user store [^:]+: (no directory server answered: )?/, '') : describeLdapError(err);
    return { uri, ok: false, detail: reason.startsWith(`${uri}: `) ? reason.slice(uri.length + 2) : reason };
  } finally {
    await connections.close();
  }
}

/** Active Directory and AD LDS say so in their root DSE; only they know the in-chain matching rule. */
const AD_CAPABILITIES = ['1.2.840.113556.1.4.800', '1.2.840.113556.1.4.1851'];

async function isActiveDirectory(connections: LdapConnections): Promise<boolean> {
  return connections.withService(async (client) => {
    const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedCapabilities'] });
    const raw = searchEntries[0]?.['supportedCapabilities'];
    const capabilities = raw === undefined ? [] : [raw].flat().map(String);
    return capabilities.some((c) => AD_CAPABILITIES.includes(c));
  });
}
