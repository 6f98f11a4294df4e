// What `gateway` and `smtpserver` list and show print, to people and scripts alike: one flat
// shape per definition, secrets censored, times in ISO 8601 UTC. Field names are stable (the
// docs/cli.md lists them); the HTTP admin API (/smsgateway/) prints the same.
import type { GatewayBlock } from '../gateways/definition.js';
import { censorDefinition } from '../gateways/secrets.js';
import { type DefinitionTimes, type GatewayDefinition } from '../store/gateways.js';
import { censorSmtpServer, type SmtpServerDefinition } from '../store/smtp-servers.js';
import type { RealmDefinition } from '../store/realms.js';
import { censorUserStore, type UserStoreDefinition } from '../store/userstores.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export interface GatewayView {
  readonly identifier: string;
  readonly module: string;
  readonly description: string;
  /** It is the site default (setting sms.identifier). */
  readonly default: boolean;
  readonly options: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  /** null while it has not been unreachable since its last success; else what failover gateways know of it. */
  readonly health: GatewayHealthView | null;
}

export interface GatewayHealthView {
  /** Failover gateways skip it until blockedUntil. */
  readonly blocked: boolean;
  readonly blockedUntil: string;
  /** Consecutive unreachable failures (the block doubles with each, from 30 s to 1 h). */
  readonly failures: number;
  readonly reason: string;
}

export function gatewayView(
  def: GatewayDefinition,
  times: DefinitionTimes | undefined,
  defaultGateway: string | null,
  block?: GatewayBlock,
  now: number = Date.now(),
): GatewayView {
  const safe = censorDefinition(def);
  return {
    identifier: safe.identifier,
    module: safe.module,
    description: safe.description,
    default: safe.identifier === defaultGateway,
    options: safe.options,
    headers: safe.headers,
    createdAt: iso(times?.createdAt),
    updatedAt: iso(times?.updatedAt),
    health: block
      ? { blocked: block.blockedUntil > now, blockedUntil: iso(block.blockedUntil)!, failures: block.failures, reason: block.reason }
      : null,
  };
}

/** The HEALTH column of `gateway list`: empty for a healthy gateway. */
export function healthCell(health: GatewayHealthView | null): string {
  if (!health) return '';
  return health.blocked ? `blocked until ${health.blockedUntil} (${health.failures}x unreachable)` : `${health.failures}x unreachable, retried`;
}

export type SmtpServerView = SmtpServerDefinition & { readonly createdAt: string | null; readonly updatedAt: string | null };

export function smtpServerView(def: SmtpServerDefinition, times: DefinitionTimes | undefined): SmtpServerView {
  return { ...censorSmtpServer(def), createdAt: iso(times?.createdAt), updatedAt: iso(times?.updatedAt) };
}

export type UserStoreView = UserStoreDefinition & {
  /** The realms that name this user store. */
  readonly realms: readonly string[];
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
};

export function userStoreView(def: UserStoreDefinition, times: DefinitionTimes | undefined, realms: readonly RealmDefinition[]): UserStoreView {
  return {
    ...censorUserStore(def),
    realms: realms.filter((r) => r.userstore === def.identifier).map((r) => r.name),
    createdAt: iso(times?.createdAt),
    updatedAt: iso(times?.updatedAt),
  };
}
