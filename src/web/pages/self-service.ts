// Self-service changes to one's own account: a new phone number for my tokens, and an SMS
// token for someone who has none where a policy allows it (selfservice_enroll). Either way the
// number is proved first: a code goes to the NEW number, the next page asks for it, and only
// then is anything saved. The pending verification lives in the server-side session (its id
// and the number typed; never the code); the application layer keeps the code's HMAC and
// counts wrong answers, and after the third the person starts again with a new code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RefusedError, SmsOtpError } from '../../core/errors.js';
import { requireRole } from '../guards.js';
import { renderPage } from '../render.js';
import { operatorOf, type SignedIn } from '../session.js';
import type { SelfServicePort, WebOptions } from '../services.js';

/** As the application layer voids a verification: the third wrong code ends it. */
const MAX_WRONG_CODES = 3;
/** Longer input is no phone number or code anyone types. */
const MAX_INPUT = 64;
/** Longer than any PIN the token may keep: refused by the application layer, not cut silently to fit. */
const MAX_PIN = 256;

type Purpose = 'phone' | 'enroll';

interface PendingVerification {
  readonly purpose: Purpose;
  readonly verificationId: string;
  /** The number as typed: the person sees where the code went (and spots a typo). */
  readonly phone: string;
  readonly expiresAt: number;
  readonly wrong: number;
}

declare module 'fastify' {
  interface Session {
    /** A number being proved by the code sent to it. */
    verification?: PendingVerification;
  }
}

/** Each purpose's pages: the form that asks for the number, and what the person reads. */
const FORMS: Record<Purpose, { readonly path: string; readonly view: string; readonly title: string }> = {
  phone: { path: '/ui/me/phone', view: 'me-phone', title: 'Change my phone number' },
  enroll: { path: '/ui/me/enroll', view: 'me-enroll', title: 'Enroll an SMS token' },
};

const field = (value: unknown): string => (typeof value === 'string' ? value.slice(0, MAX_INPUT).trim() : '');

/** A refusal the person can act on (a malformed number, too soon, a wrong code); anything else is the error page's. */
const refusal = (err: unknown): string | undefined => (err instanceof SmsOtpError && err.spec.http !== 'internal' ? err.message : undefined);

