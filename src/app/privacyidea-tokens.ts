// privacyIDEA's SMS tokens as ours: owner found again (their realm mapped to ours, the login
// name from the passwd file or the LDAP DN confirmed in our user store of that realm, or the
// person our user store finds by the resolver's UIDTYPE attribute, e.g. objectGUID), key,
// counter, state, fail counter, phone normalised as ours are, PIN hash kept as it is.
import { OTP_LENGTHS, HASHLIBS, type HashLib, type OtpLength } from '../core/model.js';
import { normalisePhoneNumber } from '../core/phone-number.js';
import { NO_PIN_HASH } from '../core/token-pin.js';
import type { PiResolver, PiSnapshot, PiToken } from '../migrate/privacyidea/model.js';
import type { MigratedToken } from '../store/migrated.js';
import type { NotCarried } from './privacyidea-config.js';

/**
 * Finds a login name in our user store of a realm: the name as the directory spells it, or
 * undefined; `directory` tells whether the realm has a user store here at all.
 */
export interface UserFinder {
  find(realm: string, login: string, dn?: string): Promise<string | undefined>;
  /** The login name of the person whose `attribute` is `value` (an LDAP resolver's UIDTYPE). */
  findByAttribute(realm: string, attribute: string, value: string): Promise<string | undefined>;
  hasDirectory(realm: string): boolean;
}

export interface TokenContext {
  readonly snapshot: PiSnapshot;
  /** Their realm → ours ('' = login names without a realm); absent: not carried. */
  readonly realmOf: (theirs: string) => string | undefined;
  readonly findUser: UserFinder;
  readonly defaultCountryCode: string;
  readonly defaultMaxfail: number;
  /** Where what was changed on the way is told (listed with what was not carried). */
  readonly notes: NotCarried[];
}

/** A clear PIN (privacyIDEA's encryptpin) is hashed by the caller; the rest is ready. */
export type PlannedToken = MigratedToken & { readonly clearPin?: string; readonly description: string };

export async function tokenOf(t: PiToken, ctx: TokenContext): Promise<PlannedToken | NotCarried> {
  const owner = t.owner;
  const what = `token ${t.serial} (${t.type}${owner ? `, user ${owner.userId} of ${owner.resolver}` : ''})`;
  const refuse = (why: string): NotCarried => ({ what, why });
  if (t.type !== 'sms') return refuse(`a ${t.type} token: only SMS tokens exist here`);
  if (!owner) return refuse('assigned to nobody: a token here always belongs to a user; enroll one here when it is handed out');
  if ('problem' in t.otpKey) return refuse(t.otpKey.problem);
  const hashlib = (t.info.hashlib ?? 'sha1').toLowerCase();
  if (!(HASHLIBS as readonly string[]).includes(hashlib)) return refuse(`hash algorithm ${hashlib}: only ${HASHLIBS.join(', ')} here`);
  if (!(OTP_LENGTHS as readonly number[]).includes(t.otplen)) return refuse(`OTP length ${t.otplen}: only ${OTP_LENGTHS.join(' or ')} here`);

  const pin = pinOf(t);
  if ('why' in pin) return refuse(pin.why);
  const theirRealm = owner.realm ?? t.realms[0] ?? '';
  const realm = ctx.realmOf(theirRealm);
  if (realm === undefined) return refuse(`realm ${theirRealm} has no counterpart here: define it ('realm set ${theirRealm} …') or map it with --realm-map ${theirRealm}=OURS`);
  const resolver = ctx.snapshot.resolvers.find((r) => r.name === owner.resolver);
  const login = loginOf(owner.userId, resolver, ctx.snapshot);
  if ('why' in login) return refuse(login.why);
  let username: string | undefined;
  if ('attribute' in login) {
    const named = `${login.attribute} ${login.value}`;
    if (!ctx.findUser.hasDirectory(realm)) return refuse(`its owner is named by ${named}, which only a directory resolves, and realm ${realm || '(none)'} has no user store here`);
    username = await ctx.findUser.findByAttribute(realm, login.attribute, login.value);
    if (username === undefined) return refuse(`nobody with ${named} is in our user store of realm ${realm}`);
  } else {
    username = await ctx.findUser.find(realm, login.name, login.dn);
    if (username === undefined) return refuse(`user ${login.name} is not found in our user store of realm ${realm}`);
  }

  let dynamicPhone = (t.info.dynamic_phone ?? '').toLowerCase() === 'true';
  let phone = '';
  let stored = t.info.phone ?? '';
  if (dynamicPhone && !ctx.findUser.hasDirectory(realm) && 'mobile' in login && login.mobile !== undefined) {
    // Their passwd resolver gave the mobile; without a user store here, it becomes the token's own number.
    dynamicPhone = false;
    stored = login.mobile;
    ctx.notes.push({ what: `the dynamic phone of token ${t.serial}`, why: `realm ${realm || '(none)'} has no user store here: the mobile of passwd resolver ${owner.resolver} became the token's own number` });
  }
  if (!dynamicPhone) {
    const normalised = normalisePhoneNumber(stored, ctx.defaultCountryCode);
    if ('problem' in normalised) return refuse(`its phone number ${normalised.problem}`);
    phone = normalised.e164;
  }
  return {
    serial: t.serial,
    username,
    realm,
    phone,
    dynamicPhone,
    gateway: t.info['sms.identifier'] || null,
    otpKey: t.otpKey.key,
    hashlib: hashlib as HashLib,
    otplen: t.otplen as OtpLength,
    countWindow: t.countWindow,
    maxfail: t.maxfail > 0 ? t.maxfail : ctx.defaultMaxfail,
    pinHash: pin.hash,
    ...(pin.clear === undefined ? {} : { clearPin: pin.clear }),
    // privacyIDEA checks no enrollment: its tokens are in use.
    verified: true,
    counter: t.counter,
    // A revoked token can never be enabled again there: here it comes disabled.
    active: t.active && !t.revoked,
    failcount: t.failcount,
    description: t.description,
  };
}

