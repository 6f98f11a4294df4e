// The HTTP API's keys as `apikey list` shows them: id, role, description, creation time; never
// a key, which exists only as its hash once created. A new key is shown once, on the page that
// answers its creation (never stored in the session, never in a URL, never cached), with a
// warning; deletion after a confirmation page. Both are audited with the operator.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_ROLES } from '../../app/api-keys.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';
import { actorOf, doneThen, field, refusalOf, requireAdmin, takeNotice } from './admin.js';

const ROLE_HELP: Record<(typeof API_KEY_ROLES)[number], string> = {
  admin: 'admin: the admin API (/token/, /smsgateway/, /system/, /policy/, /audit/)',
  validate: 'validate: /validate/ only (a VPN portal, a PAM module)',
};

export function apiKeyRoutes(ui: FastifyInstance, o: WebOptions): void {
  const admin = o.services.admin;

  const showPage = async (request: FastifyRequest, reply: FastifyReply, refused?: { message: string; status: number; role: string; description: string }) => {
    const keys = await admin.apiKeys.list();
    return renderPage(request, reply.code(refused?.status ?? 200), 'admin-api-keys', {
      title: 'API keys',
      keys: keys.map((k) => ({ ...k, created: k.createdAt.slice(0, 19).replace('T', ' ') })),
      roles: API_KEY_ROLES.map((r) => ({ role: r, help: ROLE_HELP[r] })),
      form: { role: refused?.role ?? 'admin', description: refused?.description ?? '' },
      notice: takeNotice(request),
      ...(refused ? { message: refused.message } : {}),
    });
  };

  ui.get('/admin/api-keys', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    return showPage(request, reply);
  });

  ui.post('/admin/api-keys', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user = requireAdmin(request, reply);
    if (!user) return reply;
    const role = field(request.body, 'role');
    const description = field(request.body, 'description').trim();
    try {
      const created = await admin.changes.createApiKey(actorOf(request, user), role, description);
      // The key's one showing: this answer only (no-store, as every UI page), not a redirect whose page could be reloaded.
      return renderPage(request, reply.code(201), 'admin-api-key-created', { title: `API key ${created.id} created`, created });
    } catch (err) {
      return showPage(request, reply, { ...refusalOf(err), role, description });
    }
  });

  ui.get('/admin/api-keys/:id/delete', async (request, reply) => {
    if (!requireAdmin(request, reply)) return reply;
    const { id } = request.params as { id: string };
    const key = (await admin.apiKeys.list()).find((k) => String(k.id) === id);
    if (!key) return renderPage(request, reply.code(404), 'error', { title: 'Not found', message: `There is no API key ${id}.` });
    return renderPage(request, reply, 'admin-confirm', {
      title: `Delete API key ${key.id}?`,
      question: `API key ${key.id} (role ${key.role}${key.description ? `, ${key.description}` : ''}) will be refused by every node from now on. Whatever uses it stops working.`,
      action: `/ui/admin/api-keys/${key.id}/delete`,
      confirm: `Delete API key ${key.id}`,
      back: '/ui/admin/api-keys',
    });
  });

  ui.post('/admin/api-keys/:id/delete', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user = requireAdmin(request, reply);
    if (!user) return reply;
    const { id } = request.params as { id: string };
    await admin.changes.deleteApiKey(actorOf(request, user), id);
    return doneThen(request, reply, '/ui/admin/api-keys', `API key ${id} deleted.`);
  });
}
