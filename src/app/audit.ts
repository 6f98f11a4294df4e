// Reading the audit trail: the newest rows that match a filter (a page of them), and
// following new rows as they are written (by this node or any other of a PostgreSQL site).
// Shared by the CLI's `audit` commands and the HTTP API's /audit/: the same filters, checked
// the same way, and the same view of a row.
import { AUDIT_ACTIONS, type AuditAction } from '../core/model.js';
import { SmsOtpError } from '../core/errors.js';
import { normaliseRealm } from '../core/names.js';
import type { AuditFilter, AuditRecord, AuditRepository, AuditUser } from '../store/audit.js';
import { pageFrom, type Page } from './paging.js';

export type { AuditFilter, AuditRecord } from '../store/audit.js';

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** A filter value that is no action or no time (a usage error: exit status 2). */
export class AuditFilterError extends SmsOtpError {
  override name = 'AuditFilterError';
  readonly code = 'ERR_INVALID_FILTER';
}

/** The filters as typed (options of the CLI, parameters of the HTTP API). */
export interface AuditFilterText {
  /** `alice` (in any realm) or `alice@corp` (realm corp), as the USER column shows them. */
  readonly user?: string | undefined;
  readonly realm?: string | undefined;
  readonly client?: string | undefined;
  readonly action?: string | undefined;
  readonly since?: string | undefined;
}

/**
 * The filter the text asks for; `named` says how the front names a filter in a message
 * (`--action` on the command line, `action` over HTTP).
 */
export function parseAuditFilter(text: AuditFilterText, now: number, named: (filter: keyof AuditFilterText) => string): AuditFilter {
  const filter: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
  if (text.user !== undefined) filter.users = auditUsers(text.user);
  if (text.realm !== undefined) filter.realm = normaliseRealm(text.realm);
  if (text.client !== undefined) filter.client = text.client;
  if (text.action !== undefined) {
    if (!isAuditAction(text.action)) throw new AuditFilterError(`${named('action')} must be one of ${AUDIT_ACTIONS.join(', ')}, not '${text.action}'`);
    filter.action = text.action;
  }
  if (text.since !== undefined) {
    const since = parseSince(text.since, now);
    if (since === undefined) {
      throw new AuditFilterError(`${named('since')} takes a duration (30m, 1h, 2d) or an ISO 8601 time (2026-11-23T08:00Z), not '${text.since}'`);
    }
    filter.since = since;
  }
  return filter;
}

/**
 * The users a name typed after --user means, as the USER column shows them: `alice` is alice in
 * any realm; `alice@corp` is alice of realm corp, or a login name `alice@corp` kept whole
 * (no realm split applied to it).
 */
export function auditUsers(typed: string): AuditUser[] {
  const at = typed.lastIndexOf('@');
  if (at <= 0 || at === typed.length - 1) return [{ username: typed }];
  return [{ username: typed.slice(0, at), realm: normaliseRealm(typed.slice(at + 1)) }, { username: typed, realm: '' }];
}

/** One row for scripts and the HTTP API: flat, with the time in ISO 8601 UTC. */
export interface AuditView {
  readonly id: number;
  readonly time: string;
  readonly action: AuditAction;
  readonly user: string;
  readonly realm: string;
  readonly client: string;
  readonly clientAddress: string;
  readonly nasIpAddress: string;
  readonly nasIdentifier: string;
  readonly callingStationId: string;
  readonly gateway: string;
  readonly phone: string;
  readonly serials: readonly string[];
  readonly reason: string;
}

