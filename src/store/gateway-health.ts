// The gateway_health table (migration 0013): failover members blocked after being
// unreachable, shared by every node of the site.
import type { Knex } from 'knex';
import type { GatewayBlock, GatewayHealth } from '../gateways/definition.js';

interface HealthRow {
  gateway: string;
  failures: number | string;
  blocked_until: number | string;
  reason: string;
}

const toBlock = (row: HealthRow): GatewayBlock => ({
  gateway: row.gateway,
  failures: Number(row.failures),
  blockedUntil: Number(row.blocked_until),
  reason: row.reason,
});

export class GatewayHealthRepository implements GatewayHealth {
  constructor(
    private readonly knex: Knex,
    /** How long a block lasts after the n-th consecutive failure (the gateways' rule, src/gateways/health.ts). */
    private readonly blockDuration: (failures: number) => number,
  ) {}

  async states(gateways: readonly string[]): Promise<Map<string, GatewayBlock>> {
    if (gateways.length === 0) return new Map();
    const rows: HealthRow[] = await this.knex('gateway_health').whereIn('gateway', [...gateways]);
    return new Map(rows.map((r) => [r.gateway, toBlock(r)]));
  }

  /** Every recorded state, for gateway list. */
  async all(): Promise<Map<string, GatewayBlock>> {
    const rows: HealthRow[] = await this.knex('gateway_health');
    return new Map(rows.map((r) => [r.gateway, toBlock(r)]));
  }

  async failed(gateway: string, reason: string, now: number): Promise<GatewayBlock | undefined> {
    return this.knex.transaction(async (trx) => {
      const query = trx('gateway_health').where({ gateway });
      // PostgreSQL: nodes failing at once queue here; SQLite's write lock serialises them anyway.
      if (this.knex.client.config.client === 'pg') query.forUpdate();
      const row: HealthRow | undefined = await query.first();
      // Sends that were under way when it went down fail too: one outage, one count.
      if (row && Number(row.blocked_until) > now) return undefined;
      const failures = (row ? Number(row.failures) : 0) + 1;
      const block = { gateway, failures, blocked_until: now + this.blockDuration(failures), reason: reason.slice(0, 1000), updated_at: now };
      // Two nodes that find no row at once both insert: the second merges, with the same count.
      await trx('gateway_health').insert(block).onConflict('gateway').merge();
      return toBlock(block);
    });
  }

  async clear(gateway: string): Promise<void> {
    await this.knex('gateway_health').where({ gateway }).delete();
  }
}