/** The PIN as we keep it: passlib's argon2 as it is, an encrypted PIN in the clear (hashed later), none. */
function pinOf(t: PiToken): { hash: string; clear?: string } | { why: string } {
  if (t.pinHash === '') return { hash: NO_PIN_HASH };
  if (/^\$argon2(id|i|d)\$/.test(t.pinHash)) return { hash: t.pinHash };
  if (t.pinHash.startsWith('@@')) {
    return t.clearPin === undefined ? { why: 'its encrypted PIN does not decrypt with --encfile' } : { hash: NO_PIN_HASH, clear: t.clearPin };
  }
  const scheme = /^\$([a-z0-9-]+)\$/.exec(t.pinHash)?.[1] ?? 'a salted sha256 of privacyIDEA 2';
  return { why: `its PIN hash (${scheme}) is not one this product checks (argon2 only): set a PIN there with argon2 (the default since 3.0) or here after the import` };
}

/**
 * Whom a resolver's user id names: the login name (with the DN where the resolver names users by
 * DN), or, for an LDAP resolver with another UIDTYPE (objectGUID, entryUUID, ...), the attribute
 * and value our user store is searched by.
 */
function loginOf(
  userId: string,
  resolver: PiResolver | undefined,
  snapshot: PiSnapshot,
): { name: string; dn?: string; mobile?: string } | { attribute: string; value: string } | { why: string } {
  if (!resolver) return { why: `its resolver is gone from privacyIDEA` };
  if (resolver.type === 'passwdresolver') {
    const users = snapshot.passwdUsers.get(resolver.name);
    if (!users || 'problem' in users) return { why: `passwd resolver ${resolver.name}: ${users && 'problem' in users ? users.problem : 'not read'}` };
    const user = users.get(userId);
    return user === undefined ? { why: `uid ${userId} is not in the file of resolver ${resolver.name}` } : { name: user.login, mobile: user.mobile };
  }
  if (resolver.type === 'ldapresolver') {
    const uidType = (resolver.config.UIDTYPE ?? 'DN').toLowerCase();
    const loginAttribute = (resolver.config.LOGINNAMEATTRIBUTE ?? 'uid').split(',')[0]!.trim().toLowerCase();
    if (uidType !== 'dn') return { attribute: resolver.config.UIDTYPE!.trim(), value: userId };
    // uid=tom,ou=people,… names tom, when the first RDN is the login attribute.
    const rdn = /^([^=,]+)=((?:\\.|[^,])+)/.exec(userId);
    if (!rdn || rdn[1]!.trim().toLowerCase() !== loginAttribute) {
      return { why: `its DN ${userId} does not start with the login attribute ${loginAttribute}` };
    }
    return { name: rdn[2]!.replace(/\\(.)/g, '$1'), dn: userId };
  }
  return { why: `resolver ${resolver.name} is a ${resolver.type}: only passwd and LDAP resolvers are read` };
}
