// Which gateways are blocked after being unreachable, and for how long: the state a failover
// gateway consults before trying a member. The store keeps it (every node of a site shares
// it); this module only says how long a block lasts (the port is in ./definition.ts).

/** LinOTP's rule: 30 s after the first failure, doubling with each consecutive one, at most an hour. */
export const FIRST_BLOCK_MS = 30_000;
export const MAX_BLOCK_MS = 3_600_000;

export function blockDuration(failures: number): number {
  return Math.min(FIRST_BLOCK_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20), MAX_BLOCK_MS);
}
