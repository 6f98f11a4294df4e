// Sends SMS through the gateway definitions of the store. The daemon looks them up in its
// in-memory copy of the site's configuration (refreshed on change), the CLI in the store;
// provider instances (with their connection pools) are reused while the definition stays the same.
import { createHash } from 'node:crypto';
import type { SmsSender } from '../core/ports.js';
import type { GatewayDefinition } from './definition.js';
import { MODULE_PARAMETERS, type ModuleName } from './parameters.js';
import { GatewayError, type MemberSender, type ProviderContext, type ProviderFactory, type SmsProvider } from './provider.js';

/** Module names as operators write them in `gateway set --module` (declared with their parameters). */
export const MODULES = Object.keys(MODULE_PARAMETERS) as ModuleName[];
export type { ModuleName };

// Loaded on first use: a site uses one or two modules, and the clients of the others
// (nodemailer, serialport, the smpp stack, undici) cost ~15 MB of memory each daemon.
const FACTORIES: Record<ModuleName, () => Promise<ProviderFactory>> = {
  http: async () => (await import('./http.js')).createHttpProvider,
  script: async () => (await import('./script.js')).createScriptProvider,
  smtp: async () => (await import('./smtp.js')).createSmtpProvider,
  sipgate: async () => (await import('./sipgate.js')).createSipgateProvider,
  smpp: async () => (await import('./smpp.js')).createSmppProvider,
  modem: async () => (await import('./modem.js')).createModemProvider,
  firebase: async () => (await import('./firebase.js')).createFirebaseProvider,
  failover: async () => (await import('./failover.js')).createFailoverProvider,
};

export function isModuleName(name: string): name is ModuleName {
  return (MODULES as readonly string[]).includes(name);
}

interface Cached {
  fingerprint: string;
  /** A promise, so that concurrent first sends build the provider once. */
  provider: Promise<SmsProvider>;
}

const fingerprint = (def: GatewayDefinition) =>
  createHash('sha256').update(JSON.stringify([def.module, def.options, def.headers])).digest('hex');

/** Finds a gateway definition by identifier. */
export type GatewayLookup = (identifier: string) => Promise<GatewayDefinition | undefined>;

export class GatewayRegistry implements SmsSender, MemberSender {
  private readonly cache = new Map<string, Cached>();
  /** Fingerprints of the definition objects seen, so an unchanged one is not hashed per message. */
  private readonly fingerprints = new WeakMap<GatewayDefinition, string>();

  private readonly context: ProviderContext;

  constructor(
    private readonly lookup: GatewayLookup,
    context: ProviderContext,
  ) {
    // A failover gateway sends through its members by id: through this registry.
    this.context = { ...context, members: this };
  }

  /** Builds (and so validates) a provider for a definition without caching it. */
  static async instantiate(definition: GatewayDefinition, context: ProviderContext): Promise<SmsProvider> {
    if (!isModuleName(definition.module)) {
      throw new GatewayError(definition.identifier, `unknown module '${definition.module}'; one of ${MODULES.join(', ')}`, 'configuration');
    }
    return (await FACTORIES[definition.module]())(definition, context);
  }

  async send(identifier: string, phone: string, message: string): Promise<void> {
    await this.deliver(identifier, phone, message);
  }

  /** Sends; resolves with the gateway that took the message (a failover gateway's member, or this one). */
  async deliver(identifier: string, phone: string, message: string): Promise<string> {
    const definition = await this.lookup(identifier);
    if (!definition) {
      throw new GatewayError(identifier, `no such gateway; define it with 'gateway set ${identifier} --module ...'`, 'configuration');
    }
    return (await (await this.provider(definition)).send(phone, message)) || identifier;
  }

  private provider(definition: GatewayDefinition): Promise<SmsProvider> {
    let print = this.fingerprints.get(definition);
    if (print === undefined) {
      print = fingerprint(definition);
      this.fingerprints.set(definition, print);
    }
    const cached = this.cache.get(definition.identifier);
    if (cached?.fingerprint === print) return cached.provider;
    const provider = GatewayRegistry.instantiate(definition, this.context);
    this.cache.set(definition.identifier, { fingerprint: print, provider });
    // A definition that failed to build is not kept: the next send tries again.
    provider.catch(() => {
      if (this.cache.get(definition.identifier)?.provider === provider) this.cache.delete(definition.identifier);
    });
    if (cached) void cached.provider.then((p) => p.close()).catch(() => undefined);
    return provider;
  }

  async close(): Promise<void> {
    const providers = [...this.cache.values()].map((c) => c.provider);
    this.cache.clear();
    await Promise.allSettled(providers.map(async (p) => (await p).close()));
  }
}
