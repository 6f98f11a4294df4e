import type { Knex } from 'knex';
import type { AccountingSession } from '../core/accounting.js';

/** Which sessions to list; every given field must match. */
export interface SessionFilter {
  readonly username?: string;
  /** The RADIUS client (NAS) name. */
  readonly client?: string;
  /** Only sessions without a Stop. */
  readonly openOnly?: boolean;
}

/** Accounting sessions for `session list` and GET /session/ (the daemon writes them on its login connections). */
export class SessionRepository {
  constructor(private readonly knex: Knex) {}

  /** The `limit` most recently updated sessions that match after skipping `offset`, newest first. */
  async newest(filter: SessionFilter, limit: number, offset = 0): Promise<AccountingSession[]> {
    const query = this.knex('accounting_sessions').orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
    if (offset > 0) query.offset(offset);
    return (await matching(query, filter)).map(toSession);
  }

  async count(filter: SessionFilter): Promise<number> {
    const row = await matching(this.knex('accounting_sessions').count({ n: '*' }), filter).first();
    return Number((row as { n?: number | string } | undefined)?.n ?? 0);
  }
}

function matching<Q extends Knex.QueryBuilder>(query: Q, filter: SessionFilter): Q {
  if (filter.username !== undefined) query.where('username', filter.username);
  if (filter.client !== undefined) query.where('client', filter.client);
  if (filter.openOnly) query.whereNull('stopped_at');
  return query;
}

const orNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toSession(r: Record<string, unknown>): AccountingSession {
  return {
    client: String(r.client),
    sessionId: String(r.session_id),
    username: String(r.username),
    nasIpAddress: String(r.nas_ip_address),
    nasIdentifier: String(r.nas_identifier),
    framedIpAddress: String(r.framed_ip_address),
    callingStationId: String(r.calling_station_id),
    startedAt: orNull(r.started_at),
    updatedAt: Number(r.updated_at),
    stoppedAt: orNull(r.stopped_at),
    sessionTime: orNull(r.session_time),
    inputOctets: orNull(r.input_octets),
    outputOctets: orNull(r.output_octets),
    terminateCause: String(r.terminate_cause),
  };
}
