// Every action a policy may set, declared like the settings (src/core/settings.ts): its scope,
// what it takes and what it means. Authentication actions take over a site setting for the
// logins a policy matches (the setting stays the default) and validate their value exactly as
// `setting set` does, so a change to a setting's values carries over. Authorization actions
// decide after the second factor: `deny`, and the repeatable `reply_attribute`.
import { SettingError, normaliseSetting, type SettingKey } from '../settings.js';

export type PolicyScope = 'authentication' | 'authorization';
export const POLICY_SCOPES: readonly PolicyScope[] = ['authentication', 'authorization'];

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
