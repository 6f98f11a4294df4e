// The toll-fraud and flood brake every SMS of a login passes before it is sent (challenge,
// resend, smsautosend, enrollment by challenge): a number outside sms.allowed_prefixes is
// refused, then the SMS is counted against the limits (sms.limit.phone, .user, .client,
// .prefix) in the store, where every node of a site counts together. An SMS over a limit is
// not sent, and nothing is counted for it; one that then surely reaches no gateway (refused,
// never connected) is taken back (refundSms): the limits count what reached a gateway.
import { callingCodeOf, internationalDigits, isAllowedNumber } from '../limits/calling-code.js';
import { parseRate } from '../limits/rate.js';
import { redactPhone } from '../redact.js';
import type { CountedLimit, LimitCheck, SmsLimitName } from '../ports.js';
import type { LoginContext, LoginPorts } from './context.js';

export type SmsAdmission =
  /** `counted`: the windows it was counted in (to refund should it reach no gateway). */
  | { readonly admitted: true; readonly counted: readonly CountedLimit[] }
  /** Outside sms.allowed_prefixes: nothing was counted. */
  | { readonly admitted: false; readonly refused: 'prefix'; readonly reason: string }
  | { readonly admitted: false; readonly refused: 'limit'; readonly reason: string; readonly retryAfterMs: number };

const SETTING_OF: Readonly<Record<SmsLimitName, 'sms.limit.phone' | 'sms.limit.user' | 'sms.limit.client' | 'sms.limit.prefix'>> = {
  phone: 'sms.limit.phone',
  user: 'sms.limit.user',
  client: 'sms.limit.client',
  prefix: 'sms.limit.prefix',
};

/** Whether the SMS to `phone` for this login may go out; when it may, it has been counted. */
export async function admitSms(ports: LoginPorts, ctx: LoginContext, phone: string): Promise<SmsAdmission> {
  const { username, realm } = ctx.user;
  const client = ctx.request.client.name;
  if (!isAllowedNumber(phone, ctx.settings['sms.allowed_prefixes'])) {
    ports.events.emit({ type: 'sms_number_refused', username, realm, client, phone: redactPhone(phone) });
    return { admitted: false, refused: 'prefix', reason: `the number ${redactPhone(phone)} is outside sms.allowed_prefixes; no SMS sent` };
  }
  const checks = limitChecks(ctx, phone);
  if (checks.length === 0) return { admitted: true, counted: [] };
  const verdict = await ports.rateLimits.consume(checks, ctx.now);
  if (verdict.allowed) return { admitted: true, counted: verdict.counted ?? [] };
  const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const subject = subjectOf(verdict.name, verdict.key, phone);
  ports.events.emit({
    type: 'sms_limit_reached',
    limit: verdict.name,
    key: verdict.key,
    subject,
    retryAfterSeconds,
    firstRefusal: verdict.firstRefusal,
    username,
    realm,
    client,
    phone,
  });
  const rate = ctx.settings[SETTING_OF[verdict.name]];
  return {
    admitted: false,
    refused: 'limit',
    reason: `SMS limit reached: ${SETTING_OF[verdict.name]} ${rate} for ${subject}, free again in ${retryAfterSeconds} s; no SMS sent`,
    retryAfterMs: verdict.retryAfterMs,
  };
}

/**
 * The send of an admitted SMS failed: when the error says it surely reached no gateway, its
 * count is taken back. A failure to take it back leaves it counted (the safe side).
 */
export async function refundSms(ports: LoginPorts, admission: Extract<SmsAdmission, { admitted: true }>, err: unknown): Promise<boolean> {
  if (admission.counted.length === 0 || (err as { undelivered?: unknown } | null)?.undelivered !== true) return false;
  try {
    await ports.rateLimits.refund(admission.counted);
    return true;
  } catch {
    return false;
  }
}

/** The minutes a user is told to wait: whole minutes, at least one. */
export const minutesToWait = (retryAfterMs: number): number => Math.max(1, Math.ceil(retryAfterMs / 60_000));

/**
 * The limits that are on, with the key each counts by. A number is counted in its one
 * international form, so '+49 170 …' and '0049170…' share a count.
 */
function limitChecks(ctx: LoginContext, phone: string): LimitCheck[] {
  const keys: Record<SmsLimitName, string | undefined> = {
    phone: `phone:${internationalDigits(phone) ?? phone.replace(/[^0-9+]/g, '')}`,
    // JSON: a name holding '@' cannot pass for another user and realm.
    user: `user:${JSON.stringify([ctx.user.username, ctx.user.realm])}`,
    client: `client:${ctx.request.client.name}`,
    // A national number names no country: the prefix limit does not count it.
    prefix: ((code) => (code === undefined ? undefined : `prefix:${code}`))(callingCodeOf(phone)),
  };
  const checks: LimitCheck[] = [];
  for (const name of Object.keys(SETTING_OF) as SmsLimitName[]) {
    const rate = parseRate(ctx.settings[SETTING_OF[name]]);
    const key = keys[name];
    if (rate && key !== undefined) checks.push({ name, key, ...rate });
  }
  return checks;
}

/** The counted key as a log line may show it: a number redacted, the rest as it is. */
function subjectOf(name: SmsLimitName, key: string, phone: string): string {
  if (name === 'phone') return `phone ${redactPhone(phone)}`;
  if (name === 'user') {
    const [username, realm] = JSON.parse(key.slice('user:'.length)) as [string, string];
    return `user ${realm === '' ? username : `${username}@${realm}`}`;
  }
  return key.replace(':', ' ');
}
