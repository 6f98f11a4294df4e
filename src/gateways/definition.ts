// What the gateways are defined by and what they need kept for them: the definitions an
// operator saves (gateways, central SMTP servers), the censoring marker, and the health
// port of failover gateways. The store persists these (src/store/gateways.ts,
// smtp-servers.ts, gateway-health.ts) importing this module only: the adapters own their
// definitions, the store never the other way round.

export interface GatewayDefinition {
  readonly identifier: string;
  readonly description: string;
  readonly module: string;
  readonly options: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface SmtpServerDefinition {
  readonly identifier: string;
  readonly description: string;
  /** Host name or address; an `smtps://` prefix means implicit TLS (usually port 465). */
  readonly server: string;
  readonly port: number;
  readonly username: string | null;
  readonly password: string | null;
  readonly sender: string | null;
  /** STARTTLS required. */
  readonly tls: boolean;
  /** Seconds for connecting and for each answer. */
  readonly timeout: number;
  /** PEM file with the CA that signed the server's certificate, when no public CA did. */
  readonly caFile: string | null;
}

/** What `gateway show` prints instead of a secret; sending it back keeps the stored secret. */
export const CENSORED = '__CENSORED__';

/** A member's block: consecutive unreachable failures, until when it is skipped, and why. */
export interface GatewayBlock {
  readonly gateway: string;
  readonly failures: number;
  /** Epoch ms; the member is skipped while now < blockedUntil. */
  readonly blockedUntil: number;
  readonly reason: string;
}

export interface GatewayHealth {
  /** The recorded state of these gateways (those with none have not failed since their last success). */
  states(gateways: readonly string[]): Promise<Map<string, GatewayBlock>>;
  /**
   * Records an unreachable failure and blocks the gateway. Returns the new block, or
   * undefined when the gateway was blocked already (another request or node was first): the
   * same outage is counted, and reported, once.
   */
  failed(gateway: string, reason: string, now: number): Promise<GatewayBlock | undefined>;
  /** A success (or an operator's reset): the gateway is no longer blocked and its count starts over. */
  clear(gateway: string): Promise<void>;
}
