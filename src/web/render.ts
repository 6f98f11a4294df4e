// One page = one template under web/views, rendered in the layout (web/views/layout.eta) with
// what every page shows: the signed-in person, the navigation their role opens, and a fresh
// CSRF token for the forms on it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from './session.js';

interface NavItem {
  readonly href: string;
  readonly label: string;
}

function navigationOf(user: SignedIn | undefined): NavItem[] {
  if (!user) return [];
  const items: NavItem[] = [{ href: '/ui/me', label: 'My account' }];
  if (user.access.role !== 'user') items.push({ href: '/ui/helpdesk', label: 'Helpdesk' });
  if (user.access.role === 'admin') {
    items.push({ href: '/ui/admin', label: 'Dashboard' }, { href: '/ui/admin/gateways', label: 'Gateways' }, { href: '/ui/admin/policies', label: 'Policies' });
    items.push({ href: '/ui/admin/settings', label: 'Settings' }, { href: '/ui/admin/api-keys', label: 'API keys' });
  }
  return items;
}

export interface PageData {
  readonly title: string;
  readonly [key: string]: unknown;
}

export function renderPage(request: FastifyRequest, reply: FastifyReply, view: string, data: PageData) {
  const user = request.session?.get('user');
  // Pages rendered before the session plugin ran (a refused request) have no session, hence no forms.
  const csrf = request.session ? reply.generateCsrf() : '';
  const path = request.url.split('?', 1)[0];
  return reply.type('text/html; charset=utf-8').view(view, { ...data, user, csrf, nav: navigationOf(user), path });
}
