// Sign-in is a login of the product's own core, under the client name `webui`: the user name
// and the first factor the policies ask for (directory password or PIN), then the SMS code,
// with the same fail counters, locks, SMS limits and audit rows as a RADIUS login. The code
// may also be typed after the first factor in one go, as over RADIUS. A login the core accepts
// without a token (passthru, passOnNoToken) is not a sign-in: the UI is two-factor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthResult } from '../core/login/request.js';
import { renderPage } from './render.js';
import { WEB_CLIENT_NAME } from '../config/schema.js';
import type { WebOptions } from './services.js';

/** Longer input is no name or code anyone types: refused before it reaches the core. */
const MAX_INPUT = 256;
/** How long the core may take: the page waits for the SMS gateway as a NAS would. */
const LOGIN_BUDGET_MS = 15_000;

interface SignInForm {
  readonly username?: unknown;
  readonly password?: unknown;
  readonly code?: unknown;
  readonly resend?: unknown;
}

const field = (value: unknown): string => (typeof value === 'string' ? value.slice(0, MAX_INPUT) : '');

export function signInRoutes(ui: FastifyInstance, o: WebOptions): void {
  const client = (request: FastifyRequest) => ({
    name: WEB_CLIENT_NAME,
    address: request.ip,
    // One browser session is one caller: a challenge is answered only from where it was asked.
    caller: `${WEB_CLIENT_NAME}:${request.ip}`,
  });
  const nas = (request: FastifyRequest) => ({ identifier: (request.headers['user-agent'] ?? 'browser').slice(0, 128), ipAddress: '', callingStationId: request.ip });

  const showForm = (request: FastifyRequest, reply: FastifyReply, message?: string, status = 200) =>
    renderPage(request, reply.code(status), 'login', { title: 'Sign in', message, expired: (request.query as { expired?: string }).expired === '1' });

  ui.get('/', async (request, reply) => {
    const user = request.session.get('user');
    if (!user) return reply.redirect('/ui/login');
    return reply.redirect(user.access.role === 'admin' ? '/ui/admin' : user.access.role === 'helpdesk' ? '/ui/helpdesk' : '/ui/me');
  });

  ui.get('/login', async (request, reply) => {
    if (request.session.get('user')) return reply.redirect('/ui/');
    return showForm(request, reply);
  });

  ui.post('/login', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const form = (request.body ?? {}) as SignInForm;
    const loginName = field(form.username).trim();
    const password = field(form.password);
    if (loginName === '' || password === '') return showForm(request, reply, 'Enter your user name and password.', 400);
    const result = await o.services.login.authenticate({
      username: loginName,
      password,
      client: client(request),
      nas: nas(request),
      deadline: o.now() + LOGIN_BUDGET_MS,
    });
    return answer(request, reply, loginName, result, () => showForm(request, reply, result.message || 'Sign-in failed.', 401));
  });

  /** The sign-in between its factors, unless its challenge has expired (then it is dropped: the form starts over). */
  const pendingOf = (request: FastifyRequest) => {
    const pending = request.session.get('pending');
    if (pending && pending.expiresAt <= o.now()) {
      request.session.set('pending', undefined);
      return 'expired' as const;
    }
    return pending;
  };

  ui.get('/login/code', async (request, reply) => {
    const pending = pendingOf(request);
    if (pending === 'expired') return showForm(request, reply, 'The SMS code has expired. Sign in again.', 401);
    if (!pending) return reply.redirect('/ui/login');
    return renderPage(request, reply, 'code', { title: 'Enter the SMS code', prompt: pending.message });
  });

  ui.post('/login/code', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const pending = pendingOf(request);
    if (pending === 'expired') return showForm(request, reply, 'The SMS code has expired. Sign in again.', 401);
    if (!pending) return reply.redirect('/ui/login');
    const form = (request.body ?? {}) as SignInForm;
    const resend = form.resend !== undefined;
    const code = field(form.code).trim();
    if (!resend && code === '') return renderPage(request, reply.code(400), 'code', { title: 'Enter the SMS code', prompt: pending.message, message: 'Enter the code from the SMS.' });
    const result = await o.services.login.authenticate({
      username: pending.loginName,
      password: resend ? '' : code,
      transactionId: pending.transactionId,
      ...(resend ? { resend: true } : {}),
      client: client(request),
      nas: nas(request),
      deadline: o.now() + LOGIN_BUDGET_MS,
    });
    return answer(request, reply, pending.loginName, result, () => {
      // A wrong code leaves the challenge to the core: it may still be answered until it expires or the token locks.
      return renderPage(request, reply.code(401), 'code', { title: 'Enter the SMS code', prompt: pending.message, message: result.message || 'The code was not accepted.' });
    });
  });

  ui.post('/logout', { preHandler: ui.csrfProtection }, async (request, reply) => {
    const user = request.session.get('user');
    if (user) request.log.info({ web: 'sign-out', user: `${user.username}@${user.realm}` }, 'web sign-out');
    await request.session.destroy();
    return reply.redirect('/ui/login');
  });

  /** What a round's result makes of the session: a pending code, a signed-in person, or the form again. */
  async function answer(request: FastifyRequest, reply: FastifyReply, loginName: string, result: AuthResult, refused: () => unknown) {
    if (result.outcome === 'challenge') {
      request.session.set('pending', { loginName, transactionId: result.transactionId, expiresAt: result.expiresAt, message: result.message });
      request.session.set('lastSeen', o.now());
      return reply.redirect('/ui/login/code');
    }
    if (result.outcome === 'accept' && result.serial !== '') {
      const user = { username: result.username, realm: result.realm };
      const access = await o.services.access.of(user, { name: WEB_CLIENT_NAME, address: request.ip });
      // A new session id for the signed-in person: an id planted before sign-in is worth nothing after it.
      await request.session.regenerate();
      request.session.set('user', { ...user, access });
      request.session.set('lastSeen', o.now());
      request.log.info({ web: 'sign-in', user: `${user.username}@${user.realm}`, role: access.role }, 'web sign-in');
      return reply.redirect('/ui/');
    }
    if (result.outcome === 'accept') {
      request.session.set('pending', undefined);
      return showForm(request, reply, 'Signing in here needs an SMS token; ask your helpdesk to enroll one.', 401);
    }
    return refused();
  }
}
