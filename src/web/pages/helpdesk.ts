// The helpdesk's pages: the user search, and one user's page (tokens with their numbers
// redacted, lock state, last logins with the audit's reasons, open challenges) with the
// actions as forms (src/web/pages/helpdesk-actions.ts). Every page asks the application layer
// with the signed-in person's realms: a user of another realm is a 403, known or not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseRealm } from '../../core/names.js';
import type { UserRef } from '../../core/ports.js';
import type { UserView } from '../../app/user-view.js';
import { requireRole } from '../guards.js';
import { renderPage } from '../render.js';
import { operatorOf, type SignedIn } from '../session.js';
import type { HelpdeskActor, WebOptions } from '../services.js';

declare module 'fastify' {
  interface Session {
    /** What the last helpdesk action did (or why it failed), shown once on the page it returns to. */
    helpdeskFlash?: { readonly notice?: string; readonly message?: string };
  }
}

/** A user's page URL. The default realm's tokens stored without a realm ('') are under `-`, which no realm name is. */
export function userPath(user: UserRef): string {
  return `/ui/helpdesk/users/${encodeURIComponent(user.realm === '' ? '-' : user.realm)}/${encodeURIComponent(user.username)}`;
}

export interface UserParams {
  readonly realm: string;
  readonly username: string;
}

export function userOfParams(params: UserParams): UserRef {
  // A realm compares without case (CORP is corp): the tokens are stored under the lower-case name.
  return { username: params.username, realm: params.realm === '-' ? '' : normaliseRealm(params.realm) };
}

export function actorOf(user: SignedIn): HelpdeskActor {
  return { operator: operatorOf(user), allowedRealms: user.access.realms };
}

/** The signed-in helpdesk member (or admin) and their actor; undefined when the reply went out (a redirect to sign in). */
export function helpdeskOf(request: FastifyRequest, reply: FastifyReply): { user: SignedIn; as: HelpdeskActor } | undefined {
  const user = requireRole(request, reply, 'helpdesk');
  return user && { user, as: actorOf(user) };
}

const stateOf = (t: UserView['tokens'][number]) => (t.locked ? 'locked' : t.active ? 'active' : 'disabled');

/** The user's page; `revealed`: the one number a "Reveal phone number" asked for, shown this once. */
export async function renderUserPage(
  request: FastifyRequest,
  reply: FastifyReply,
  o: WebOptions,
  as: HelpdeskActor,
  who: UserRef,
  extra: { notice?: string; message?: string; revealed?: { serial: string; phone: string } } = {},
) {
  const view = await o.services.helpdesk.user(who, as);
  const flash = request.session.get('helpdeskFlash');
  if (flash) request.session.set('helpdeskFlash', undefined);
  const base = userPath(who);
  const name = who.realm === '' ? who.username : `${who.username}@${who.realm}`;
  const tokens = view.tokens.map((t) => ({
    ...t,
    base: `${base}/tokens/${encodeURIComponent(t.serial)}`,
    state: stateOf(t),
    phoneShown: t.dynamicPhone ? 'from the user store' : extra.revealed?.serial === t.serial ? extra.revealed.phone : t.phone || 'none',
    revealed: extra.revealed?.serial === t.serial,
  }));
  const d = view.directory;
  const fullName = [d.givenname, d.surname].filter((x) => x).join(' ');
  return renderPage(request, reply, 'helpdesk-user', {
    title: `User ${name}`,
    notice: extra.notice ?? flash?.notice,
    message: extra.message ?? flash?.message,
    base,
    tokens,
    directory: { ...d, fullName },
    lastLogins: [...view.lastLogins].reverse(),
    recentAudit: [...view.recentAudit].reverse(),
    open: view.openChallenges,
  });
}

export function helpdeskRoutes(ui: FastifyInstance, o: WebOptions): void {
  ui.get<{ Querystring: { q?: string } }>('/helpdesk', async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const query = typeof request.query.q === 'string' ? request.query.q.trim().slice(0, 256) : '';
    const result = query === '' ? undefined : await o.services.helpdesk.search(query, hd.as);
    const hits = result?.users.map((u) => ({
      ...u,
      href: userPath(u),
      name: u.realm === '' ? u.username : `${u.username}@${u.realm}`,
      state: u.locked ? 'locked' : u.active ? 'active' : 'disabled',
    }));
    const realms = hd.user.access.realms === 'all' ? 'every realm' : `realm${hd.user.access.realms.length === 1 ? '' : 's'} ${hd.user.access.realms.join(', ')}`;
    return renderPage(request, reply, 'helpdesk', { title: 'Search users', query, hits, more: result?.more ?? false, realms });
  });

  ui.get<{ Params: UserParams }>('/helpdesk/users/:realm/:username', async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    return renderUserPage(request, reply, o, hd.as, userOfParams(request.params));
  });
}
