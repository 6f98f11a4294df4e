// Which API key a request carries and whether its role may use an endpoint. privacyIDEA's
// clients send their credential bare in PI-Authorization (or Authorization); a `Bearer ` prefix
// is taken off for clients that add one.
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyGate, ApiKeyHolder, ApiKeyRole } from '../app/api-keys.js';
import { HttpAuthError, HttpForbiddenError } from './errors.js';

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['pi-authorization'] ?? headers.authorization;
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  return value.replace(/^Bearer\s+/i, '');
}

/** The holder of the request's key; throws unless it is a stored key of one of `roles`. */
export async function requireRole(gate: Pick<ApiKeyGate, 'holderOf'>, headers: IncomingHttpHeaders, roles: readonly ApiKeyRole[], endpoint: string): Promise<ApiKeyHolder> {
  const key = presentedKey(headers);
  if (key === undefined) throw new HttpAuthError(`${endpoint} needs an API key in the PI-Authorization or Authorization header`);
  const holder = await gate.holderOf(key);
  if (holder === undefined) throw new HttpAuthError('the API key is not valid');
  if (!roles.includes(holder.role)) throw new HttpForbiddenError(`${endpoint} needs an API key of role ${roles.join(' or ')}, not ${holder.role}`);
  return holder;
}
