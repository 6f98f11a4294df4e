// Defining, showing and deleting SMS gateways: the application layer the CLI's `gateway`
// commands and the HTTP admin API (/smsgateway/) both use. What could never be sent is
// refused here, before the store is touched; what is shown has its secrets censored.
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import { checkDefinition, failoverMembers } from '../gateways/parameters.js';
import { GatewayError, type ProviderContext } from '../gateways/provider.js';
import { GatewayRegistry, MODULES, isModuleName } from '../gateways/registry.js';
import { gatewayView, type GatewayView } from './views.js';
import { holdsCensored, restoreCensored } from '../gateways/secrets.js';
import type { EventSink } from '../core/ports.js';
import { testGateway, type GatewayTest } from './gateway-test.js';
import type { GatewayDefinition, GatewayUsage } from '../store/gateways.js';
import type { Store } from '../store/index.js';
import { FREE_TEXT_LIMIT, mustBeAtMost, mustFit } from './limits.js';

/** A gateway id or module that no definition can have (a usage error: exit status 2). */
export class GatewayAdminError extends SmsOtpError {
  override name = 'GatewayAdminError';
  readonly code = 'ERR_INVALID_VALUE';
}

/** Gateway ids appear in settings, token rows and log lines: plain characters only. */
const IDENTIFIER = /^[A-Za-z0-9._-]+$/;

export { MODULES } from '../gateways/registry.js';
/** Whether a module seals and censors an option or header (its declaration says); the CLI asks before the store is open. */
export { isSecretEntry } from '../gateways/secrets.js';

/** What deleting a gateway let go of (with --force). */
export type DeletedGateway = GatewayUsage;

export class GatewayAdmin {
  constructor(
    private readonly store: Store,
    private readonly context: ProviderContext,
  ) {}

  /**
   * Checks a definition the way it will be used (limits, then the provider itself, which
   * reads the files it names) and stores it. A secret given as CENSORED is checked as the
   * stored value it stands for.
   */
  async set(definition: GatewayDefinition): Promise<void> {
    if (!IDENTIFIER.test(definition.identifier)) throw new GatewayAdminError('gateway id: letters, digits, . _ - only');
    if (!isModuleName(definition.module)) throw new GatewayAdminError(`--module must be one of ${MODULES.join(', ')}`);
    mustFit('sms_gateways', 'identifier', definition.identifier, 'the gateway id');
    mustBeAtMost(FREE_TEXT_LIMIT, definition.description, '--description');
    for (const key of Object.keys(definition.options)) mustFit('sms_gateway_options', 'key', key, 'an --option name');
    for (const key of Object.keys(definition.headers)) mustFit('sms_gateway_options', 'key', key, 'a --header name');
    const resolved = await this.withStoredSecrets(definition);
    checkDefinition(resolved);
    if (resolved.module === 'failover') await this.checkMembers(resolved);
    const provider = await GatewayRegistry.instantiate(resolved, this.context);
    await provider.close();
    await this.store.gateways.set(resolved);
    // A changed definition (the URL fixed, say) deserves a fresh try.
    await this.store.gatewayHealth.clear(resolved.identifier);
  }

  /** Every gateway as it may be shown (secrets censored), in the store's order. */
  async list(): Promise<GatewayView[]> {
    const defaultGateway = (await this.store.settings.values())['sms.identifier'];
    const times = await this.store.gateways.times();
    const health = await this.store.gatewayHealth.all();
    return (await this.store.gateways.list()).map((g) => gatewayView(g, times.get(g.identifier), defaultGateway, health.get(g.identifier)));
  }

  async show(identifier: string): Promise<GatewayView> {
    const def = await this.store.gateways.get(identifier);
    if (!def) throw new NotFoundError(`no gateway '${identifier}'`);
    const defaultGateway = (await this.store.settings.values())['sms.identifier'];
    const health = (await this.store.gatewayHealth.states([identifier])).get(identifier);
    return gatewayView(def, (await this.store.gateways.times(identifier)).get(identifier), defaultGateway, health);
  }

