// Site-wide settings kept in the store. Every key is declared here with its type,
// default and meaning; `setting set` refuses unknown keys and bad values.
// Names follow privacyIDEA's where it has one, so an operator's knowledge carries over.
import { SmsOtpError } from './errors.js';
import { parseRate, RATE_RULE } from './limits/rate.js';

export class SettingError extends SmsOtpError {
  override name = 'SettingError';
  readonly code = 'ERR_INVALID_VALUE';
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

type Kind = 'string' | 'boolean' | 'integer';

interface SettingDefinition<K extends Kind = Kind> {
  kind: K;
  default: K extends 'string' ? string | null : K extends 'boolean' ? boolean : number;
  min?: number;
  max?: number;
  /**
   * The value names a gateway, or (`radius:NAME`) a RADIUS server: `setting set` refuses one
   * that does not exist (referencedName says which name a value holds).
   */
  references?: SettingReference;
  /** The only values a string setting takes. */
  choices?: readonly string[];
  /** The form a string setting's value must have, and how to say it. */
  pattern?: { readonly test: RegExp; readonly describe: string };
  /** For forms a pattern cannot say: the canonical value, or undefined when `raw` has not the form described. */
  form?: { readonly normalise: (raw: string) => string | undefined; readonly describe: string };
  help: string;
}

/** An SMS limit setting: `N/Ds|m|h`, stored without surrounding spaces. */
const RATE_FORM = {
  normalise: (raw: string) => (parseRate(raw) === undefined ? undefined : raw.trim()),
  describe: RATE_RULE,
} as const;

/** sms.allowed_prefixes: '+49, +43' is stored as '+49,+43'. */
const PREFIXES_FORM = {
  normalise: (raw: string) => {
    const prefixes = raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (!prefixes.every((p) => /^\+[1-9][0-9]{0,14}$/.test(p))) return undefined;
    return [...new Set(prefixes)].join(',');
  },
  describe: "international prefixes separated by commas, each + and 1 to 15 digits (e.g. +49,+43,+41), or nothing to allow every number",
} as const;

/** What a setting's value can name. */
export type SettingReference = 'gateway' | 'radius_server';

/** The prefix of a passthru value that forwards to another RADIUS server (`radius:old`). */
export const PASSTHRU_RADIUS_PREFIX = 'radius:';
/** A RADIUS server's name (radius_server set NAME), as passthru=radius:NAME names it. */
export const RADIUS_SERVER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** passthru: true/false as before (1/0, yes/no, on/off), or radius:NAME. */
const PASSTHRU_FORM = {
  normalise: (raw: string) => {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 'true';
    if (FALSE_WORDS.has(word)) return 'false';
    const trimmed = raw.trim();
    if (!trimmed.startsWith(PASSTHRU_RADIUS_PREFIX)) return undefined;
    return RADIUS_SERVER_NAME.test(trimmed.slice(PASSTHRU_RADIUS_PREFIX.length)) ? trimmed : undefined;
  },
  describe: "true (the directory password), false, or radius:NAME (forward to the RADIUS server NAME of 'radius_server list')",
} as const;

/** How a user without a token passes, as the passthru value says. */
export type Passthru = { readonly kind: 'off' } | { readonly kind: 'directory' } | { readonly kind: 'radius'; readonly server: string };

export function passthruOf(value: string): Passthru {
  if (value.startsWith(PASSTHRU_RADIUS_PREFIX)) return { kind: 'radius', server: value.slice(PASSTHRU_RADIUS_PREFIX.length) };
  return value === 'true' ? { kind: 'directory' } : { kind: 'off' };
}

export const SETTINGS = {
  'sms.identifier': {
    kind: 'string',
    default: null,
    references: 'gateway',
    help: 'default SMS gateway identifier for tokens that do not name their own',
  },
  'sms.default_country_code': {
    kind: 'string',
    default: '',
    pattern: { test: /^([1-9][0-9]{0,2})?$/, describe: 'a country calling code of 1 to 3 digits without + or 00 (e.g. 49), or nothing' },
    help: "country calling code given to a directory's national mobile numbers (0170… becomes +49170… with 49); empty: such numbers are refused",
  },
  'sms.limit.phone': {
    kind: 'string',
    default: '5/10m',
    form: RATE_FORM,
    help: "at most this many SMS to one phone number, counted by every node of the site (N/Ds|m|h, e.g. 5/10m; '' = off)",
  },
  'sms.limit.user': {
    kind: 'string',
    default: '10/1h',
    form: RATE_FORM,
    help: "at most this many SMS for one user (N/Ds|m|h; '' = off)",
  },
  'sms.limit.client': {
    kind: 'string',
    default: '',
    form: RATE_FORM,
    help: "at most this many SMS for the logins of one RADIUS client (NAS) (N/Ds|m|h; '' = off)",
  },
  'sms.limit.prefix': {
    kind: 'string',
    default: '',
    form: RATE_FORM,
    help: "at most this many SMS to the numbers of one country calling code, e.g. all of +49 (N/Ds|m|h; '' = off)",
  },
  'sms.allowed_prefixes': {
    kind: 'string',
    default: '',
    form: PREFIXES_FORM,
    help: "SMS go only to numbers that start with one of these international prefixes (e.g. +49,+43,+41; '' = every number)",
  },
  'sms.providerTimeout': {
    kind: 'integer',
    default: 300,
    min: 10,
    max: 86400,
    help: 'seconds a challenge (and the OTP sent for it) stays valid',
  },
  'sms.resend_interval': {
    kind: 'integer',
    default: 30,
    min: 0,
    max: 3600,
    help: 'seconds before a user may ask for the SMS of a pending challenge again (empty password or the resend keyword)',
  },
  'sms.concurrent_challenges': {
    kind: 'boolean',
    default: false,
    help: 'let several open challenges of one token be answered in any order',
  },
  smstext: {
    kind: 'string',
    default: '<otp>',
    help: 'SMS text; tags {otp} {serial} {user} {givenname} {surname} {email} {username} {userrealm} {tokentype} {time} {date}, legacy <otp> <serial>',
  },
  sms_challenge_text: {
    kind: 'string',
    default: 'Enter the OTP from the SMS:',
    help: 'prompt sent as Reply-Message with the challenge; tags {phone} {phone_redacted} {serial} {user} {givenname} {surname} {email} {username} {userrealm}',
  },
  failcounter_clear_timeout: {
    kind: 'integer',
    default: 0,
    min: 0,
    max: 525600,
    help: 'minutes after the last failure at which a locked token unlocks itself (0 = never)',
  },
  increase_failcounter_on_challenge: {
    kind: 'boolean',
    default: false,
    help: 'count every SMS sent as a failure (limits SMS flooding)',
  },
  verify_enrollment: {
    kind: 'boolean',
    default: false,
    help: 'a token enrolled from now on counts only after its owner answered one OTP sent to it (token enroll --verify/--no-verify decide for one token)',
  },
  verify_enrollment_text: {
    kind: 'string',
    default: 'Your phone number is being verified. Enter the OTP from the SMS:',
    help: 'prompt of the challenge that verifies a new token; the tags of sms_challenge_text',
  },
  smsautosend: {
    kind: 'boolean',
    default: false,
    help: 'after a successful SMS login send the next OTP at once; the next login is PIN followed by that OTP',
  },
  'token.default_maxfail': {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 1000,
    help: 'failures after which a newly enrolled token is locked',
  },
  'token.default_count_window': {
    kind: 'integer',
    default: 10,
    min: 1,
    max: 1000,
    help: 'how many counter values ahead an OTP is looked for on newly enrolled tokens',
  },
  'pin.kdf_cost': {
    kind: 'integer',
    default: 14,
    min: 10,
    max: 20,
    help: 'log2 of the scrypt work factor N for PIN hashes set from now on',
  },
  otppin: {
    kind: 'string',
    default: 'tokenpin',
    choices: ['tokenpin', 'userstore', 'none'],
    help: "the first factor: tokenpin (the token's PIN), userstore (the user's directory password, an LDAP bind), none (the OTP alone)",
  },
  passthru: {
    kind: 'string',
    default: 'false' as string,
    form: PASSTHRU_FORM,
    references: 'radius_server',
    help: "a user without a token: true = a user of a user store logs in with the directory password alone (one factor); radius:NAME = the login is forwarded to the RADIUS server NAME (radius_server set), to move users over one by one",
  },
  passOnNoToken: {
    kind: 'boolean',
    default: false,
    help: 'a user who exists but has no token is let in without any check',
  },
  passOnNoUser: {
    kind: 'boolean',
    default: false,
    help: 'a login name that no user store knows and no token has is let in without any check',
  },
  enroll_via_multichallenge: {
    kind: 'string',
    default: '',
    choices: ['', 'sms'],
    help: "sms: a directory user without a token who passes the first factor (otppin userstore or none) enrolls an SMS token by challenge instead of being let in or turned away ('' = off)",
  },
  otplen: {
    kind: 'string',
    default: '6',
    choices: ['6', '8'],
    help: 'OTP length of the tokens a login enrolls by challenge (enroll_via_multichallenge): 6 or 8 digits',
  },
  enroll_via_multichallenge_text: {
    kind: 'string',
    default: 'Please enter your new phone number!',
    help: 'prompt asking a user who enrolls by challenge, and whose directory entry has no mobile number, for the phone number; tags {user} {givenname} {surname} {email} {username} {userrealm}',
  },
  'userstore.cache_seconds': {
    kind: 'integer',
    default: 60,
    min: 0,
    max: 3600,
    help: 'seconds what a user store said about a user (DN, mobile, names) is kept before it is asked again (0 = every time)',
  },
  api_key_required: {
    kind: 'boolean',
    default: false,
    help: "the HTTP front's /validate/* endpoints need an API key of role validate or admin (header Authorization or PI-Authorization); see 'apikey create'",
  },
  'audit.retention_days': {
    kind: 'integer',
    default: 180,
    min: 1,
    max: 36500,
    help: 'days audit rows are kept; every daemon removes older ones in the background',
  },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;
type ValueOf<K extends SettingKey> = (typeof SETTINGS)[K]['kind'] extends 'boolean'
  ? boolean
  : (typeof SETTINGS)[K]['kind'] extends 'integer'
    ? number
    : (typeof SETTINGS)[K] extends { choices: readonly (infer C)[] }
      ? C
      : (typeof SETTINGS)[K]['default'];
export type SettingValues = { [K in SettingKey]: ValueOf<K> };

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}


/** The kind of thing a setting's value names, if it names one. */
export function referenceOf(key: SettingKey): SettingReference | undefined {
  const def: SettingDefinition = SETTINGS[key];
  return def.references;
}

/**
 * The name a canonical value holds for its reference: a gateway setting's whole value, a
 * passthru's server after radius: (true and false name nothing).
 */
export function referencedName(key: SettingKey, value: string): { kind: SettingReference; name: string } | undefined {
  const kind = referenceOf(key);
  if (kind === 'gateway') return { kind, name: value };
  if (kind === 'radius_server') {
    const passthru = passthruOf(value);
    return passthru.kind === 'radius' ? { kind, name: passthru.server } : undefined;
  }
  return undefined;
}

/** Validates a raw string for a key and returns its canonical stored form. */
export function normaliseSetting(key: string, raw: string): string {
  if (!isSettingKey(key)) {
    throw new SettingError(`unknown setting '${key}'; known settings: ${Object.keys(SETTINGS).join(', ')}`);
  }
  const def: SettingDefinition = SETTINGS[key];
  if (def.kind === 'boolean') {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 'true';
    if (FALSE_WORDS.has(word)) return 'false';
    throw new SettingError(`setting '${key}' takes true or false, not '${raw}'`);
  }
  if (def.kind === 'integer') {
    if (!/^-?\d+$/.test(raw.trim())) throw new SettingError(`setting '${key}' takes a whole number, not '${raw}'`);
    const n = Number(raw.trim());
    if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
      throw new SettingError(`setting '${key}' must be between ${def.min} and ${def.max}, not ${n}`);
    }
    return String(n);
  }
  if (def.choices && !def.choices.includes(raw)) {
    throw new SettingError(`setting '${key}' takes one of ${def.choices.join(', ')}, not '${raw}'`);
  }
  if (def.pattern && !def.pattern.test.test(raw)) {
    throw new SettingError(`setting '${key}' takes ${def.pattern.describe}, not '${raw}'`);
  }
  if (def.form) {
    const canonical = def.form.normalise(raw);
    if (canonical === undefined) throw new SettingError(`setting '${key}' takes ${def.form.describe}, not '${raw}'`);
    return canonical;
  }
  return raw;
}

/** A canonical value (normaliseSetting's) as the setting's type. */
export function parseSetting(key: SettingKey, stored: string): string | number | boolean {
  const def: SettingDefinition = SETTINGS[key];
  if (def.kind === 'boolean') return stored === 'true';
  if (def.kind === 'integer') return Number(stored);
  return stored;
}

/** All settings with stored values applied over the defaults. */
export function resolveSettings(stored: ReadonlyMap<string, string>): SettingValues {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const raw = stored.get(key);
    values[key] = raw === undefined ? SETTINGS[key].default : parseSetting(key, raw);
  }
  return values as SettingValues;
}