export function selfServiceRoutes(ui: FastifyInstance, o: WebOptions): void {
  /** The signed-in person and the self-service port, or the reply already sent (sign-in page, or "not offered"). */
  const prepare = (request: FastifyRequest, reply: FastifyReply): { user: SignedIn; port: SelfServicePort } | undefined => {
    const user = requireRole(request, reply, 'user');
    if (!user) return undefined;
    const port = o.services.selfService;
    if (!port) {
      void renderPage(request, reply.code(404), 'error', { title: 'Not offered', message: 'This daemon offers no self-service changes; ask your helpdesk.' });
      return undefined;
    }
    return { user, port };
  };
  const owner = (user: SignedIn) => ({ username: user.username, realm: user.realm });
  const tokenCount = async (user: SignedIn) => (await o.services.accounts.of(owner(user)))?.tokens.length ?? 0;

  /** Whether the person may use the purpose's form now: a phone change needs a token, an enrollment a policy and no token. */
  const allowed = async (purpose: Purpose, user: SignedIn): Promise<string | undefined> => {
    const tokens = await tokenCount(user);
    if (purpose === 'phone') return tokens > 0 ? undefined : 'You have no token whose number could change.';
    if (!o.services.selfService?.enrollment || !user.access.selfServiceEnroll) return 'No policy lets you enroll a token yourself; ask your helpdesk.';
    return tokens === 0 ? undefined : 'You have a token already; change its phone number instead.';
  };

  const showForm = (request: FastifyRequest, reply: FastifyReply, purpose: Purpose, message?: string, status = 200, phone = '') =>
    renderPage(request, reply.code(status), FORMS[purpose].view, { title: FORMS[purpose].title, message, phone });

  const showVerify = async (request: FastifyRequest, reply: FastifyReply, pending: PendingVerification, message?: string, status = 200) => {
    const askPin = pending.purpose === 'enroll' && ((await o.services.selfService?.enrollment?.pinRequired()) ?? false);
    return renderPage(request, reply.code(status), 'me-verify', { title: 'Enter the verification code', phone: pending.phone, purpose: pending.purpose, askPin, message });
  };

  for (const purpose of ['phone', 'enroll'] as const) {
    const path = FORMS[purpose].path.slice('/ui'.length);

    ui.get(path, async (request, reply) => {
      const ready = prepare(request, reply);
      if (!ready) return reply;
      const refused = await allowed(purpose, ready.user);
      if (refused) return renderPage(request, reply.code(403), 'error', { title: 'Not allowed', message: refused });
      return showForm(request, reply, purpose);
    });

    ui.post(path, { preHandler: ui.csrfProtection }, async (request, reply) => {
      const ready = prepare(request, reply);
      if (!ready) return reply;
      const { user, port } = ready;
      // Checked on the server for every request: a form posted by hand gets no further than the page would.
      const refused = await allowed(purpose, user);
      if (refused) return renderPage(request, reply.code(403), 'error', { title: 'Not allowed', message: refused });
      const phone = field((request.body as { phone?: unknown } | undefined)?.phone);
      if (phone === '') return showForm(request, reply, purpose, 'Enter the new phone number.', 400);
      try {
        const change = purpose === 'phone' ? port.phoneChange : port.enrollment!;
        const started = await change.start(owner(user), phone, operatorOf(user));
        request.session.set('verification', { purpose, verificationId: started.verificationId, phone, expiresAt: started.expiresAt, wrong: 0 });
        request.log.info({ web: `self-service ${purpose}: code sent`, user: operatorOf(user) }, 'web self-service: verification code sent to the new number');
        return reply.redirect('/ui/me/verify');
      } catch (err) {
        const message = refusal(err);
        if (message === undefined) throw err;
        return showForm(request, reply, purpose, message, 400, phone);
      }
    });
  }

  ui.get('/me/verify', async (request, reply) => {
    const ready = prepare(request, reply);
    if (!ready) return reply;
    const pending = request.session.get('verification');
    if (!pending) return reply.redirect('/ui/me');
    return showVerify(request, reply, pending);
  });

  ui.post('/me/verify', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const ready = prepare(request, reply);
    if (!ready) return reply;
    const { user, port } = ready;
    const pending = request.session.get('verification');
    if (!pending) return reply.redirect('/ui/me');
    const body = (request.body ?? {}) as { code?: unknown; pin?: unknown; cancel?: unknown };
    if (body.cancel !== undefined) {
      request.session.set('verification', undefined);
      return reply.redirect('/ui/me');
    }
    const code = field(body.code);
    if (code === '') return showVerify(request, reply, pending, 'Enter the code from the SMS.', 400);
    try {
      if (pending.purpose === 'phone') await port.phoneChange.confirm(owner(user), pending.verificationId, code, operatorOf(user));
      else {
        if (!port.enrollment) throw new RefusedError('self-service enrollment is no longer offered');
        // The PIN goes straight to the application layer: never into the session, a log or a page.
        const pin = typeof body.pin === 'string' && body.pin !== '' ? body.pin.slice(0, MAX_PIN) : undefined;
        await port.enrollment.confirm(owner(user), pending.verificationId, code, operatorOf(user), pin);
      }
    } catch (err) {
      const message = refusal(err);
      if (message === undefined) throw err;
      // Only a refused code counts (a PIN refused before the code was tried does not).
      const wrong = pending.wrong + (err instanceof SmsOtpError && err.code === 'ERR_VERIFICATION_FAILED' ? 1 : 0);
      if (wrong >= MAX_WRONG_CODES || o.now() >= pending.expiresAt) {
        // The application layer voided it: a new number and a new code from the start.
        request.session.set('verification', undefined);
        return showForm(request, reply, pending.purpose, message, 400, pending.phone);
      }
      request.session.set('verification', { ...pending, wrong });
      return showVerify(request, reply, pending, message, 400);
    }
    request.session.set('verification', undefined);
    request.log.info({ web: `self-service ${pending.purpose}: done`, user: operatorOf(user) }, 'web self-service: number verified and saved');
    return reply.redirect(`/ui/me?done=${pending.purpose}`);
  });
}
