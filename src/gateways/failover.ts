// The failover module: a gateway made of other gateways, tried in the order GATEWAYS names
// them until one takes the message. A member that was unreachable is skipped for a while
// (30 s, doubling per consecutive failure, at most an hour: see health.ts), so that logins do
// not wait for a dead provider's timeout each time; the block lives in the store so every
// node of a site skips it. A refusal or a configuration error does not block: it says
// nothing about the next message, and the next member is tried all the same.
import type { GatewayDefinition } from './definition.js';
import type { GatewayBlock } from './definition.js';
import { FAILOVER_PARAMETERS, failoverMembers } from './failover-parameters.js';
import { failureOf, GatewayError, Options, type GatewayFailure, type ProviderContext, type SmsProvider } from './provider.js';


export class FailoverProvider implements SmsProvider {
  private readonly opts: Options;
  readonly members: readonly string[];

  constructor(
    definition: GatewayDefinition,
    private readonly context: ProviderContext,
  ) {
    this.opts = new Options(definition, FAILOVER_PARAMETERS);
    this.opts.rejectUnknown('failover');
    this.members = failoverMembers(this.opts.required('GATEWAYS'));
    if (this.members.length === 0) throw new GatewayError(this.opts.id, 'option GATEWAYS names no gateway', 'configuration');
  }

  private now(): number {
    return (this.context.now ?? Date.now)();
  }

  async send(phone: string, message: string): Promise<string> {
    const sender = this.context.members;
    if (!sender) throw new GatewayError(this.opts.id, 'a failover gateway sends only through a gateway registry', 'configuration');
    const blocks = await this.blocks();
    const failures: Array<{ member: string; reason: string; failure: GatewayFailure; undelivered: boolean }> = [];
    for (const member of this.order(blocks)) {
      try {
        const by = await sender.deliver(member, phone, message);
        if (blocks.has(member)) await this.context.health?.clear(member).catch(() => undefined);
        return by;
      } catch (err) {
        const reason = err instanceof GatewayError ? err.reason : (err as Error).message;
        const failure = failureOf(err);
        failures.push({ member, reason, failure, undelivered: err instanceof GatewayError && err.undelivered });
        if (failure === 'unreachable') await this.block(member, reason);
      }
    }
    const skipped = this.members.filter((m) => !failures.some((f) => f.member === m));
    const tried = failures.map((f) => `${f.member}: ${f.reason}`);
    if (skipped.length) tried.push(`skipped while unreachable: ${skipped.join(', ')}`);
    // Surely undelivered only when no member that was tried may have taken it.
    const undelivered = failures.every((f) => f.undelivered);
    throw new GatewayError(this.opts.id, `no member delivered (${tried.join('; ')})`, overallFailure(failures.map((f) => f.failure)), undelivered);
  }

  /**
   * The members to try: those not blocked, in order. When every member is blocked, the one
   * whose block ends first is tried anyway: an outage of all of them must not outlast the
   * outage itself by up to an hour.
   */
  private order(blocks: Map<string, GatewayBlock>): string[] {
    const now = this.now();
    const open = this.members.filter((m) => (blocks.get(m)?.blockedUntil ?? 0) <= now);
    if (open.length > 0) return open;
    const soonest = [...this.members].sort((a, b) => blocks.get(a)!.blockedUntil - blocks.get(b)!.blockedUntil)[0];
    return soonest === undefined ? [] : [soonest];
  }

  /** The members' recorded health; a store that cannot say is taken as "none blocked". */
  private async blocks(): Promise<Map<string, GatewayBlock>> {
    if (!this.context.health) return new Map();
    try {
      return await this.context.health.states(this.members);
    } catch {
      return new Map();
    }
  }

  private async block(member: string, reason: string): Promise<void> {
    let blocked: GatewayBlock | undefined;
    try {
      blocked = await this.context.health?.failed(member, reason, this.now());
    } catch {
      return; // the store is down: this node tries the member again next time
    }
    // Only the request that made the block reports it: one event (and log line) per outage.
    if (blocked) this.context.events?.emit({ type: 'gateway_down', gateway: member, reason });
  }

  async close(): Promise<void> {
    // The members belong to the registry, which closes them.
  }
}

/**
 * The failover gateway's own class: unreachable when any member was (or every member is
 * blocked), so that a failover gateway inside another is blocked in turn; else refused when a
 * member refused; else configuration.
 */
function overallFailure(failures: readonly GatewayFailure[]): GatewayFailure {
  if (failures.length === 0 || failures.includes('unreachable')) return 'unreachable';
  return failures.includes('refused') ? 'refused' : 'configuration';
}

export const createFailoverProvider = (definition: GatewayDefinition, context: ProviderContext): SmsProvider =>
  new FailoverProvider(definition, context);
