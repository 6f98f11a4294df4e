// Accounting sessions for people and scripts: `session list` and GET /session/ read the same
// rows through the same view.
import type { AccountingSession } from '../core/accounting.js';
import type { SessionFilter, SessionRepository } from '../store/sessions.js';
import { pageFrom, type Page } from './paging.js';

export type { SessionFilter } from '../store/sessions.js';
export type { AccountingSession } from '../core/accounting.js';

/** One session, flat, times in ISO 8601 UTC (null when unknown; `stopped` null while open). */
export interface SessionView {
  readonly client: string;
  readonly sessionId: string;
  readonly user: string;
  readonly nasIpAddress: string;
  readonly nasIdentifier: string;
  readonly framedIpAddress: string;
  readonly callingStationId: string;
  readonly started: string | null;
  readonly updated: string;
  readonly stopped: string | null;
  readonly sessionTime: number | null;
  readonly inputOctets: number | null;
  readonly outputOctets: number | null;
  readonly terminateCause: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function sessionView(s: AccountingSession): SessionView {
  return {
    client: s.client,
    sessionId: s.sessionId,
    user: s.username,
    nasIpAddress: s.nasIpAddress,
    nasIdentifier: s.nasIdentifier,
    framedIpAddress: s.framedIpAddress,
    callingStationId: s.callingStationId,
    started: iso(s.startedAt),
    updated: new Date(s.updatedAt).toISOString(),
    stopped: iso(s.stoppedAt),
    sessionTime: s.sessionTime,
    inputOctets: s.inputOctets,
    outputOctets: s.outputOctets,
    terminateCause: s.terminateCause,
  };
}

/** The `limit` most recently updated sessions, oldest first (the newest is the last line). */
export async function listSessions(repo: SessionRepository, filter: SessionFilter, limit: number): Promise<AccountingSession[]> {
  return (await repo.newest(filter, limit)).reverse();
}

/** One page, most recently updated first; `page` counts from 1. */
export async function pageSessions(repo: SessionRepository, filter: SessionFilter, page: number, pageSize: number): Promise<Page<SessionView>> {
  const [rows, count] = await Promise.all([repo.newest(filter, pageSize, (page - 1) * pageSize), repo.count(filter)]);
  return pageFrom(rows.map(sessionView), count, page, pageSize);
}

/** The accounting sessions as `session list` and GET /session/ read them. */
export class SessionAdmin {
  constructor(private readonly repo: SessionRepository) {}

  list(filter: SessionFilter, limit: number): Promise<AccountingSession[]> {
    return listSessions(this.repo, filter, limit);
  }

  page(filter: SessionFilter, page: number, pageSize: number): Promise<Page<SessionView>> {
    return pageSessions(this.repo, filter, page, pageSize);
  }
}
