// What `gateway` and `smtpserver` list and show print, to people and scripts alike: one flat
// shape per definition, secrets censored, times in ISO 8601 UTC. Field names are stable (the
// README lists them); the HTTP admin API (/smsgateway/) prints the same.
import { censor, type DefinitionTimes, type GatewayDefinition } from '../store/gateways.js';
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
}

export function gatewayView(def: GatewayDefinition, times: DefinitionTimes | undefined, defaultGateway: string | null): GatewayView {
  const safe = censor(def);
  return {
    identifier: safe.identifier,
    module: safe.module,
    description: safe.description,
    default: safe.identifier === defaultGateway,
    options: safe.options,
    headers: safe.headers,
    createdAt: iso(times?.createdAt),
    updatedAt: iso(times?.updatedAt),
  };
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
