// privacyIDEA's /validate endpoints, translated to the login core's typed requests and its
// results back into privacyIDEA's JSON, as src/radius/handlers/access-request.ts does for
// RADIUS. Every request is the client `http` (HTTP_CLIENT_NAME) at its address, so the audit
// trail tells the fronts apart and a challenge issued here is answered here (docs/http-api.md);
// the caller (src/http/caller.ts) keeps two callers' logins apart.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ApiKeyGate } from '../app/api-keys.js';
import type { Authenticator } from '../core/authenticator.js';
import type { AuthResult } from '../core/login/request.js';
import { Messages } from '../core/messages.js';
import { HTTP_CLIENT_NAME } from '../config/schema.js';
import { requireRole } from './api-keys.js';
import { callerIdentity, type CallerOf } from './caller.js';
import { ERRORS } from '../core/errors.js';
import { HttpUnknownUserError } from './errors.js';
import { readParameters, validateParameters, type Parameters, type RealmJoiner, type ValidateParameters } from './parameters.js';
import { checkResponse, errorResponse, triggerResponse } from './responses.js';

export interface ValidateOptions {
  /** The login core (src/core/login/service.ts), as the RADIUS front has it too. */
  readonly authenticator: Authenticator;
  readonly apiKeys: ApiKeyGate;
  readonly joinRealm: RealmJoiner;
  /** How long a client waits for us, at most: work still queued after that is shed. */
  readonly maxRequestMs: number;
  readonly now: () => number;
  /** Who asked, for the same-challenge-again rule (src/http/caller.ts); absent: the address alone. */
  readonly callerOf?: CallerOf;
  /** The debug trace: a tracer for a request of this login name when it is on for it (src/core/debug-trace.ts). */
  readonly tracer?: (loginName: string) => ((line: string) => void) | undefined;
}

/** Parameters whose values never reach the trace: the password, the key of a challenge (its State). */
const TRACE_MASKED = new Set(['pass', 'password', 'transaction_id', 'state']);

/** The request as the trace shows it: every parameter, masked ones by their length only. */
function traceRequest(trace: (line: string) => void, request: FastifyRequest, raw: Parameters): void {
  trace(`HTTP ${request.method} ${request.routeOptions.url ?? ''} from ${request.ip}`);
  for (const [name, value] of raw) trace(`  ${name} = ${TRACE_MASKED.has(name) ? `<masked, ${value.length} characters>` : JSON.stringify(value)}`);
}

function traceAnswer(trace: (line: string) => void, result: AuthResult): void {
  trace(`answer: ${result.outcome}${'serials' in result ? ` (tokens ${result.serials.join(', ')})` : ''}, message '${result.message}'`);
}

/** The User-Agent says which client asked (FreeRADIUS, privacyIDEA-PAM...): kept in the audit as NAS-Identifier. */
const USER_AGENT_KEPT = 128;

export function validateRoutes(app: FastifyInstance, o: ValidateOptions): void {
  const both: HTTPMethods[] = ['GET', 'POST'];

  const callerOf = o.callerOf ?? callerIdentity([]);
  const common = (request: FastifyRequest, p: ValidateParameters, raw: Parameters) => {
    const agent = request.headers['user-agent'];
    return {
      client: { name: HTTP_CLIENT_NAME, address: request.ip, caller: callerOf(request, raw) },
      ...(agent ? { nas: { identifier: agent.slice(0, USER_AGENT_KEPT) } } : {}),
      deadline: o.now() + o.maxRequestMs,
      ...(p.serial === undefined ? {} : { serial: p.serial }),
      // privacyIDEA's clients branch on ERR904 (its FreeRADIUS plugin maps it to notfound).
      namesUnknownUsers: true,
    };
  };

  const checked = async (request: FastifyRequest): Promise<{ params: ValidateParameters; result: AuthResult }> => {
    if (o.apiKeys.required()) await requireRole(o.apiKeys, request.headers, ['validate', 'admin'], request.routeOptions.url ?? 'this endpoint');
    const raw = readParameters(request.query, request.body);
    const params = validateParameters(raw, o.joinRealm, true);
    const trace = o.tracer?.(params.user);
    if (trace) traceRequest(trace, request, raw);
    const result = await o.authenticator.authenticate({
      username: params.user,
      password: params.pass,
      ...(params.transactionId === undefined ? {} : { transactionId: params.transactionId }),
      ...common(request, params, raw),
      ...(trace ? { trace } : {}),
    });
    if (trace) traceAnswer(trace, result);
    refuseUnknownUser(params, result);
    return { params, result };
  };

  app.route({
    method: both,
    url: '/validate/check',
    handler: async (request, reply) => {
      const { params, result } = await checked(request);
      if (params.exception && result.outcome === 'reject' && result.message === Messages.smsFailed) {
        return sendSmsFailure(reply, o.now());
      }
      return reply.send(checkResponse(result, o.now()));
    },
  });

  // For clients that only look at the status (rlm_rest, nginx auth_request): 204 in, 400 out.
  app.route({
    method: both,
    url: '/validate/radiuscheck',
    handler: async (request, reply) => {
      const { result } = await checked(request);
      return reply.code(result.outcome === 'accept' ? 204 : 400).send();
    },
  });

  app.route({
    method: both,
    url: '/validate/triggerchallenge',
    handler: async (request, reply) => {
      // Sends an SMS without a PIN: only for a caller that checked the first factor itself.
      await requireRole(o.apiKeys, request.headers, ['admin'], '/validate/triggerchallenge');
      const raw = readParameters(request.query, request.body);
      const params = validateParameters(raw, o.joinRealm, false);
      const trace = o.tracer?.(params.user);
      if (trace) traceRequest(trace, request, raw);
      const result = await o.authenticator.triggerChallenge({ username: params.user, ...common(request, params, raw), ...(trace ? { trace } : {}) });
      if (trace) traceAnswer(trace, result);
      refuseUnknownUser(params, result);
      if (params.exception && result.outcome === 'reject' && result.message === Messages.smsFailed) {
        return sendSmsFailure(reply, o.now());
      }
      return reply.send(triggerResponse(result, o.now()));
    },
  });
}

/**
 * privacyIDEA answers a login name that means nobody with its UserError (HTTP 400, code 904),
 * which its FreeRADIUS plugin maps to `notfound`; the login core marks such a reject, and
 * only this front says so (docs/http-api.md: RADIUS does not tell names apart).
 */
function refuseUnknownUser(params: ValidateParameters, result: AuthResult): void {
  if (result.outcome !== 'reject' || result.refusal?.reason !== 'unknown_user') return;
  const { user, realm } = params.apart ?? { user: result.refusal.username, realm: result.refusal.realm };
  throw new HttpUnknownUserError(user, realm);
}

/** exception=1: privacyIDEA raises, and its clients get an HTTP 500 error instead of a reject. */
function sendSmsFailure(reply: FastifyReply, now: number) {
  const { http, pi } = ERRORS.ERR_SMS_NOT_SENT;
  return reply.code(http).send(errorResponse({ piCode: pi, message: Messages.smsFailed, code: 'ERR_SMS_NOT_SENT' }, now));
}
