// What the two common directories call things, so that `userstore set --preset ad` is all an
// operator has to know. Any attribute can still be given explicitly over the preset's.
import type { PresetName, UserStoreAttributes } from './definition.js';

export interface Preset {
  readonly attributes: UserStoreAttributes;
  readonly searchFilter: string;
}

export const PRESET_VALUES: Readonly<Record<PresetName, Preset>> = {
  // userPrincipalName: alice@example.com finds alice whatever her sAMAccountName is.
  ad: {
    attributes: { login: 'sAMAccountName', mobile: 'mobile', givenname: 'givenName', surname: 'sn', email: 'mail', upn: 'userPrincipalName' },
    searchFilter: '(objectClass=user)',
  },
  openldap: {
    attributes: { login: 'uid', mobile: 'mobile', givenname: 'givenName', surname: 'sn', email: 'mail', upn: '' },
    searchFilter: '(objectClass=inetOrgPerson)',
  },
};
