// privacyIDEA's request parameters, read as it reads them: the query string and the body (a
// form or a JSON object) together, the body winning. Only strings (and JSON numbers and
// booleans, as text) are values; anything else, or a parameter given twice, is refused.
import { HttpRequestError } from './errors.js';

export type Parameters = ReadonlyMap<string, string>;

export function readParameters(query: unknown, body: unknown): Parameters {
  const params = new Map<string, string>();
  for (const [source, values] of [['query string', query], ['body', body]] as const) {
    if (values === undefined || values === null || values === '') continue;
    if (typeof values !== 'object' || Array.isArray(values)) throw new HttpRequestError(`the ${source} must be a form or a JSON object`);
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (Array.isArray(value)) throw new HttpRequestError(`parameter '${key}' is given more than once`);
      if (typeof value === 'string') params.set(key, value);
      else if (typeof value === 'number' || typeof value === 'boolean') params.set(key, String(value));
      else if (value !== null && value !== undefined) throw new HttpRequestError(`parameter '${key}' must be a string`);
    }
  }
  return params;
}

/** privacyIDEA's truth words for flags such as `exception`. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** What /validate/check, /validate/radiuscheck and /validate/triggerchallenge are asked. */
export interface ValidateParameters {
  /** The user name, `user@realm` when `realm` was given apart; '' with a serial alone. */
  readonly user: string;
  /** `user` and `realm` as given, when the realm was given apart (privacyIDEA names the user so in ERR904). */
  readonly apart?: { readonly user: string; readonly realm: string };
  readonly serial?: string;
  readonly pass: string;
  readonly transactionId?: string;
  /** exception=1: a failed SMS is an error (HTTP 500), not a reject. */
  readonly exception: boolean;
}

/** How a realm given apart is joined to the user name so that the login core splits it again. */
export type RealmJoiner = (user: string, realm: string) => string;

export function validateParameters(params: Parameters, joinRealm: RealmJoiner, needPass: boolean): ValidateParameters {
  const user = params.get('user') ?? '';
  const serial = params.get('serial') || undefined;
  if (user === '' && serial === undefined) throw new HttpRequestError("missing parameter: 'user' or 'serial'");
  const pass = params.get('pass');
  if (needPass && pass === undefined) throw new HttpRequestError("missing parameter: 'pass'");
  const realm = params.get('realm') ?? '';
  // transaction_id, or its legacy name state (privacyIDEA's FreeRADIUS plugin sends state).
  const transactionId = params.get('transaction_id') || params.get('state') || undefined;
  return {
    user: user !== '' && realm !== '' ? joinRealm(user, realm) : user,
    pass: pass ?? '',
    exception: isTrue(params.get('exception')),
    ...(user !== '' && realm !== '' ? { apart: { user, realm } } : {}),
    ...(serial === undefined ? {} : { serial }),
    ...(transactionId === undefined ? {} : { transactionId }),
  };
}
