// Every action a policy may set, declared like the settings (src/core/settings.ts): its scope,
// what it takes and what it means. Authentication actions take over a site setting for the
// logins a policy matches (the setting stays the default) and validate their value exactly as
// `setting set` does, so a change to a setting's values carries over. Authorization actions
// decide after the second factor: `deny`, and the repeatable `reply_attribute`. Admin actions
// decide what someone signed in to the web UI may do: `role`, `adminrealm`, `selfservice_enroll`.
import { SettingError, normaliseSetting, type SettingKey } from '../settings.js';
import { hasControlCharacter, normaliseRealm } from '../names.js';

export type PolicyScope = 'authentication' | 'authorization' | 'admin';
export const POLICY_SCOPES: readonly PolicyScope[] = ['authentication', 'authorization', 'admin'];

/** The web UI roles an admin policy's `role` gives; without one a person signed in gets self-service only. */
export const WEB_ROLES = ['admin', 'helpdesk'] as const;
export type WebRole = (typeof WEB_ROLES)[number];

interface ActionDefinition {
  readonly scope: PolicyScope;
  /** The site setting the action takes over (its value validated and typed as that setting's). */
  readonly setting?: SettingKey;
  /** It may be given more than once in one policy; the values add up. */
  readonly repeatable?: boolean;
  readonly help: string;
}

export const ACTIONS = {
  otppin: { scope: 'authentication', setting: 'otppin', help: 'the first factor: tokenpin, userstore or none' },
  passthru: { scope: 'authentication', setting: 'passthru', help: 'a user without a token logs in with the directory password alone' },
  passOnNoToken: { scope: 'authentication', setting: 'passOnNoToken', help: 'a known user without a token is let in unchecked' },
  passOnNoUser: { scope: 'authentication', setting: 'passOnNoUser', help: 'a name nobody knows is let in unchecked (only realm and client conditions can match it)' },
  smstext: { scope: 'authentication', setting: 'smstext', help: 'the SMS text (tags of the smstext setting, plus {group})' },
  challenge_text: { scope: 'authentication', setting: 'sms_challenge_text', help: 'the challenge prompt (tags of sms_challenge_text, plus {group})' },
  smsgateway: { scope: 'authentication', setting: 'sms.identifier', help: 'the SMS gateway of tokens that name none (must exist)' },
  smsautosend: { scope: 'authentication', setting: 'smsautosend', help: 'send the next OTP right after a successful login' },
  enroll_via_multichallenge: { scope: 'authentication', setting: 'enroll_via_multichallenge', help: "sms: a directory user without a token enrolls one by challenge ('' = off)" },
  otplen: { scope: 'authentication', setting: 'otplen', help: 'OTP length (6 or 8) of the tokens enrolled by challenge' },
  deny: { scope: 'authorization', help: 'reject, after a correct OTP, with this Reply-Message' },
  reply_attribute: { scope: 'authorization', repeatable: true, help: 'add Name[:tag]=value to the Access-Accept (tags {user} {realm} {group} {serial} {client})' },
  role: { scope: 'admin', help: 'the web UI role of whom the policy matches: admin or helpdesk (no role: self-service only)' },
  adminrealm: { scope: 'admin', help: 'the realms a helpdesk sees and acts on, comma-separated (absent: all realms)' },
  selfservice_enroll: { scope: 'admin', help: 'true: the user may enroll an SMS token for themself in self-service (default false)' },
} as const satisfies Record<string, ActionDefinition>;

export type ActionKey = keyof typeof ACTIONS;

export function isActionKey(key: string): key is ActionKey {
  return Object.hasOwn(ACTIONS, key);
}

export function definitionOf(key: ActionKey): ActionDefinition {
  return ACTIONS[key];
}

/** The setting an authentication action takes over. */
export function settingOf(key: ActionKey): SettingKey | undefined {
  return definitionOf(key).setting;
}

/**
 * Checks what the core cannot: a reply attribute against the RADIUS dictionaries. The
 * composition root gives it (the core imports nothing of RADIUS); it throws a SettingError
 * naming what is wrong.
 */
export type ReplyAttributeCheck = (spec: string) => void;

/** The canonical value of one action of a policy of `scope`; throws a one-line SettingError naming the action. */
export function normaliseAction(scope: PolicyScope, key: string, raw: string, checkReplyAttribute?: ReplyAttributeCheck): string {
  if (!isActionKey(key)) {
    const known = Object.entries(ACTIONS).filter(([, d]) => d.scope === scope).map(([k]) => k);
    throw new SettingError(`unknown action '${key}' for scope ${scope}; known: ${known.join(', ')}`);
  }
  const def = definitionOf(key);
  if (def.scope !== scope) throw new SettingError(`action '${key}' belongs to scope ${def.scope}, not ${scope}`);
  if (def.setting) {
    try {
      return normaliseSetting(def.setting, raw);
    } catch (err) {
      if (err instanceof SettingError) throw new SettingError(`action ${key}: ${err.message.replace(/^setting '[^']+' /, '')}`);
      throw err;
    }
  }
  if (key === 'role') {
    const word = raw.trim().toLowerCase();
    if (!(WEB_ROLES as readonly string[]).includes(word)) throw new SettingError(`action role takes ${WEB_ROLES.join(' or ')}, not '${raw}'`);
    return word;
  }
  if (key === 'adminrealm') return normaliseRealmList(raw);
  if (key === 'selfservice_enroll') {
    const word = raw.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return 'true';
    if (FALSE_WORDS.has(word)) return 'false';
    throw new SettingError(`action selfservice_enroll takes true or false, not '${raw}'`);
  }
  if (key === 'deny') {
    if (raw.trim() === '') throw new SettingError("action deny takes the Reply-Message the user sees, e.g. deny='VPN access is not allowed for you'");
    return raw;
  }
  // reply_attribute
  if (!/^[A-Za-z][A-Za-z0-9._-]*(:\d{1,2})?=/.test(raw)) {
    throw new SettingError(`action reply_attribute takes Name[:tag]=value (e.g. Class=vpn-admins, Tunnel-Private-Group-Id:1=20), not '${raw}'`);
  }
  checkReplyAttribute?.(raw);
  return raw;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/**
 * adminrealm's canonical form: realm names normalised, sorted, without repeats, joined by
 * commas. Spaces separate too, so that privacyIDEA's `k=v, k2=v2` action string (split on
 * commas) can still give several realms: `adminrealm=a.example b.example`.
 */
function normaliseRealmList(raw: string): string {
  const realms = [...new Set(raw.split(/[\s,]+/).filter((r) => r !== '').map(normaliseRealm))].sort();
  if (realms.length === 0) throw new SettingError("action adminrealm takes one or more realm names, comma-separated (e.g. adminrealm=sales.example,hq.example)");
  const bad = realms.find(hasControlCharacter);
  if (bad !== undefined) throw new SettingError('action adminrealm: a realm name holds a control character');
  return realms.join(',');
}

/** The realms of a canonical adminrealm value. */
export function realmsOfAdminrealm(value: string): string[] {
  return value.split(',').filter((r) => r !== '');
}
