// Which API key a request carries and whether its role may use an endpoint. privacyIDEA's
// clients send their credential bare in PI-Authorization (or Authorization); a `Bearer ` prefix
// is taken off for clients that add one.
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyGate, ApiKeyRole } from '../app/api-keys.js';
import { HttpAuthError, HttpForbiddenError } from './errors.js';

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['pi-authorization'] ?? headers.authorization;
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  return value.replace(/^Bearer\s+/i, '');
}

/** Throws unless the request carries a stored key of one of `roles`. */
export async function requireRole(gate: Pick<ApiKeyGate, 'roleOf'>, headers: IncomingHttpHeaders, roles: readonly ApiKeyRole[], endpoint: string): Promise<void> {
  const key = presentedKey(headers);
  if (key === undefined) throw new HttpAuthError(`${endpoint} needs an API key in the PI-Authorization or Authorization header`);
  const role = await gate.roleOf(key);
  if (role === undefined) throw new HttpAuthError('the API key is not valid');
  if (!roles.includes(role)) throw new HttpForbiddenError(`${endpoint} needs an API key of role ${roles.join(' or ')}, not ${role}`);
}
