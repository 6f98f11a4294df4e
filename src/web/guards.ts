// Role checks of the UI, made on the server for every page and every action (a hidden button
// protects nothing). Roles order: admin includes helpdesk, helpdesk includes user.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebForbiddenError } from './errors.js';
import type { SignedIn } from './session.js';

type Role = SignedIn['access']['role'];
const RANK: Record<Role, number> = { user: 0, helpdesk: 1, admin: 2 };

/**
 * The signed-in person when their role is at least `role`; a redirect to the sign-in page for
 * nobody (undefined: the reply is sent); a 403 for anyone else.
 */
export function requireRole(request: FastifyRequest, reply: FastifyReply, role: Role): SignedIn | undefined {
  const user = request.session.get('user');
  if (!user) {
    // A form posted after the session ended: the sign-in page, not an error.
    void reply.redirect(`/ui/login?expired=1`);
    return undefined;
  }
  if (RANK[user.access.role] < RANK[role]) throw new WebForbiddenError(`this needs the ${role} role; yours is ${user.access.role}`);
  return user;
}