  /**
   * Deletes a gateway. One that tokens name, or that is the site default, is refused unless
   * `force`: then its tokens fall back to the site default and the default is unset.
   */
  async delete(identifier: string, force: boolean): Promise<DeletedGateway> {
    const failovers = await this.failoversNaming(identifier);
    if (failovers.length > 0 && !force) {
      throw new RefusedError(
        `gateway ${identifier} not deleted: it is a member of failover gateway ${failovers.join(', ')}; first remove it from ` +
          `their GATEWAYS ('gateway set ID --module failover --option GATEWAYS=...'), or add --force (they then skip it as a gateway that does not exist)`,
      );
    }
    const notifying = (await this.store.notifications.list()).filter((n) => n.gateway === identifier).map((n) => n.identifier);
    if (notifying.length > 0 && !force) {
      throw new RefusedError(
        `gateway ${identifier} not deleted: notification ${notifying.join(', ')} sends through it; first ` +
          `'notification set ID ... --gateway OTHER' or 'notification delete ID', or add --force (they then fail and are logged)`,
      );
    }
    const usage = await this.store.gateways.delete(identifier, (u) => {
      if (force || (u.tokens === 0 && !u.isDefault)) return;
      const uses = [
        u.isDefault ? 'it is the default gateway (setting sms.identifier)' : '',
        u.tokens > 0 ? `${u.tokens} token${u.tokens === 1 ? ' uses' : 's use'} it` : '',
      ].filter(Boolean);
      const fixes = [
        u.isDefault ? `'setting set sms.identifier OTHER'` : '',
        u.tokens > 0 ? `'token set SERIAL --gateway OTHER' (see 'token list')` : '',
      ].filter(Boolean);
      throw new RefusedError(
        `gateway ${identifier} not deleted: ${uses.join(' and ')}; first ${fixes.join(' and ')}, or add --force ` +
          `(its tokens then use the default gateway${u.isDefault ? ', and no default is set' : ''})`,
      );
    });
    if (!usage) throw new NotFoundError(`no gateway '${identifier}'`);
    await this.store.gatewayHealth.clear(identifier);
    return usage;
  }

  /** Forgets that a gateway was unreachable; resolves to how often it had failed (undefined: it was not blocked). */
  async reset(identifier: string): Promise<number | undefined> {
    if (!(await this.store.gateways.get(identifier))) throw new NotFoundError(`no gateway '${identifier}'`);
    const was = (await this.store.gatewayHealth.states([identifier])).get(identifier);
    await this.store.gatewayHealth.clear(identifier);
    return was?.failures;
  }

  /**
   * A test send through a gateway, audited (src/app/gateway-test.ts); `events` hears a member
   * found unreachable. Resolves with the gateway that took the message.
   */
  async test(t: Omit<GatewayTest, 'now'>, events: EventSink): Promise<string> {
    const registry = new GatewayRegistry((id) => this.store.gateways.get(id), { ...this.context, events });
    try {
      return await testGateway(registry, this.store.audit, { ...t, now: Date.now });
    } finally {
      await registry.close();
    }
  }

  /**
   * A failover gateway's members must exist, send SMS (not push), and never lead back to the
   * gateway itself: a member that is itself a failover gateway is followed to its members.
   */
  private async checkMembers(definition: GatewayDefinition): Promise<void> {
    const fail = (reason: string): never => {
      throw new GatewayError(definition.identifier, reason, 'configuration');
    };
    const members = failoverMembers(definition.options.GATEWAYS ?? '');
    const repeated = members.filter((m, i) => members.indexOf(m) !== i);
    if (repeated.length) fail(`option GATEWAYS names ${repeated[0]} twice`);
    const visit = async (id: string, path: string[]): Promise<void> => {
      if (id === definition.identifier) fail(`option GATEWAYS: ${[...path, id].join(' → ')} leads back to ${definition.identifier} itself`);
      const member = await this.store.gateways.get(id);
      if (!member) return fail(`option GATEWAYS: no gateway '${id}'${path.length > 1 ? ` (named by ${path.at(-1)})` : ''}; define it first`);
      if (member.module === 'firebase') fail(`option GATEWAYS: ${id} is a firebase (push) gateway; a failover gateway sends SMS`);
      if (member.module !== 'failover') return;
      for (const next of failoverMembers(member.options.GATEWAYS ?? '')) await visit(next, [...path, id]);
    };
    for (const member of members) await visit(member, [definition.identifier]);
  }

  /** The failover gateways whose GATEWAYS name this one. */
  private async failoversNaming(identifier: string): Promise<string[]> {
    const all = await this.store.gateways.list();
    return all.filter((g) => g.module === 'failover' && failoverMembers(g.options.GATEWAYS ?? '').includes(identifier)).map((g) => g.identifier);
  }

  /** Censored values (__CENSORED__, a URL's ***) replaced by the stored ones they stand for. */
  private async withStoredSecrets(definition: GatewayDefinition): Promise<GatewayDefinition> {
    if (!holdsCensored(definition)) return definition;
    return restoreCensored(definition, await this.store.gateways.get(definition.identifier));
  }
}
