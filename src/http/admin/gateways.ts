// privacyIDEA's /smsgateway/ endpoints: list or show definitions (secrets censored, as
// `gateway show` prints them), define one, delete one. The same application layer as the
// CLI's `gateway` commands (src/app/gateway-admin.ts): the definition is checked the way it
// will be used before anything is stored, and every change moves the configuration revision.
import type { FastifyInstance } from 'fastify';
import type { GatewayAdmin } from '../../app/gateway-admin.js';
import { moduleViews } from '../../app/gateway-modules.js';
import { isTrue, type Parameters } from '../parameters.js';
import { adminResponse } from '../responses.js';
import { optional, parametersOf, required } from './requests.js';

export interface GatewayRoutesOptions {
  readonly gateways: GatewayAdmin;
  readonly now: () => number;
}

export function gatewayRoutes(app: FastifyInstance, o: GatewayRoutesOptions): void {
  // privacyIDEA answers a list, even for one gateway named in the path.
  app.get('/smsgateway/', async () => adminResponse(await o.gateways.list(), null, o.now()));
  // privacyIDEA's list of providers and their parameters(), keyed by module: what each takes,
  // required, default, secret, help. A gateway named 'providers' is shown by the list above.
  app.get('/smsgateway/providers', async () => {
    const modules = Object.fromEntries(
      moduleViews().map((m) => [
        m.module,
        {
          description: m.help,
          options_allowed: m.requestParameters,
          headers_allowed: m.headers,
          parameters: Object.fromEntries(
            m.parameters.map((p) => [p.name, { description: p.help, required: p.required, default: p.default, secret: p.secret, ...(p.values ? { values: p.values } : {}) }]),
          ),
        },
      ]),
    );
    return adminResponse(modules, null, o.now());
  });
  app.get('/smsgateway/:identifier', async (request) => {
    const { identifier } = request.params as { identifier: string };
    return adminResponse([await o.gateways.show(identifier)], null, o.now());
  });

  // Creates or replaces (as `gateway set`): a secret sent back as __CENSORED__ keeps the stored one.
  app.post('/smsgateway/', async (request) => {
    const params = parametersOf(request);
    const identifier = required(params, 'name');
    await o.gateways.set({
      identifier,
      module: moduleName(required(params, 'module')),
      description: optional(params, 'description') ?? '',
      options: prefixed(params, 'option.'),
      headers: prefixed(params, 'header.'),
    });
    return adminResponse(identifier, null, o.now());
  });

  app.delete('/smsgateway/:identifier', async (request) => {
    const { identifier } = request.params as { identifier: string };
    const released = await o.gateways.delete(identifier, isTrue(parametersOf(request).get('force')));
    return adminResponse(true, { tokens: released.tokens, defaultUnset: released.isDefault }, o.now());
  });
}

/**
 * Our module names (http, smtp, ...), or privacyIDEA's class paths for the same providers
 * (privacyidea.lib.smsprovider.HttpSMSProvider.HttpSMSProvider is http), so that a
 * privacyIDEA provisioning script works unchanged.
 */
function moduleName(module: string): string {
  const classPath = /^privacyidea\.lib\.smsprovider\.\w+\.(\w+?)SMSProvider$/i.exec(module);
  return classPath ? classPath[1]!.toLowerCase() : module;
}

/** The parameters named `prefix` + KEY (option.URL, header.Authorization), by KEY. */
function prefixed(params: Parameters, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) if (name.startsWith(prefix) && name.length > prefix.length) out[name.slice(prefix.length)] = value;
  return out;
}
