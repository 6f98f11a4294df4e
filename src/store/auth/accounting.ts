// Accounting sessions on the login store's own connections: a Start, Interim-Update or Stop
// is answered only once its row is durable, so it goes the way the logins' writes go (the
// SQLite group commit with its WAL sync, or a PostgreSQL commit) rather than through knex.
// The same SQL on both; `?` placeholders are numbered for PostgreSQL by the caller.
import type { AccountingEvent } from '../../core/accounting.js';

/** One row per (client, session_id); a later event fills in what it carries and keeps the rest. */
export const RECORD_ACCOUNTING = `INSERT INTO accounting_sessions (client, session_id, username, nas_ip_address, nas_identifier,
  framed_ip_address, calling_station_id, status, started_at, updated_at, stopped_at, session_time, input_octets, output_octets,
  terminate_cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (client, session_id) DO UPDATE SET
  username = CASE WHEN excluded.username <> '' THEN excluded.username ELSE accounting_sessions.username END,
  nas_ip_address = CASE WHEN excluded.nas_ip_address <> '' THEN excluded.nas_ip_address ELSE accounting_sessions.nas_ip_address END,
  nas_identifier = CASE WHEN excluded.nas_identifier <> '' THEN excluded.nas_identifier ELSE accounting_sessions.nas_identifier END,
  framed_ip_address = CASE WHEN excluded.framed_ip_address <> '' THEN excluded.framed_ip_address ELSE accounting_sessions.framed_ip_address END,
  calling_station_id = CASE WHEN excluded.calling_station_id <> '' THEN excluded.calling_station_id ELSE accounting_sessions.calling_station_id END,
  status = excluded.status,
  started_at = CASE WHEN excluded.status = 'start' THEN excluded.started_at ELSE COALESCE(accounting_sessions.started_at, excluded.started_at) END,
  updated_at = excluded.updated_at,
  stopped_at = CASE WHEN excluded.status = 'start' THEN NULL ELSE COALESCE(excluded.stopped_at, accounting_sessions.stopped_at) END,
  session_time = COALESCE(excluded.session_time, accounting_sessions.session_time),
  input_octets = COALESCE(excluded.input_octets, accounting_sessions.input_octets),
  output_octets = COALESCE(excluded.output_octets, accounting_sessions.output_octets),
  terminate_cause = CASE WHEN excluded.terminate_cause <> '' THEN excluded.terminate_cause ELSE accounting_sessions.terminate_cause END`;

/** Accounting-On/Off: the NAS (re)started, so none of its sessions is open any more (RFC 2866 §5.1). */
export const CLOSE_CLIENT_SESSIONS =
  'UPDATE accounting_sessions SET stopped_at = ?, updated_at = ?, terminate_cause = ?, status = ? WHERE client = ? AND stopped_at IS NULL';

/** Sessions not updated within the audit's retention, 1 000 per statement through the updated_at index. */
export const pruneSessions = (skipLocked: boolean) =>
  `DELETE FROM accounting_sessions WHERE id IN (SELECT id FROM accounting_sessions WHERE updated_at < ? LIMIT 1000${skipLocked ? ' FOR UPDATE SKIP LOCKED' : ''})`;

/** The values of RECORD_ACCOUNTING, in its order. */
export function accountingValues(e: AccountingEvent): Array<string | number | null> {
  const startedAt = e.status === 'start' ? e.at : e.sessionTime === undefined ? null : e.at - e.sessionTime * 1000;
  return [
    e.client, e.sessionId, e.username, e.nasIpAddress, e.nasIdentifier, e.framedIpAddress, e.callingStationId, e.status,
    startedAt, e.at, e.status === 'stop' ? e.at : null, e.sessionTime ?? null, e.inputOctets ?? null, e.outputOctets ?? null,
    e.terminateCause ?? '',
  ];
}

export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
