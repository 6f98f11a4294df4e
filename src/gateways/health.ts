// Which gateways are blocked after being unreachable, and for how long: the state a failover
// gateway consults before trying a member. The store keeps it (every node of a site shares
// it); this module only says what the port does and how long a block lasts.

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

/** LinOTP's rule: 30 s after the first failure, doubling with each consecutive one, at most an hour. */
export const FIRST_BLOCK_MS = 30_000;
export const MAX_BLOCK_MS = 3_600_000;

export function blockDuration(failures: number): number {
  return Math.min(FIRST_BLOCK_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20), MAX_BLOCK_MS);
}
