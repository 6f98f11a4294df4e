// The admin API: privacyIDEA's /token/, /smsgateway/, /system/, /policy/ and /audit/ endpoints (and our /session/), every
// one behind an API key of role admin, each a thin translation onto the application layer
// (src/app) that the CLI uses too. Every call is logged, refused ones included, with the
// names of the parameters it carried and never their values (PINs, keys, gateway secrets);
// a name that is none of ours is only counted, since a client's mistake can put anything,
// a PIN included, where a name belongs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayAdmin } from '../../app/gateway-admin.js';
import type { SettingsAdmin } from '../../app/settings-admin.js';
import type { TokenAdmin } from '../../app/token-admin.js';
import { isSettingKey } from '../../core/settings.js';
import type { DebugSwitch } from '../../core/debug-trace.js';
import type { AuditAdmin } from '../../app/audit.js';
import type { SessionAdmin } from '../../app/sessions.js';
import type { PolicyAdmin } from '../../app/policy-admin.js';
import { policyRoutes } from './policies.js';
import type { ApiKeyGate, ApiKeyHolder } from '../../app/api-keys.js';
import type { AuditedChanges, ChangeActor } from '../../app/audited-changes.js';
import type { AuditedTokenChanges } from '../../app/audited-token-changes.js';
import { HTTP_CLIENT_NAME } from '../../config/schema.js';
import { requireRole } from '../api-keys.js';
import { auditRoutes } from './audit.js';
import { sessionRoutes } from './sessions.js';
import { gatewayRoutes } from './gateways.js';
import { systemRoutes } from './system.js';
import { tokenRoutes } from './tokens.js';

/** The application layer the admin endpoints call into (src/main/admin.ts builds it, for the CLI too). */
export interface AdminServices {
  readonly tokens: TokenAdmin;
  readonly gateways: GatewayAdmin;
  readonly settings: SettingsAdmin;
  readonly audit: AuditAdmin;
  /** Accounting sessions (GET /session/); absent: the endpoint answers 404 like any unknown path. */
  readonly sessions?: SessionAdmin;
  /** The daemon's debug trace (POST /system/debug). */
  readonly debug?: DebugSwitch;
  /** Policies (/policy/); absent: the endpoints answer 404 like any unknown path. */
  readonly policies?: PolicyAdmin;
  /** Settings and policies changed with an audit row naming the API key (the CLI's and web UI's way too). */
  readonly changes: AuditedChanges;
  /** Token changes (enroll, enable, disable, reset, setpin, delete) with an audit row naming the API key. */
  readonly tokenChanges: AuditedTokenChanges;
}

export interface AdminOptions {
  readonly services: AdminServices;
  readonly apiKeys: Pick<ApiKeyGate, 'holderOf'>;
  readonly now: () => number;
}

export function adminRoutes(app: FastifyInstance, o: AdminOptions): void {
  // Encapsulated: the key check and the log line belong to these routes only.
  void app.register(async (admin) => {
    // Whose key each request carried: the audit rows of its changes name the key's id.
    const holders = new WeakMap<FastifyRequest, ApiKeyHolder>();
    const actorOf = (request: FastifyRequest): ChangeActor => ({
      operator: `API key ${holders.get(request)?.id ?? '?'}`,
      client: HTTP_CLIENT_NAME,
      address: request.ip,
    });
    // Before the body is read: a request without the right key costs no parsing.
    admin.addHook('onRequest', async (request) => {
      holders.set(request, await requireRole(o.apiKeys, request.headers, ['admin'], `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`));
    });
    admin.addHook('onResponse', async (request, reply) => {
      request.log.info(
        { admin: `${request.method} ${request.routeOptions.url}`, target: request.params, ...parameterNames(request), status: reply.statusCode },
        'admin call',
      );
    });
    tokenRoutes(admin, { tokens: o.services.tokens, changes: o.services.tokenChanges, actorOf, now: o.now });
    gatewayRoutes(admin, { gateways: o.services.gateways, now: o.now });
    systemRoutes(admin, { settings: o.services.settings, changes: o.services.changes, actorOf, ...(o.services.debug ? { debug: o.services.debug } : {}), now: o.now });
    auditRoutes(admin, { audit: o.services.audit, now: o.now });
    if (o.services.sessions) sessionRoutes(admin, { sessions: o.services.sessions, now: o.now });
    if (o.services.policies) policyRoutes(admin, { policies: o.services.policies, changes: o.services.changes, actorOf, now: o.now });
  });
}

/** Every parameter name the admin endpoints read (src/http/admin/*.ts), besides settings and gateway option.KEY / header.KEY. */
const ADMIN_PARAMETERS = new Set([
  'action', 'active', 'client', 'description', 'duration', 'dynamic_phone', 'force', 'gateway', 'genkey', 'group', 'hashlib', 'module', 'name', 'otpkey', 'otplen',
  'otppin', 'page', 'page_size', 'pagesize', 'phone', 'pin', 'priority', 'realm', 'scope', 'serial', 'since', 'type', 'user', 'verify_enrollment',
]);

function isKnownParameter(name: string): boolean {
  return ADMIN_PARAMETERS.has(name) || isSettingKey(name) || /^(option|header)\.[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name);
}

/**
 * The names of the parameters a request carried (query string and body): what was asked,
 * without a value. Only names the endpoints know; the others are counted, never shown.
 */
function parameterNames(request: FastifyRequest): { parameters: string[]; unknownParameters?: number } {
  const names = (values: unknown) => (values && typeof values === 'object' && !Array.isArray(values) ? Object.keys(values) : []);
  const all = [...new Set([...names(request.query), ...names(request.body)])];
  const known = all.filter(isKnownParameter);
  return known.length === all.length ? { parameters: known } : { parameters: known, unknownParameters: all.length - known.length };
}
