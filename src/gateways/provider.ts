// The contract every SMS provider module fulfils, and the one error type they raise.
import type { EventSink } from '../core/ports.js';
import { SmsOtpError } from '../core/errors.js';
import type { GatewayDefinition } from './definition.js';
import type { SmtpServerDefinition } from './definition.js';
import type { ModuleParameters } from './declare.js';
import type { GatewayHealth } from './definition.js';

export interface SmsProvider {
  /**
   * Resolves when the gateway accepted the message; rejects with GatewayError otherwise. A
   * provider that hands the message to another gateway (failover) resolves with the id of the
   * gateway that took it.
   */
  send(phone: string, message: string): Promise<string | void>;
  /** Releases sockets, binds and timers. */
  close(): Promise<void>;
}

export interface ProviderContext {
  /** The directory Script provider files must live in. */
  readonly scriptDirectory: string;
  /** The central SMTP server definitions (read per message, so changes apply at once). */
  readonly smtpServers: { get(identifier: string): Promise<SmtpServerDefinition | undefined> };
  /** Sends through another gateway by id (a failover gateway's members); the registry gives it. */
  readonly members?: MemberSender;
  /** Which gateways are blocked after being unreachable; without it no member is ever skipped. */
  readonly health?: GatewayHealth;
  /** Where a member that becomes blocked is reported (gateway_down). */
  readonly events?: EventSink;
  readonly now?: () => number;
}

export interface MemberSender {
  /** Sends through the gateway; resolves with the id of the gateway that took the message. */
  deliver(identifier: string, phone: string, message: string): Promise<string>;
}

export type ProviderFactory = (definition: GatewayDefinition, context: ProviderContext) => SmsProvider;

/**
 * Why a gateway did not deliver, as the provider that knows its protocol decides it (the core
 * never parses reasons):
 * - `unreachable`: no answer, or not a usable one (connect error, timeout, HTTP 5xx, an SMPP
 *   bind or link failure, a modem that does not answer). Another try later may work; a
 *   failover gateway skips such a member for a while.
 * - `refused`: the provider answered and said no (HTTP 4xx, RETURN_FAIL, an SMPP error
 *   status, an SMTP 5xx, a script's non-zero exit). Trying it again at once will not help.
 * - `configuration`: our own definition is wrong (a missing option, an unknown SMTP server,
 *   a script that is not there, a gateway that does not exist).
 */
export type GatewayFailure = 'unreachable' | 'refused' | 'configuration';

/**
 * A gateway that did not deliver. The reason is for operators: it names what failed
 * and never contains the message, the phone number's OTP, or a credential. `failure` is
 * the stable class of the failure (`code` stays ERR_GATEWAY_FAILED for every class).
 */
export class GatewayError extends SmsOtpError {
  override name = 'GatewayError';
  readonly code = 'ERR_GATEWAY_FAILED';
  /**
   * The message surely reached no gateway: refused, our configuration, or an unreachable
   * gateway we never connected to (connection refused, name not resolved, no SMPP bind). A
   * timeout or a 5xx may have come after the gateway took it: not this. The login core reads
   * it (SmsSender) to leave such an SMS out of the SMS limits.
   */
  readonly undelivered: boolean;
  constructor(
    readonly gatewayId: string,
    readonly reason: string,
    readonly failure: GatewayFailure,
    neverConnected = false,
  ) {
    super(`gateway ${gatewayId}: ${reason}`);
    this.undelivered = failure !== 'unreachable' || neverConnected;
  }
}

/** The class of any error a send raised: a GatewayError says; anything else is a bug or a surprise, taken as unreachable. */
export function failureOf(err: unknown): GatewayFailure {
  return err instanceof GatewayError ? err.failure : 'unreachable';
}

/**
 * Reads provider options with the checks every module needs; errors name the option. An
 * unset option has its module's declared default (declare.ts): no default lives in provider code.
 */
export class Options {
  readonly known: ReadonlySet<string>;

  constructor(
    private readonly definition: GatewayDefinition,
    private readonly declaration: ModuleParameters,
  ) {
    this.known = new Set(Object.keys(declaration.parameters));
  }

  get id(): string {
    return this.definition.identifier;
  }

  /** The value given, else the declared default, else undefined. */
  get(key: string): string | undefined {
    return this.given(key) ?? this.declaration.parameters[key]?.default;
  }

  /** The value given (an empty one is unset), without the default. */
  given(key: string): string | undefined {
    const value = this.definition.options[key];
    return value === undefined || value === '' ? undefined : value;
  }

  required(key: string): string {
    const value = this.get(key);
    if (value === undefined) throw new GatewayError(this.id, `option ${key} is required (gateway set ${this.id} --option ${key}=...)`, 'configuration');
    return value;
  }

  yesNo(key: string): boolean {
    const value = this.required(key);
    const word = value.toLowerCase();
    if (['yes', 'true', '1', 'on'].includes(word)) return true;
    if (['no', 'false', '0', 'off'].includes(word)) return false;
    throw new GatewayError(this.id, `option ${key} must be yes or no, not '${value}'`, 'configuration');
  }

  seconds(key: string): number {
    const value = this.required(key);
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 3600) {
      throw new GatewayError(this.id, `option ${key} must be a number of seconds between 0 and 3600, not '${value}'`, 'configuration');
    }
    return n;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.required(key);
    const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!match) throw new GatewayError(this.id, `option ${key} must be one of ${allowed.join(', ')}, not '${value}'`, 'configuration');
    return match;
  }

  /** For modules whose every option is a parameter: anything else is a typo, named at `gateway set`. */
  rejectUnknown(moduleName: string): void {
    const unknown = this.extra().map(([key]) => key);
    if (unknown.length) {
      throw new GatewayError(this.id, `unknown option ${unknown.join(', ')}; ${moduleName} takes ${[...this.known].join(', ')}`, 'configuration');
    }
  }

  /** The options that are not parameters of the provider itself. */
  extra(): Array<[string, string]> {
    return Object.entries(this.definition.options).filter(([key]) => !this.known.has(key));
  }
}
