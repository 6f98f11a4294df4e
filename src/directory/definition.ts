// What the user stores and realms are defined by: the definitions an operator saves and
// the presets they start from. The store persists them (src/store/userstores.ts, realms.ts)
// importing this module only: the directory owns its definitions.

export const PRESETS = ['ad', 'openldap'] as const;
export type PresetName = (typeof PRESETS)[number];

/** Which attribute holds what; the preset's names unless the operator gave others. */
export interface UserStoreAttributes {
  readonly login: string;
  readonly mobile: string;
  readonly givenname: string;
  readonly surname: string;
  readonly email: string;
  /** The attribute a login of the form user@domain is looked up by ('' when none: OpenLDAP). */
  readonly upn: string;
}

export interface UserStoreDefinition {
  readonly identifier: string;
  /** The preset the attributes came from ('' when given one by one). */
  readonly preset: PresetName | '';
  /** Tried in this order; the next one when one does not answer. */
  readonly uris: readonly string[];
  readonly baseDn: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly attributes: UserStoreAttributes;
  /** An LDAP filter every user must also match, e.g. (objectClass=user). */
  readonly searchFilter: string;
  /** STARTTLS on ldap:// URIs (ldaps:// is TLS from the start). */
  readonly starttls: boolean;
  /** PEM file of the CA that signed the directory's certificate, when no public CA did. */
  readonly caFile: string | null;
  /** Seconds for connecting and for each operation: below the NAS's own timeout. */
  readonly timeout: number;
  /** Where the groups of a person come from (src/directory/group-parameters.ts declares the options). */
  readonly groups: UserStoreGroups;
}

/**
 * How a user store reads group membership: an attribute of the person's entry that lists the
 * DNs of their groups (AD's memberOf), a search for the groups that name the person, or both
 * (their names merged). A group's name is its cn. Neither: the user store reads no groups.
 */
export interface UserStoreGroups {
  /** The person's attribute holding their groups' DNs (AD: memberOf); '' reads none. */
  readonly attribute: string;
  /** Where groups are searched for; '' searches none. */
  readonly base: string;
  /** The group search's filter, `{dn}` standing for the person's DN (sent escaped, RFC 4515). */
  readonly filter: string;
  /** The filter is AD's transitive one (matching rule in chain): nested groups count too. */
  readonly nested: boolean;
}

export interface RealmDefinition {
  readonly name: string;
  readonly userstore: string;
  readonly isDefault: boolean;
}
