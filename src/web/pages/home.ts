// Self-service: "My account", the page everyone who signs in has: my tokens (numbers redacted),
// what I may change (my phone number; a token where a policy lets me enroll one) and my last
// logins with the audit's reasons, newest first, in words a user reads.
import type { FastifyInstance } from 'fastify';
import { redactPhone } from '../../core/redact.js';
import type { AuditView } from '../../app/audit.js';
import { requireRole } from '../guards.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';

/** What the ?done= of a finished self-service change tells the person. */
const DONE: Record<string, string> = {
  phone: 'Your phone number was changed. The next code goes to the new number.',
  enroll: 'Your SMS token was enrolled. Sign in with it next time.',
};

/** The audit's outcomes as a user calls them. */
const OUTCOME: Record<string, string> = { accept: 'Signed in', reject: 'Refused', challenge: 'Code sent' };

/** Where a login came from: the web UI, or a NAS by its name (the VPN, the Wi-Fi...). */
const fromOf = (a: AuditView) => (a.client === 'webui' ? 'this web page' : a.nasIdentifier ? `${a.client} (${a.nasIdentifier})` : a.client);

export function homeRoutes(ui: FastifyInstance, o: WebOptions): void {
  ui.get('/me', async (request, reply) => {
    const user = requireRole(request, reply, 'user');
    if (!user) return reply;
    const view = await o.services.accounts.of(user);
    const tokens = (view?.tokens ?? []).map((t) => ({
      serial: t.serial,
      phoneShown: t.dynamicPhone ? 'from the directory' : redactPhone(t.phone),
      state: t.locked ? (t.unlocksAt ? `locked until ${t.unlocksAt.replace('T', ' ').slice(0, 16)} UTC` : 'locked') : t.active ? 'active' : 'disabled',
      lastAuthAt: t.lastAuthAt ? t.lastAuthAt.replace('T', ' ').slice(0, 19) : 'never',
    }));
    const lastLogins = [...(view?.lastLogins ?? [])].reverse().map((a) => ({
      time: a.time.replace('T', ' ').slice(0, 19),
      outcome: OUTCOME[a.action] ?? a.action,
      from: fromOf(a),
      reason: a.reason,
    }));
    const selfService = o.services.selfService;
    const done = DONE[(request.query as { done?: string }).done ?? ''];
    return renderPage(request, reply, 'me', {
      title: 'My account',
      tokens,
      lastLogins,
      canChangePhone: selfService !== undefined && tokens.length > 0,
      canEnroll: selfService?.enrollment !== undefined && tokens.length === 0 && user.access.selfServiceEnroll,
      ...(done ? { notice: done } : {}),
    });
  });
}
