// The group parameters of a user store, declared once: the CLI's options, their defaults by
// preset and their help come from here, and so does the check that refuses, when the user
// store is saved, a group source that could never work.
import { Filter, FilterParser } from 'ldapts';
import { SmsOtpError } from '../core/errors.js';
import type { PresetName, UserStoreGroups } from './definition.js';
import { PRESET_VALUES } from './presets.js';

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nested groups. */
const IN_CHAIN_RULE = '1.2.840.113556.1.4.1941';
/** The group search of --nested-groups: every group the person is in, directly or through others. */
export const NESTED_GROUP_FILTER = `(member:${IN_CHAIN_RULE}:={dn})`;
/** The group filter without a preset: OpenLDAP's static groups. */
const PLAIN_GROUP_FILTER = PRESET_VALUES.openldap.groups.filter;

export interface GroupParameter {
  /** The option of `userstore set`, with its argument. */
  readonly flag: string;
  readonly required: boolean;
  /** What a user store gets when the option is left out, by preset ('' : without a preset). */
  readonly defaults: Readonly<Record<PresetName | '', string | boolean>>;
  readonly help: string;
}

export const GROUP_PARAMETERS = {
  attribute: {
    flag: '--group-attribute <name>',
    required: false,
    defaults: { ad: PRESET_VALUES.ad.groups.attribute, openldap: '', '': '' },
    help: "an attribute of the user's own entry that lists the DNs of their groups (Active Directory: memberOf; OpenLDAP with the memberof overlay: memberOf); '' reads none",
  },
  base: {
    flag: '--group-base <dn>',
    required: false,
    defaults: { ad: '', openldap: '', '': '' },
    help: 'search for groups under this DN (a group\'s name is its cn); left out: no group search, except with --nested-groups, which searches under --base-dn',
  },
  filter: {
    flag: '--group-filter <filter>',
    required: false,
    defaults: { ad: PRESET_VALUES.ad.groups.filter, openldap: PRESET_VALUES.openldap.groups.filter, '': PLAIN_GROUP_FILTER },
    help: "the filter of the group search; {dn} stands for the user's DN",
  },
  nested: {
    flag: '--nested-groups',
    required: false,
    defaults: { ad: false, openldap: false, '': false },
    help: `Active Directory: count groups that contain the user through other groups too (the group search filter becomes ${NESTED_GROUP_FILTER})`,
  },
} as const satisfies Record<keyof UserStoreGroups, GroupParameter>;

/** The defaults of a parameter, for its help text: "ad: memberOf, openldap: none". */
export function describeDefaults(parameter: GroupParameter): string {
  const shown = (v: string | boolean) => (v === '' || v === false ? 'none' : String(v));
  const { ad, openldap } = parameter.defaults;
  return ad === openldap ? shown(ad) : `ad: ${shown(ad)}, openldap: ${shown(openldap)}`;
}

/** A group parameter that could never work. */
export class GroupParameterError extends SmsOtpError {
  override name = 'GroupParameterError';
  readonly code = 'ERR_INVALID_VALUE';
}

export interface GroupRequest {
  readonly attribute?: string;
  readonly base?: string;
  readonly filter?: string;
  readonly nested?: boolean;
}

/** The group source a user store gets from what the operator gave, its preset and its base DN. */
export function resolveGroups(request: GroupRequest, preset: PresetName | '', baseDn: string): UserStoreGroups {
  const defaults = (key: keyof UserStoreGroups) => GROUP_PARAMETERS[key].defaults[preset];
  const attribute = (request.attribute ?? (defaults('attribute') as string)).trim();
  if (attribute !== '' && !/^[A-Za-z][A-Za-z0-9-]*$/.test(attribute)) {
    throw new GroupParameterError(`--group-attribute '${attribute}' is not an LDAP attribute name (e.g. memberOf; '' reads none)`);
  }
  const nested = request.nested ?? false;
  if (nested && request.filter !== undefined) {
    throw new GroupParameterError(`--nested-groups sets the group filter to ${NESTED_GROUP_FILTER}: give --nested-groups or --group-filter, not both`);
  }
  const base = (request.base ?? '').trim() || (nested ? baseDn : '');
  if (request.filter !== undefined && base === '') {
    throw new GroupParameterError("--group-filter is the filter of the group search: give --group-base DN too (where the groups are)");
  }
  const filter = nested ? NESTED_GROUP_FILTER : (request.filter ?? (defaults('filter') as string)).trim();
  checkGroupFilter(filter);
  return { attribute, base, filter, nested };
}

function checkGroupFilter(template: string): void {
  if (!template.includes('{dn}')) {
    throw new GroupParameterError(`--group-filter '${template}' does not contain {dn}: every user would get the same groups; e.g. '${PLAIN_GROUP_FILTER}'`);
  }
  try {
    groupFilter(template, 'cn=Example\\, Person,dc=example,dc=com');
  } catch (err) {
    throw new GroupParameterError(`--group-filter '${template}' is not an LDAP filter: ${(err as Error).message}; e.g. '${PLAIN_GROUP_FILTER}'`);
  }
}

/**
 * The group search's filter for the person at `dn`. The DN goes in as a value escaped per
 * RFC 4515 (`*`, `(`, `)`, `\` and NUL as \XX): a DN like `uid=*,ou=people,...` is matched
 * literally, never as a wildcard.
 */
export function groupFilter(template: string, dn: string): Filter {
  const text = template.replaceAll('{dn}', Filter.escape(dn)).trim();
  return FilterParser.parseString(text.startsWith('(') ? text : `(${text})`);
}
