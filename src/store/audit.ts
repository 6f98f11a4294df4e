import type { Knex } from 'knex';
import type { AuditEntry } from '../core/model.js';

/** The authentication trail: who, from which client, what happened and why. Never a PIN or OTP. */
export class AuditRepository {
  constructor(private readonly knex: Knex) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.knex('audit').insert({
      at: entry.at,
      action: entry.action,
      username: entry.username,
      realm: entry.realm,
      client: entry.client,
      client_address: entry.clientAddress,
      serials: entry.serials.join(','),
      reason: entry.reason,
    });
  }

  async recent(limit = 50, username?: string): Promise<AuditEntry[]> {
    const query = this.knex('audit').orderBy('id', 'desc').limit(limit);
    if (username !== undefined) query.where({ username });
    const rows = await query;
    return rows.map((r: Record<string, unknown>) => ({
      at: Number(r.at),
      action: r.action as AuditEntry['action'],
      username: String(r.username),
      realm: String(r.realm),
      client: String(r.client),
      clientAddress: String(r.client_address),
      serials: String(r.serials) ? String(r.serials).split(',') : [],
      reason: String(r.reason),
    }));
  }
}
