// Self-service: "My account", the page everyone who signs in has: my tokens (numbers redacted)
// and my last logins with the audit's reasons.
import type { FastifyInstance } from 'fastify';
import { redactPhone } from '../../core/redact.js';
import { requireRole } from '../guards.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';

export function homeRoutes(ui: FastifyInstance, o: WebOptions): void {
  ui.get('/me', async (request, reply) => {
    const user = requireRole(request, reply, 'user');
    if (!user) return reply;
    const view = await o.services.accounts.of(user);
    const account = view && {
      tokens: view.tokens.map((t) => ({
        ...t,
        phoneShown: t.dynamicPhone ? 'from the directory' : redactPhone(t.phone),
        state: t.locked ? 'locked' : t.active ? 'active' : 'disabled',
      })),
      lastLogins: [...view.lastLogins].reverse(),
    };
    return renderPage(request, reply, 'me', { title: 'My account', account });
  });
}
