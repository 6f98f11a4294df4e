// The helpdesk's "Change phone": at once, or "Verify by SMS first", where a code goes to the
// new number and the number is saved only when the helpdesk types back the code the user reads
// to them (a caller who is not the user cannot redirect the logins' SMS to a phone of theirs).
// The verification's id stays in the session, never in a URL or a page.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SmsOtpError } from '../../core/errors.js';
import { redactPhone } from '../../core/redact.js';
import { renderPage } from '../render.js';
import type { WebOptions } from '../services.js';
import { act, field, tokenOf, type TokenParams } from './helpdesk-actions.js';
import { helpdeskOf, userOfParams, userPath } from './helpdesk.js';

declare module 'fastify' {
  interface Session {
    /** A verified phone change waiting for its code: whose, which token, and the number redacted. */
    helpdeskVerification?: { readonly verificationId: string; readonly realm: string; readonly username: string; readonly serial: string; readonly phoneShown: string };
  }
}

export function helpdeskPhoneRoutes(ui: FastifyInstance, o: WebOptions): void {
  const token = '/helpdesk/users/:realm/:username/tokens/:serial';
  const csrf = { preHandler: ui.csrfProtection };

  ui.post<{ Params: TokenParams }>(`${token}/phone`, csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    const phone = field(request.body, 'phone').trim();
    if (field(request.body, 'verify') === '') {
      return act(request, reply, who, async () => {
        await o.services.helpdesk.setPhone(t.serial, phone, hd.as);
        return `The phone number of token ${t.serial} was changed; the next SMS goes to the new number.`;
      });
    }
    let started: { verificationId: string };
    try {
      started = await o.services.helpdesk.verifiedPhone.start(who, t.serial, phone, hd.as);
    } catch (err) {
      // A refused number or a code asked for too soon: said on the user's page, like any action's refusal.
      return act(request, reply, who, async () => {
        throw err;
      });
    }
    request.session.set('helpdeskVerification', { verificationId: started.verificationId, realm: who.realm, username: who.username, serial: t.serial, phoneShown: redactPhone(phone) });
    return reply.redirect(`${userPath(who)}/tokens/${encodeURIComponent(t.serial)}/phone/confirm`, 303);
  });

  /** The pending verification of this token, if the session has one. */
  const pendingOf = (request: FastifyRequest, params: TokenParams) => {
    const pending = request.session.get('helpdeskVerification');
    const who = userOfParams(params);
    return pending && pending.realm === who.realm && pending.username === who.username && pending.serial === params.serial ? pending : undefined;
  };
  const confirmPage = (params: TokenParams, phoneShown: string) => {
    const who = userOfParams(params);
    return { title: 'Confirm the new phone number', phoneShown, serial: params.serial, back: userPath(who), action: `${userPath(who)}/tokens/${encodeURIComponent(params.serial)}/phone/confirm` };
  };

  ui.get<{ Params: TokenParams }>(`${token}/phone/confirm`, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    await tokenOf(o, hd.as, who, request.params.serial);
    const pending = pendingOf(request, request.params);
    if (!pending) return reply.redirect(userPath(who), 303);
    return renderPage(request, reply, 'helpdesk-phone-confirm', confirmPage(request.params, pending.phoneShown));
  });

  ui.post<{ Params: TokenParams }>(`${token}/phone/confirm`, csrf, async (request, reply) => {
    const hd = helpdeskOf(request, reply);
    if (!hd) return reply;
    const who = userOfParams(request.params);
    const t = await tokenOf(o, hd.as, who, request.params.serial);
    const pending = pendingOf(request, request.params);
    if (!pending) return reply.redirect(userPath(who), 303);
    try {
      const saved = await o.services.helpdesk.verifiedPhone.confirm(who, t.serial, pending.verificationId, field(request.body, 'code'), hd.as);
      request.session.set('helpdeskVerification', undefined);
      return act(request, reply, who, async () => `The phone number of token ${t.serial} was verified and changed to ${redactPhone(saved)}; the next SMS goes to it.`);
    } catch (err) {
      if (!(err instanceof SmsOtpError) || err.spec.http !== 400) throw err;
      // A wrong code may be typed again (until the third); an expired or spent one needs a new change.
      return renderPage(request, reply.code(400), 'helpdesk-phone-confirm', { ...confirmPage(request.params, pending.phoneShown), message: err.message });
    }
  });
}

