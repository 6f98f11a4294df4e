// What a notification is (privacyIDEA's UserNotification handler, for SMS): when EVENT
// happens, TEXT goes through GATEWAY to the user the event is about (`owner`) or to a fixed
// number (an operator's). Checked here once, for the CLI and for the store.
import { checkRecipient } from '../core/recipient.js';
import { SmsOtpError } from '../core/errors.js';

export const NOTIFICATION_EVENTS = ['token_locked', 'token_enrolled', 'login_from_new_client', 'sms_limit_reached', 'gateway_down'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What each event means, for `notification list` and docs/operations.md. */
export const EVENT_MEANING: Readonly<Record<NotificationEvent, string>> = {
  token_locked: "a failed login locked a token (its fail counter reached maxfail); owner: the token's number",
  token_enrolled: "a token was enrolled by a login (enroll_via_multichallenge) or the HTTP admin API (/token/init); owner: the new token's number",
  login_from_new_client: "an accepted login from a client the user never logged in from (Calling-Station-Id, else the RADIUS client); owner: the token's number",
  sms_limit_reached: 'an SMS limit (sms.limit.*) refused its first SMS in a window; owner: the number the SMS was for',
  gateway_down: 'a gateway stopped delivering (failover marked it unreachable); to an operator\'s number only',
};

/** Tags every notification text may use, over the user tags of src/core/templates.ts. */
export const EVENT_TAGS = '{event} {serial} {client} {nas} {gateway} {reason} {limit} {retry_minutes} {phone_redacted} {time} {date}';

export const OWNER = 'owner';

export interface NotificationDefinition {
  readonly identifier: string;
  readonly event: NotificationEvent;
  readonly gateway: string;
  /** 'owner' or a phone number. */
  readonly recipient: string;
  readonly text: string;
}

/**
 * Which clients a user has logged in from, as the login_from_new_client notification needs it
 * (the store keeps them): 'known', 'new' (another client was seen before) or 'first'.
 */
export interface KnownClients {
  remember(username: string, realm: string, client: string, now: number): Promise<'known' | 'new' | 'first'>;
}

export class NotificationError extends SmsOtpError {
  override name = 'NotificationError';
  readonly code = 'ERR_INVALID_VALUE';
}

export function isNotificationEvent(value: string): value is NotificationEvent {
  return (NOTIFICATION_EVENTS as readonly string[]).includes(value);
}

/** The definition as it is stored, or a NotificationError naming the option and the fix. */
export function checkDefinition(raw: { identifier: string; event: string; gateway: string; recipient: string; text: string }): NotificationDefinition {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw.identifier)) throw new NotificationError('notification id: 1 to 64 letters, digits, . _ - only');
  if (!isNotificationEvent(raw.event)) throw new NotificationError(`--event takes one of ${NOTIFICATION_EVENTS.join(', ')}, not '${raw.event}'`);
  if (raw.text.trim() === '') throw new NotificationError(`--text is empty: give the message, with tags such as {user} or ${EVENT_TAGS.split(' ')[0]}`);
  let recipient = raw.recipient.trim();
  if (recipient === OWNER) {
    if (raw.event === 'gateway_down') throw new NotificationError("--to owner: gateway_down is about no user; give an operator's number (--to +49…)");
  } else {
    const checked = checkRecipient(recipient, 'phone');
    if ('problem' in checked) throw new NotificationError(`--to takes owner or a phone number; '${raw.recipient}' ${checked.problem}`);
    recipient = checked.value;
  }
  return { identifier: raw.identifier, event: raw.event, gateway: raw.gateway, recipient, text: raw.text };
}
