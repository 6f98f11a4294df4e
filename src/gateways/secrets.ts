// Which values of a gateway definition are secrets, read from the modules' declarations
// (declare.ts): sealed at rest, censored wherever a definition is shown (`gateway show` and
// `list`, GET /smsgateway/), and kept when the censored form is sent back (privacyIDEA's
// behaviour, so that a definition read with `show` can be written back unchanged).
// - a parameter declared `secret` (PASSWORD, a modem's PIN): wholly;
// - every header value, whatever its name (X-Auth, Cookie, Authorization);
// - a URL parameter (URL, the proxies) that holds a password or a query: sealed whole, shown
//   with its password and every query value censored: http://user:***@host/path?apikey=***&to=***;
// - an option no declaration names (http's request parameters): by its name, as credentials
//   are usually called (password, secret, token, api_key, authorization; a PIN).
import type { GatewayDefinition } from './definition.js';
import { CENSORED } from './definition.js';
import { NotFoundError } from '../core/errors.js';
import { moduleParameters } from './parameters.js';

export { CENSORED };

/** What a censored password or query value of a URL shows. */
const CENSORED_PART = '***';

export type EntryKind = 'option' | 'header';

/** An undeclared option whose name says it holds a credential. Not every name with KEY in it: SMS_TEXT_KEY names a form field. */
export function looksSecret(key: string): boolean {
  const upper = key.toUpperCase();
  return (
    upper.includes('PASSWORD') ||
    upper.includes('SECRET') ||
    upper === 'PIN' ||
    upper.includes('AUTHORIZATION') ||
    upper.includes('TOKEN') ||
    /API[-_]?KEY/.test(upper)
  );
}

/**
 * Whether the value is sealed at rest (and censored whole, but for a URL). Without the value
 * (the CLI deciding whether KEY=- reads standard input) a URL parameter counts as secret.
 */
export function isSecretEntry(module: string, kind: EntryKind, key: string, value?: string): boolean {
  if (kind === 'header') return true;
  const declared = moduleParameters(module)?.parameters[key];
  if (declared?.url) return value === undefined || censorUrl(value) !== value;
  if (declared) return declared.secret === true;
  return looksSecret(key);
}

function isUrlParameter(module: string, kind: EntryKind, key: string): boolean {
  return kind === 'option' && moduleParameters(module)?.parameters[key]?.url === true;
}

/**
 * A URL as it may be shown: its password and every query value censored, the rest as
 * written. One that does not parse is censored whole (it could hold anything).
 */
export function censorUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return CENSORED;
  }
  const query = value.includes('?') ? value.slice(value.indexOf('?') + 1).split('#', 1)[0]! : '';
  if (!url.password && query === '') return value;
  const auth = url.username || url.password ? `${url.username}${url.password ? `:${CENSORED_PART}` : ''}@` : '';
  const censoredQuery = query === '' ? '' : `?${query.split('&').map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=${CENSORED_PART}` : pair)).join('&')}`;
  return `${url.protocol}//${auth}${url.host}${url.pathname}${censoredQuery}${url.hash}`;
}

/** A value as it may be shown. */
function censorValue(module: string, kind: EntryKind, key: string, value: string): string {
  if (isUrlParameter(module, kind, key)) return censorUrl(value);
  return isSecretEntry(module, kind, key, value) ? CENSORED : value;
}

/** A copy of the definition safe to print or log. */
export function censorDefinition(def: GatewayDefinition): GatewayDefinition {
  const hide = (kind: EntryKind, entries: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, censorValue(def.module, kind, k, v)]));
  return { ...def, options: hide('option', def.options), headers: hide('header', def.headers) };
}

/** Whether the definition holds a censored value that stands for a stored one. */
export function holdsCensored(def: GatewayDefinition): boolean {
  const censored = (kind: EntryKind, entries: Readonly<Record<string, string>>) =>
    Object.entries(entries).some(([k, v]) => (v === CENSORED && (isSecretEntry(def.module, kind, k) || isUrlParameter(def.module, kind, k))) || (isUrlParameter(def.module, kind, k) && v.includes(CENSORED_PART)));
  return censored('option', def.options) || censored('header', def.headers);
}

/**
 * The definition with each censored value replaced by the stored one it stands for: a whole
 * __CENSORED__, or a URL whose *** parts (password, query values) are taken from the stored
 * URL, part by part, so that a URL shown censored can be sent back with its path changed.
 */
export function restoreCensored(def: GatewayDefinition, stored: GatewayDefinition | undefined): GatewayDefinition {
  const missing = (key: string): never => {
    throw new NotFoundError(`${key} is ${CENSORED} but gateway ${def.identifier} has no stored value to keep; give the real value`);
  };
  const restore = (kind: EntryKind, entries: Readonly<Record<string, string>>, before: Readonly<Record<string, string>> | undefined) =>
    Object.fromEntries(
      Object.entries(entries).map(([k, v]) => {
        const old = before?.[k];
        if (v === CENSORED && (isSecretEntry(def.module, kind, k) || isUrlParameter(def.module, kind, k))) return [k, old ?? missing(k)];
        if (isUrlParameter(def.module, kind, k) && v.includes(CENSORED_PART)) return [k, restoreUrl(k, v, old, def.identifier)];
        return [k, v];
      }),
    );
  return { ...def, options: restore('option', def.options, stored?.options), headers: restore('header', def.headers, stored?.headers) };
}

function restoreUrl(key: string, given: string, stored: string | undefined, identifier: string): string {
  const missing = (part: string): never => {
    throw new NotFoundError(`${key}: ${part} is ${CENSORED_PART} but gateway ${identifier} has no stored value to keep; give the real value`);
  };
  if (stored !== undefined && censorUrl(stored) === given) return stored;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return given; // refused by the URL check, naming the option
  }
  const old = stored === undefined ? undefined : safeUrl(stored);
  if (url.password === CENSORED_PART) url.password = old?.password || missing('the password');
  const query = url.search.slice(1);
  if (query.includes(CENSORED_PART)) {
    const pairs = query.split('&').map((pair) => {
      const at = pair.indexOf('=');
      if (at < 0 || pair.slice(at + 1) !== CENSORED_PART) return pair;
      const name = pair.slice(0, at);
      const before = old?.search.slice(1).split('&').find((p) => p.slice(0, p.indexOf('=')) === name);
      return before ?? missing(`query value ${decodeURIComponent(name)}`);
    });
    url.search = `?${pairs.join('&')}`;
  }
  return url.toString();
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
