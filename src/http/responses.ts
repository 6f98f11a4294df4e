// privacyIDEA's JSON answers (api/lib/utils.py send_result / send_error, api/validate.py): the
// field names are the contract its clients (PAM module, credential provider, FreeRADIUS
// plugin, SSO plugins) read.
import type { AuthResult } from '../core/login/request.js';
import { VERSION } from '../version.js';

/** The privacyIDEA version whose API this front speaks; clients that parse the version see it first. */
const PI_VERSION = '3.13';

interface Envelope {
  readonly jsonrpc: '2.0';
  readonly id: 1;
  readonly version: string;
  readonly versionnumber: string;
  readonly time: number;
  readonly result: Record<string, unknown>;
  readonly detail: Record<string, unknown> | null;
}

function envelope(result: Record<string, unknown>, detail: Record<string, unknown> | null, now: number): Envelope {
  return {
    jsonrpc: '2.0',
    id: 1,
    version: `privacyIDEA ${PI_VERSION} (sms-otp-radiusd ${VERSION})`,
    versionnumber: PI_VERSION,
    time: now / 1000,
    result,
    detail,
  };
}

/** The challenge part of detail: one multi_challenge entry per token the SMS went to. */
function challengeDetail(result: Extract<AuthResult, { outcome: 'challenge' }>): Record<string, unknown> {
  const { transactionId, serials, message } = result;
  return {
    transaction_id: transactionId,
    transaction_ids: [transactionId],
    multi_challenge: serials.map((serial) => ({
      transaction_id: transactionId,
      serial,
      type: 'sms',
      client_mode: 'interactive',
      message,
      attributes: null,
    })),
    messages: [message],
    message,
    // Deprecated in privacyIDEA, still read by older clients.
    serial: serials[0],
    type: 'sms',
    client_mode: 'interactive',
    preferred_client_mode: 'interactive',
  };
}

/** /validate/check: HTTP 200 for every decision; `value` says whether the user is in. */
export function checkResponse(result: AuthResult, now: number): Envelope {
  switch (result.outcome) {
    case 'accept':
      return envelope(
        { status: true, value: true, authentication: 'ACCEPT' },
        { message: result.message, serial: result.serial, type: 'sms', ...radiusDetail(result.replyAttributes) },
        now,
      );
    case 'challenge':
      return envelope({ status: true, value: false, authentication: 'CHALLENGE' }, challengeDetail(result), now);
    case 'reject':
      return envelope({ status: true, value: false, authentication: 'REJECT' }, { message: result.message }, now);
  }
}

/**
 * The authorization policies' reply attributes where privacyIDEA's FreeRADIUS plugin
 * (privacyidea_radius.pm) reads attributes: `detail.radius.<Name[:tag]>` the first value of
 * each, for a `[Mapping radius]` section (`Class = Class`), and `detail.radius.attributes` the
 * list of `Name[:tag]=value`, for `[Attribute X]` sections (`dir = radius`, `userAttribute =
 * attributes`, `regex = ^X=(.*)$`) that take every value.
 */
function radiusDetail(specs: readonly string[] | undefined): { radius?: Record<string, unknown> } {
  if (!specs || specs.length === 0) return {};
  const radius: Record<string, unknown> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    if (name !== 'attributes' && !Object.hasOwn(radius, name)) radius[name] = spec.slice(eq + 1);
  }
  radius.attributes = [...specs];
  return { radius };
}

/** /validate/triggerchallenge: `value` is the number of challenges (SMS sent). */
export function triggerResponse(result: AuthResult, now: number): Envelope {
  if (result.outcome === 'challenge') {
    return envelope({ status: true, value: result.serials.length, authentication: 'CHALLENGE' }, challengeDetail(result), now);
  }
  return envelope({ status: true, value: 0, authentication: 'REJECT' }, { message: result.message, messages: [], transaction_ids: [] }, now);
}

/** An admin endpoint's answer (privacyIDEA's send_result): status true, the value, and detail when there is one. */
export function adminResponse(value: unknown, detail: Record<string, unknown> | null, now: number): Envelope {
  return envelope({ status: true, value }, detail, now);
}

/** privacyIDEA's error shape: status false, the error's number and message, no detail. */
export function errorResponse(error: { piCode: number; message: string; code: string }, now: number): Envelope {
  return envelope({ status: false, error: { code: error.piCode, message: error.message, name: error.code } }, null, now);
}
