// The admin role's pages: the dashboard, gateways, settings, policies and API keys. Every
// route, page or POST, checks the role on the server first (requireRole), whatever the
// navigation shows; every change goes through the application layer and is audited with the
// operator (src/app/audited-changes.ts). A change answers with a redirect to its page and a
// one-time notice kept in the session; a refused change shows the page again with the
// application layer's message beside what was typed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SmsOtpError } from '../../core/errors.js';
import { WEB_CLIENT_NAME } from '../../config/schema.js';
import type { ChangeActor } from '../../app/audited-changes.js';
import { requireRole } from '../guards.js';
import { operatorOf, type SignedIn } from '../session.js';
import type { WebOptions } from '../services.js';
import { dashboardRoutes } from './admin-dashboard.js';
import { gatewayRoutes } from './admin-gateways.js';
import { settingRoutes } from './admin-settings.js';
import { policyRoutes } from './admin-policies.js';
import { apiKeyRoutes } from './admin-api-keys.js';

declare module 'fastify' {
  interface Session {
    /** What the last change did, shown once on the page it redirected to. */
    adminNotice?: string;
  }
}

/** Longer input is no value anyone types: cut before it reaches the application layer (which has its own limits). */
const MAX_FIELD = 4096;

/** A form field as text ('' when absent or not text). */
export const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, MAX_FIELD) : '';
};

/** The signed-in admin, or undefined when the reply is already sent (a redirect to sign in); a 403 for anyone else. */
export const requireAdmin = (request: FastifyRequest, reply: FastifyReply): SignedIn | undefined => requireRole(request, reply, 'admin');

/** Who the audit says made a change from this request. */
export const actorOf = (request: FastifyRequest, user: SignedIn): ChangeActor => ({ operator: operatorOf(user), client: WEB_CLIENT_NAME, address: request.ip });

/** Redirects to `to` with a notice for the next page. */
export function doneThen(request: FastifyRequest, reply: FastifyReply, to: string, notice: string) {
  request.session.set('adminNotice', notice);
  return reply.redirect(to, 303);
}

/** The notice a change left, once. */
export function takeNotice(request: FastifyRequest): string | undefined {
  const notice = request.session.get('adminNotice');
  if (notice !== undefined) request.session.set('adminNotice', undefined);
  return notice;
}

/**
 * The application layer's refusal of a change (a bad value, a conflict, a name not found):
 * its message, for the page to show; anything else (the store down) is rethrown for the error page.
 */
export function refusalOf(err: unknown): { message: string; status: number } {
  const status = err instanceof SmsOtpError ? err.spec.http : 'internal';
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 403) return { message: (err as Error).message, status };
  throw err;
}

export function adminRoutes(ui: FastifyInstance, o: WebOptions): void {
  dashboardRoutes(ui, o);
  gatewayRoutes(ui, o);
  settingRoutes(ui, o);
  policyRoutes(ui, o);
  apiKeyRoutes(ui, o);
}
