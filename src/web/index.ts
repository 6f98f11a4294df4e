// The web UI at /ui/: the helpdesk's, the users' and the administrators' pages, served by the
// HTTP front beside privacyIDEA's API, in an encapsulated plugin of its own: its cookies,
// session, CSRF tokens and security headers touch no API route. Pages are rendered on the
// server (eta templates under web/views, escaped by default) and work without JavaScript;
// the only scripts are files of the package (the dashboard's charts), so the
// Content-Security-Policy allows no inline script at all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import { SmsOtpError } from '../core/errors.js';
import { SESSION_COOKIE, enforceIdleTimeout } from './session.js';
import { signInRoutes } from './sign-in.js';
import { homeRoutes } from './pages/home.js';
import { helpdeskRoutes } from './pages/helpdesk.js';
import { helpdeskActionRoutes } from './pages/helpdesk-actions.js';
import { helpdeskPhoneRoutes } from './pages/helpdesk-phone.js';
import { selfServiceRoutes } from './pages/self-service.js';
import { adminRoutes } from './pages/admin.js';
import type { WebOptions } from './services.js';
import { renderPage } from './render.js';

/** The package's templates and assets (beside dist/, in the package and the checkout alike). */
const WEB_DIR = fileURLToPath(new URL('../../web', import.meta.url));
// chart.js exports no subpath: its UMD build lies beside the entry point it does export.
const CHART_JS = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export function webRoutes(app: FastifyInstance, o: WebOptions): void {
  // `/` is the UI's: a person who types the host name lands on the sign-in page.
  app.get('/', async (_request, reply) => reply.redirect('/ui/'));
  void app.register(
    async (ui) => {
      await ui.register(fastifyHelmet, {
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            defaultSrc: ["'none'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'"],
            imgSrc: ["'self'", 'data:'],
            connectSrc: ["'self'"],
            formAction: ["'self'"],
            frameAncestors: ["'none'"],
            baseUri: ["'none'"],
          },
        },
        // Cross-origin isolation headers would stop nothing here and break nothing either; HSTS is the proxy's or TLS listener's choice.
        strictTransportSecurity: false,
      });
      await ui.register(fastifyCookie);
      await ui.register(fastifySession, {
        secret: o.sessionSecret,
        cookieName: SESSION_COOKIE,
        cookie: { path: '/ui', httpOnly: true, sameSite: 'strict', secure: o.secureCookie, maxAge: o.idleTimeoutMs },
        rolling: true,
        saveUninitialized: false,
        ...(o.services.sessionStore ? { store: o.services.sessionStore } : {}),
      });
      await ui.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
      await ui.register(fastifyView, {
        engine: { eta: new Eta({ views: path.join(WEB_DIR, 'views'), autoEscape: true, cache: true }) },
        root: path.join(WEB_DIR, 'views'),
        viewExt: 'eta',
      });
      await ui.register(fastifyStatic, { root: path.join(WEB_DIR, 'assets'), prefix: '/assets/', decorateReply: false, maxAge: 3_600_000 });
      // Chart.js as its package ships it: the dashboard's charts, from this host (sites run offline).
      let chart: Buffer | undefined;
      ui.get('/assets/chart.umd.min.js', async (_request, reply) =>
        reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send((chart ??= readFileSync(CHART_JS))),
      );

      ui.addHook('onRequest', async (request) => {
        if (request.url.startsWith('/ui/assets/')) return;
        if (await enforceIdleTimeout(request, o.now(), o.idleTimeoutMs)) request.log.info({ web: 'session expired' }, 'web session ended after its idle timeout');
      });
      ui.addHook('onSend', async (_request, reply) => {
        // Pages carry the person's data: never cached, by the browser or a proxy.
        if (!reply.getHeader('cache-control')) void reply.header('cache-control', 'no-store');
      });
      ui.setErrorHandler((err: FastifyError, request, reply) => webError(err, request, reply));
      ui.setNotFoundHandler((request, reply) =>
        renderPage(request, reply.code(404), 'error', { title: 'Not found', message: `There is no page ${request.url.split('?', 1)[0]}.` }),
      );

      signInRoutes(ui, o);
      homeRoutes(ui, o);
      helpdeskRoutes(ui, o);
      helpdeskActionRoutes(ui, o);
      helpdeskPhoneRoutes(ui, o);
      selfServiceRoutes(ui, o);
      adminRoutes(ui, o);
    },
    { prefix: '/ui' },
  );
}

/** A refused or failed request as a page: the status and a message, never a stack. */
function webError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof SmsOtpError && err.spec.http !== 'internal') {
    const title = err.spec.http === 403 ? 'Not allowed' : 'Refused';
    return renderPage(request, reply.code(err.spec.http), 'error', { title, message: err.message });
  }
  if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
    return renderPage(request, reply.code(403), 'error', { title: 'Form expired', message: 'This form is no longer valid (it was open too long, or came from elsewhere). Open the page again and repeat.' });
  }
  if ((err.statusCode ?? 500) >= 400 && (err.statusCode ?? 500) < 500) {
    return renderPage(request, reply.code(err.statusCode!), 'error', { title: 'Bad request', message: 'The request could not be read.' });
  }
  request.log.error({ err }, 'web page failed');
  return renderPage(request, reply.code(500), 'error', { title: 'Something went wrong', message: 'The page failed; the daemon log says why.' });
}
