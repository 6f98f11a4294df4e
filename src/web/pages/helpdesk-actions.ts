// The helpdesk's actions on a user's page, each a POST form with a CSRF token: unlock, disable,
// enable, reveal the phone, send a test SMS, delete (after a confirmation page), enroll an SMS
// token (the phone change: src/web/pages/helpdesk-phone.ts). Each goes through the application layer as the signed-in member
// (their name in the audit row, their realms as the limit) and returns to the user's page with
// a notice of what was done. A refused value (a malformed number, an SMS that was not sent) is
// shown on that page; a user or token of a realm the member may not see is the 403 page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, SmsOtpError } from '../../core/errors.js';
import type { UserRef } from '../../core/ports.js';
import { renderPage } from '../render.js';
import type { HelpdeskActor, WebOptions } from '../services.js';
import { helpdeskOf, renderUserPage, userOfParams, userPath, type UserParams } from './helpdesk.js';

export interface TokenParams extends UserParams {
  readonly serial: string;
}

type Form = Record<string, string | string[] | undefined>;

/** One value of the form ('' when absent; the first when given twice). */
export function field(form: unknown, name: string): string {
  const value = (form as Form | undefined)?.[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The user's token `serial`, after the user's realm was checked (a 403 before anything else is read). */
export async function tokenOf(o: WebOptions, as: HelpdeskActor, who: UserRef, serial: string) {
  const view = await o.services.helpdesk.user(who, as);
  const token = view.tokens.find((t) => t.serial === serial);
  if (!token) throw new NotFoundError(`user ${who.username} has no token ${serial}`);
  return token;
}

/**
 * Runs a helpdesk action and returns to the user's page with what it did; the action's refusal
 * (a value, a failed SMS) is shown there too. A 403 is not caught: it is the 403 page.
 */
export async function act(request: FastifyRequest, reply: FastifyReply, who: UserRef, action: () => Promise<string>) {
  let flash: { notice?: string; message?: string };
  try {
    flash = { notice: await action() };
  } catch (err) {
    if (!(err instanceof SmsOtpError) || err.spec.http === 403 || err.spec.http === 'internal') throw err;
    flash = { message: err.message };
  }
  request.session.set('helpdeskFlash', flash);
  return reply.redirect(userPath(who), 303);
}

const ACTIONS = {
  unlock: { action: 'reset', done: 'Unlocked' },
  disable: { action: 'disable', done: 'Disabled' },
  enable: { action: 'enable', done: 'Enabled' },
} as const;

export function helpdeskActionRoutes(ui: FastifyInstance, o: WebOptions): void {
  const token = '/helpdesk/users/:realm/:username/tokens/:serial';
  const csrf = { preHandler: ui.csrfProtection };

  for (const [path, { action, done }] of Object.entries(ACTIONS)) {
    ui.post<{ Params: TokenParams }>(`${token}/${path}`, csrf, async (request, reply) => {
      const hd = helpdeskOf(request, reply);
      if (!hd) return reply;
      const who = userOfParams(request.params);
      const t = await tokenOf(o, hd.as, who, request.params.serial);
      return act(request, reply, who, async () => `${done}: ${(await o.services.helpdesk.change(action, t.serial, hd.as)).join('; ')}.`);
    });
  }

  ui.post<{ Params: TokenParams }>(`${token}/resend`, csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    return act(request, reply, who, async () => {
      const sent = await o.services.helpdesk.resend(t.serial, hd.as);
      return `A test SMS with a login code was sent for token ${sent.serial} to ${sent.phone} through ${sent.gateway}.`;
    });
  });

  // The full number, shown on this one answer (not kept in the session, not in a URL).
  ui.post<{ Params: TokenParams }>(`${token}/reveal`, csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    const revealed = await o.services.helpdesk.revealPhone(t.serial, hd.as);
    return renderUserPage(request, reply, o, hd.as, who, { revealed, notice: `The phone number of token ${t.serial} is shown once; this was written to the audit trail.` });
  });

  ui.get<{ Params: TokenParams }>(`${token}/delete`, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    const name = who.realm === '' ? who.username : `${who.username}@${who.realm}`;
    return renderPage(request, reply, 'helpdesk-delete', { title: `Delete token ${t.serial}?`, name, token: { ...t, phoneShown: t.dynamicPhone ? 'from the user store' : t.phone }, back: userPath(who), action: `${userPath(who)}/tokens/${encodeURIComponent(t.serial)}/delete` });
  });

  ui.post<{ Params: TokenParams }>(`${token}/delete`, csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    return act(request, reply, who, async () => {
      await o.services.helpdesk.delete(t.serial, hd.as);
      return `Token ${t.serial} was deleted.`;
    });
  });

  ui.post<{ Params: UserParams }>('/helpdesk/users/:realm/:username/enroll', csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    // The realm first: the page of a user of another realm is a 403 before any value is read.
    await o.services.helpdesk.user(who, hd.as);
    const phone = field(request.body, 'phone').trim();
    // Never trimmed or logged: a PIN is what was typed.
    const pin = field(request.body, 'pin');
    return act(request, reply, who, async () => `SMS token ${(await o.services.helpdesk.enrollSms(who, phone, pin === '' ? undefined : pin, hd.as)).serial} was enrolled.`);
  });
}
