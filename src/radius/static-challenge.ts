// OpenVPN's static challenge: a client configured with `static-challenge "…" 1` asks for the
// password and a response, and sends them as one User-Password
// `SCRV1:<base64 password>:<base64 response>`. Its RADIUS plugin cannot answer an
// Access-Challenge, so the two become our PIN and OTP: with a response, one PIN+OTP login;
// with an empty one, the PIN alone, whose challenge (and SMS) is answered with a reject that
// carries the prompt, and the user connects again with the code as the response.

export const STATIC_CHALLENGE_PREFIX = 'SCRV1:';

export type StaticChallenge =
  | { readonly kind: 'none' }
  | { readonly kind: 'decoded'; readonly pin: string; readonly response: string }
  /** SCRV1 but not two base64 fields of UTF-8: refused, nothing checked. */
  | { readonly kind: 'malformed'; readonly detail: string };

/** Strict base64 (RFC 4648 §4, padded, as OpenVPN writes it); Buffer.from would skip bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeStaticChallenge(password: string): StaticChallenge {
  if (!password.startsWith(STATIC_CHALLENGE_PREFIX)) return { kind: 'none' };
  const fields = password.slice(STATIC_CHALLENGE_PREFIX.length).split(':');
  if (fields.length !== 2) return { kind: 'malformed', detail: `${fields.length} fields after SCRV1, expected 2` };
  const [pin, response] = fields.map(decodeField);
  if (pin === undefined) return { kind: 'malformed', detail: 'the password field is not base64 of UTF-8' };
  if (response === undefined) return { kind: 'malformed', detail: 'the response field is not base64 of UTF-8' };
  return { kind: 'decoded', pin, response: response.trim() };
}

function decodeField(field: string | undefined): string | undefined {
  if (field === undefined || !BASE64.test(field)) return undefined;
  try {
    return utf8.decode(Buffer.from(field, 'base64'));
  } catch {
    return undefined;
  }
}
