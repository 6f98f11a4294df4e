// What the two common directories call things, so that `userstore set --preset ad` is all an
// operator has to know. Any attribute can still be given explicitly over the preset's.
import type { PresetName, UserStoreAttributes } from './definition.js';

export interface Preset {
  readonly attributes: UserStoreAttributes;
  readonly searchFilter: string;
  /** Where the preset reads group membership (src/directory/group-parameters.ts). */
  readonly groups: {
    /** The person's attribute listing their groups' DNs; '' for none. */
    readonly attribute: string;
    /** The group search's filter, when a --group-base is given. */
    readonly filter: string;
  };
}

export const PRESET_VALUES: Readonly<Record<PresetName, Preset>> = {
  // userPrincipalName: alice@example.com finds alice whatever her sAMAccountName is.
  // memberOf comes with the user's own entry: groups cost no search of their own.
  ad: {
    attributes: { login: 'sAMAccountName', mobile: 'mobile', givenname: 'givenName', surname: 'sn', email: 'mail', upn: 'userPrincipalName' },
    searchFilter: '(objectClass=user)',
    groups: { attribute: 'memberOf', filter: '(&(objectClass=group)(member={dn}))' },
  },
  // OpenLDAP has memberOf only with its memberof overlay: groups are searched for.
  openldap: {
    attributes: { login: 'uid', mobile: 'mobile', givenname: 'givenName', surname: 'sn', email: 'mail', upn: '' },
    searchFilter: '(objectClass=inetOrgPerson)',
    groups: { attribute: '', filter: '(&(objectClass=groupOfNames)(member={dn}))' },
  },
};
