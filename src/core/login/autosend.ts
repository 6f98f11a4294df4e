// smsautosend (privacyIDEA's name): after a successful SMS login the next OTP goes out at
// once, so that the user has it at hand for the next login, typed after the PIN (PIN+OTP in
// one password, no challenge). As in privacyIDEA the counter is not advanced for it: the
// accepted OTP moved the counter to matched + 1, and the OTP of that counter is the first the
// next PIN+OTP accepts. A PIN-only login later advances the counter past it (a new challenge
// with a new OTP), which makes the autosent OTP void, as in privacyIDEA.
//
// The SMS is sent after the accept is committed and answered, so a slow gateway never holds
// the login; it is audited in a row of its own (action `autosend`).
import type { Token } from '../model.js';
import { gatewayOf, sendOtp } from './challenges.js';
import type { LoginContext, LoginPorts } from './context.js';
import { auditEntry } from './verdict.js';

/**
 * After an accept of `token` at counter `matched`: sends HOTP(matched + 1) when smsautosend
 * is on. An older open challenge answered (concurrent challenges) left the counter where a
 * later challenge had put it; that OTP went out already, so nothing is sent then.
 */
export function autosendNext(ports: LoginPorts, ctx: LoginContext, token: Token, matched: number): void {
  if (!ctx.settings.smsautosend || matched < token.counter) return;
  if (gatewayOf(ctx, token) === null) return;
  const counter = matched + 1;
  ctx.defer(async () => {
    const { phone, failure } = await sendOtp(ports, ctx, token, counter);
    const reason = failure === undefined ? 'next OTP sent (smsautosend)' : `next OTP not sent (smsautosend): ${failure}`;
    const at = ports.clock.now();
    const entry = auditEntry(ctx, { action: 'autosend', at, serials: [token.serial], reason, sms: [{ gateway: gatewayOf(ctx, token) ?? '', phone }] });
    await ports.store.commit({ steps: [], audit: { ok: entry } });
    ports.events.emit({ type: 'autosend', serial: token.serial, username: ctx.user.username, realm: ctx.user.realm, sent: failure === undefined });
  });
}