export function auditView(r: AuditRecord): AuditView {
  return {
    id: r.id,
    time: new Date(r.at).toISOString(),
    action: r.action,
    user: r.username,
    realm: r.realm,
    client: r.client,
    clientAddress: r.clientAddress,
    nasIpAddress: r.nas.ipAddress,
    nasIdentifier: r.nas.identifier,
    callingStationId: r.nas.callingStationId,
    gateway: r.gateway,
    phone: r.phone,
    serials: r.serials,
    reason: r.reason,
  };
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time from `30m`, `1h`, `2d` (that long before `now`) or an ISO 8601 time (UTC
 * unless it carries an offset, like the times the trail shows); undefined when it is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const relative = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!iso) return undefined;
  const withZone = iso[1] !== undefined || !text.includes(':') ? text.trim() : `${text.trim()}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

export function matches(filter: AuditFilter, r: AuditRecord): boolean {
  return (
    (filter.users === undefined || filter.users.some((u) => r.username === u.username && (u.realm === undefined || r.realm === u.realm))) &&
    (filter.realm === undefined || r.realm === filter.realm) &&
    (filter.client === undefined || r.client === filter.client) &&
    (filter.action === undefined || r.action === filter.action) &&
    (filter.since === undefined || r.at >= filter.since) &&
    (filter.upToId === undefined || r.id <= filter.upToId)
  );
}

/** The newest `limit` matching rows, oldest first: read top to bottom, the newest is last. */
export async function listAudit(repo: AuditRepository, filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
  return (await repo.newest(filter, limit)).reverse();
}

/** One page of the matching rows, newest first (privacyIDEA's /audit/ order); `page` counts from 1. */
export async function pageAudit(repo: AuditRepository, filter: AuditFilter, page: number, pageSize: number): Promise<Page<AuditView>> {
  const [rows, count] = await Promise.all([repo.newest(filter, pageSize, (page - 1) * pageSize), repo.count(filter)]);
  return pageFrom(rows.map(auditView), count, page, pageSize);
}

/** Rows fetched per poll; a follower that is behind polls again at once. */
const FOLLOW_BATCH = 1_000;
/**
 * On PostgreSQL ids are taken when a row is inserted but become visible when its transaction
 * commits, so a row may appear after one with a higher id (another node's batch committing
 * later). Missing ids below the cursor are asked for again for this long; an id that never
 * appears (a rolled-back unit) is then given up.
 */
const GAP_MS = 10_000;
/** At most this many missing ids are remembered; a larger jump is taken as real (rows removed). */
const MAX_GAPS = 1_000;

/** New rows after a starting point, each once, including rows that commit out of id order. */
export class AuditFollower {
  private readonly gaps = new Map<number, number>();

  private constructor(
    private readonly repo: AuditRepository,
    private readonly filter: AuditFilter,
    private cursor: number,
    private readonly now: () => number,
  ) {}

  /** A follower from now on, and the newest `backlog` matching rows written before it (oldest first). */
  static async start(
    repo: AuditRepository,
    filter: AuditFilter,
    backlog: number,
    now: () => number = Date.now,
  ): Promise<{ follower: AuditFollower; backlog: AuditRecord[] }> {
    const cursor = await repo.lastId();
    const rows = backlog > 0 ? await repo.newest({ ...filter, upToId: cursor }, backlog) : [];
    return { follower: new AuditFollower(repo, filter, cursor, now), backlog: rows.reverse() };
  }

  /** The matching rows that appeared since the last poll. */
  async poll(): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (;;) {
      const now = this.now();
      for (const [id, since] of this.gaps) if (now - since > GAP_MS) this.gaps.delete(id);
      const rows = await this.repo.after(this.cursor, FOLLOW_BATCH, [...this.gaps.keys()]);
      let fresh = 0;
      for (const row of rows) {
        if (row.id <= this.cursor) {
          this.gaps.delete(row.id);
        } else {
          fresh++;
          if (row.id - this.cursor - 1 <= MAX_GAPS) for (let id = this.cursor + 1; id < row.id; id++) this.gaps.set(id, now);
          this.cursor = row.id;
        }
        if (matches(this.filter, row)) out.push(row);
      }
      while (this.gaps.size > MAX_GAPS) this.gaps.delete(this.gaps.keys().next().value!);
      if (fresh < FOLLOW_BATCH) return out;
    }
  }
}

/** The audit trail as the CLI's `audit` commands and GET /audit/ read it. */
export class AuditAdmin {
  constructor(private readonly repo: AuditRepository) {}

  list(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    return listAudit(this.repo, filter, limit);
  }

  page(filter: AuditFilter, page: number, pageSize: number): Promise<Page<AuditView>> {
    return pageAudit(this.repo, filter, page, pageSize);
  }

  follow(filter: AuditFilter, backlog: number): Promise<{ follower: AuditFollower; backlog: AuditRecord[] }> {
    return AuditFollower.start(this.repo, filter, backlog);
  }
}
