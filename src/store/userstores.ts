// User store definitions (LDAP / Active Directory), kept in the store so that every node of a
// site sees the same ones. The bind password is sealed with the key file, like gateway secrets.
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secretbox.js';
import { changeConfiguration, nothingChanged } from './config-revision.js';
import type { PresetName, UserStoreDefinition } from '../directory/definition.js';
import { CENSORED, definitionTimes, type DefinitionTimes } from './gateways.js';

export { PRESETS, type PresetName, type UserStoreAttributes, type UserStoreDefinition } from '../directory/definition.js';

interface Row {
  identifier: string;
  preset: string;
  uris: string;
  base_dn: string;
  bind_dn: string;
  bind_password: string;
  login_attribute: string;
  search_filter: string;
  mobile_attribute: string;
  givenname_attribute: string;
  surname_attribute: string;
  email_attribute: string;
  upn_attribute: string;
  starttls: boolean | number;
  ca_file: string | null;
  timeout: number;
  group_attribute: string;
  group_base: string;
  group_filter: string;
  nested_groups: boolean | number;
}

const passwordContext = (identifier: string) => `userstore:${identifier}:bind_password`;

/** Who uses a user store: the realms that name it. */
export interface UserStoreUsage {
  readonly realms: readonly string[];
}

export class UserStoreRepository {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  private fromRow(row: Row): UserStoreDefinition {
    return {
      identifier: row.identifier,
      preset: row.preset as PresetName | '',
      uris: JSON.parse(row.uris) as string[],
      baseDn: row.base_dn,
      bindDn: row.bind_dn,
      bindPassword: this.box.openString(row.bind_password, passwordContext(row.identifier)),
      attributes: {
        login: row.login_attribute,
        mobile: row.mobile_attribute,
        givenname: row.givenname_attribute,
        surname: row.surname_attribute,
        email: row.email_attribute,
        upn: row.upn_attribute,
      },
      searchFilter: row.search_filter,
      starttls: Boolean(row.starttls),
      caFile: row.ca_file,
      timeout: Number(row.timeout),
      groups: {
        attribute: row.group_attribute,
        base: row.group_base,
        filter: row.group_filter,
        nested: Boolean(row.nested_groups),
      },
    };
  }

  async get(identifier: string): Promise<UserStoreDefinition | undefined> {
    const row: Row | undefined = await this.knex('userstores').where({ identifier }).first();
    return row ? this.fromRow(row) : undefined;
  }

  /** Every user store's identifier, without opening anything sealed. */
  async identifiers(): Promise<string[]> {
    return ((await this.knex('userstores').select('identifier').orderBy('identifier')) as Array<{ identifier: string }>).map((r) => r.identifier);
  }

  async list(): Promise<UserStoreDefinition[]> {
    const rows: Row[] = await this.knex('userstores').orderBy('identifier');
    return rows.map((r) => this.fromRow(r));
  }

  times(identifier?: string): Promise<Map<string, DefinitionTimes>> {
    return definitionTimes(this.knex, 'userstores', identifier);
  }

  /** Creates or replaces a definition; a bind password given as CENSORED keeps the stored one. */
  async set(def: UserStoreDefinition): Promise<void> {
    await changeConfiguration(this.knex, async (trx) => {
      let password = def.bindPassword;
      if (password === CENSORED) {
        const previous: Row | undefined = await trx('userstores').where({ identifier: def.identifier }).first();
        if (!previous) throw new Error(`the bind password is ${CENSORED} but user store ${def.identifier} has none stored to keep; give the real one`);
        password = this.box.openString(previous.bind_password, passwordContext(def.identifier));
      }
      const now = this.now();
      const row = {
        identifier: def.identifier,
        preset: def.preset,
        uris: JSON.stringify(def.uris),
        base_dn: def.baseDn,
        bind_dn: def.bindDn,
        bind_password: this.box.seal(password, passwordContext(def.identifier)),
        login_attribute: def.attributes.login,
        search_filter: def.searchFilter,
        mobile_attribute: def.attributes.mobile,
        givenname_attribute: def.attributes.givenname,
        surname_attribute: def.attributes.surname,
        email_attribute: def.attributes.email,
        upn_attribute: def.attributes.upn,
        starttls: def.starttls,
        ca_file: def.caFile,
        timeout: def.timeout,
        group_attribute: def.groups.attribute,
        group_base: def.groups.base,
        group_filter: def.groups.filter,
        nested_groups: def.groups.nested,
        updated_at: now,
      };
      await trx('userstores').insert({ ...row, created_at: now }).onConflict('identifier').merge(row);
    });
  }

  /**
   * Deletes a user store unless `decide`, shown the realms that use it, throws (which rolls
   * back). Checked in the transaction of the delete, so a `realm set` cannot slip between.
   * Returns undefined when there is no such user store.
   */
  async delete(identifier: string, decide: (usage: UserStoreUsage) => void): Promise<UserStoreUsage | undefined> {
    return changeConfiguration(this.knex, async (trx) => {
      if (!(await trx('userstores').where({ identifier }).first('id'))) return nothingChanged(undefined);
      const realms: Array<{ name: string }> = await trx('realms').where({ userstore: identifier }).select('name').orderBy('name');
      const usage = { realms: realms.map((r) => r.name) };
      decide(usage);
      await trx('userstores').where({ identifier }).delete();
      return usage;
    });
  }
}

/** A copy safe to print or log: the bind password censored. */
export function censorUserStore(def: UserStoreDefinition): UserStoreDefinition {
  return { ...def, bindPassword: CENSORED };
}
