import type { Knex } from 'knex';
import type { AuditAction, AuditEntry } from '../core/model.js';

/** An audit row as stored: the entry and its id (ascending in insertion order). */
export interface AuditRecord extends AuditEntry {
  readonly id: number;
}

/** A user the audit filter asks for: in any realm, or in this one. */
export interface AuditUser {
  readonly username: string;
  /** Undefined: the user name in any realm. */
  readonly realm?: string;
}

/** Which rows to list; every given field must match. */
export interface AuditFilter {
  /** Rows of any of these users (`alice@corp`: user alice of realm corp, or a login name `alice@corp` without a realm). */
  readonly users?: readonly AuditUser[];
  readonly realm?: string;
  readonly client?: string;
  readonly action?: string;
  /** Epoch ms: rows at or after it. */
  readonly since?: number;
  /** Rows with this id or a lower one. */
  readonly upToId?: number;
}

/** The authentication trail: who, from which client, what happened and why. Never a PIN or OTP. */
export class AuditRepository {
  constructor(private readonly knex: Knex) {}

  /** Writes one entry outside a login (the hot path writes its own in the login's transaction). */
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
      gateway: entry.gateway,
      phone: entry.phone,
      calling_station_id: entry.nas.callingStationId,
      nas_ip_address: entry.nas.ipAddress,
      nas_identifier: entry.nas.identifier,
    });
  }

  /** The newest `limit` rows that match after skipping the `offset` newest, newest first (by time, through the `at` indexes). */
  async newest(filter: AuditFilter, limit: number, offset = 0): Promise<AuditRecord[]> {
    const query = this.knex('audit').orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
    if (offset > 0) query.offset(offset);
    return (await matching(query, filter)).map(toRecord);
  }

  /** How many rows match (for the page numbers of the HTTP API's /audit/). */
  async count(filter: AuditFilter): Promise<number> {
    const row = await matching(this.knex('audit').count({ n: '*' }), filter).first();
    return Number((row as { n?: number | string } | undefined)?.n ?? 0);
  }

  /** Rows after `id`, and the rows of `alsoIds` (gaps seen earlier), oldest first. */
  async after(id: number, limit: number, alsoIds: readonly number[] = []): Promise<AuditRecord[]> {
    const query = this.knex('audit').where('id', '>', id).orderBy('id', 'asc').limit(limit);
    if (alsoIds.length > 0) query.orWhereIn('id', alsoIds);
    return (await query).map(toRecord);
  }

  /** The highest id written so far (0 for none). */
  async lastId(): Promise<number> {
    const row = await this.knex('audit').max({ id: 'id' }).first();
    return Number(row?.id ?? 0);
  }
}

function matching<Q extends Knex.QueryBuilder>(query: Q, filter: AuditFilter): Q {
  const users = filter.users;
  if (users !== undefined) {
    query.where((any) => {
      for (const u of users) any.orWhere(u.realm === undefined ? { username: u.username } : { username: u.username, realm: u.realm });
    });
  }
  if (filter.realm !== undefined) query.where('realm', filter.realm);
  if (filter.client !== undefined) query.where('client', filter.client);
  if (filter.action !== undefined) query.where('action', filter.action);
  if (filter.since !== undefined) query.where('at', '>=', filter.since);
  if (filter.upToId !== undefined) query.where('id', '<=', filter.upToId);
  return query;
}

function toRecord(r: Record<string, unknown>): AuditRecord {
  return {
    id: Number(r.id),
    at: Number(r.at),
    action: String(r.action) as AuditAction,
    username: String(r.username),
    realm: String(r.realm),
    client: String(r.client),
    clientAddress: String(r.client_address),
    serials: String(r.serials) ? String(r.serials).split(',') : [],
    reason: String(r.reason),
    gateway: String(r.gateway ?? ''),
    phone: String(r.phone ?? ''),
    nas: {
      callingStationId: String(r.calling_station_id ?? ''),
      ipAddress: String(r.nas_ip_address ?? ''),
      identifier: String(r.nas_identifier ?? ''),
    },
  };
}
