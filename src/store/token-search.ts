// The helpdesk's user search over the tokens table, done by the database: a part of a user
// name, or digits of a phone number compared without the separators people type, grouped
// per user and bounded. No migration: the digits are compared through a REPLACE chain that
// SQLite and PostgreSQL both have, so a phone stored as typed ('+49 170 123-4567') matches.
import type { Knex } from 'knex';

/** The phone column without the separators the CLI keeps as typed (src/core/recipient.ts allows these). */
const PHONE_DIGITS_SQL = ['+', ' ', '-', '/', '(', ')', '.'].reduce((sql, ch) => `REPLACE(${sql}, '${ch}', '')`, 'phone');

/** LIKE's wildcards and the escape character itself, made literal. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export interface TokenSearch {
  /** A part of the user name (compared without case); undefined: the name is not searched. */
  readonly username?: string;
  /** LIKE patterns (already with their % and escaped) over the phone's digits; any may match. */
  readonly phoneDigits?: readonly string[];
  /** The realms (as stored, '' for the default realm's tokens) searched; 'all': every realm. */
  readonly realms: readonly string[] | 'all';
  readonly limit: number;
  /** Failures before this time no longer lock (failcounter_clear_timeout); null: a lock lasts until reset. */
  readonly lockClearedBefore: number | null;
}

export interface UserMatch {
  readonly username: string;
  readonly realm: string;
  readonly tokens: number;
  /** One of the user's numbers (the greatest, '' when all are dynamic): the search shows one. */
  readonly phone: string;
  readonly locked: boolean;
  readonly active: boolean;
}

/** The SQL condition "this token's fail counter locks it now" (lockState in src/core/login/token-state.ts). */
export function lockedSql(knex: Knex, lockClearedBefore: number | null): Knex.Raw {
  // -1: every last_fail_at (epoch ms) is later, so without a clear timeout a lock lasts.
  return knex.raw('(failcount >= maxfail AND (last_fail_at IS NULL OR last_fail_at > ?))', [lockClearedBefore ?? -1]);
}

export class TokenSearchRepository {
  constructor(private readonly knex: Knex) {}

  /** At most `limit + 1` users, by name and realm (one more than asked tells the caller there are more). */
  async users(search: TokenSearch): Promise<UserMatch[]> {
    const { knex } = this;
    const locked = lockedSql(knex, search.lockClearedBefore);
    const query = knex('tokens')
      .select('username', 'realm')
      .select(knex.raw('COUNT(*) AS tokens'))
      .select(knex.raw("MAX(CASE WHEN dynamic_phone THEN '' ELSE phone END) AS phone"))
      .select(knex.raw(`MAX(CASE WHEN ${locked.toQuery()} THEN 1 ELSE 0 END) AS locked`))
      .select(knex.raw('MAX(CASE WHEN active THEN 1 ELSE 0 END) AS active'))
      .groupBy('username', 'realm')
      .orderBy([{ column: 'username' }, { column: 'realm' }])
      .limit(search.limit + 1);
    if (search.realms !== 'all') query.whereIn('realm', [...search.realms]);
    const { username, phoneDigits = [] } = search;
    query.where((any) => {
      if (username !== undefined) any.orWhereRaw("LOWER(username) LIKE ? ESCAPE '\\'", [`%${likeLiteral(username.toLowerCase())}%`]);
      for (const pattern of phoneDigits) any.orWhereRaw(`${PHONE_DIGITS_SQL} LIKE ? ESCAPE '\\'`, [pattern]);
      if (username === undefined && phoneDigits.length === 0) any.whereRaw('1 = 0');
    });
    const rows: Array<Record<string, unknown>> = await query;
    return rows.map((r) => ({
      username: String(r.username),
      realm: String(r.realm),
      tokens: Number(r.tokens),
      phone: String(r.phone ?? ''),
      locked: Number(r.locked) === 1,
      active: Number(r.active) === 1,
    }));
  }

  /** Tokens locked now by their fail counter, and disabled tokens (the dashboard's two numbers). */
  async lockedAndDisabled(lockClearedBefore: number | null): Promise<{ locked: number; disabled: number }> {
    const { knex } = this;
    const row = (await knex('tokens')
      .select(knex.raw(`SUM(CASE WHEN ${lockedSql(knex, lockClearedBefore).toQuery()} THEN 1 ELSE 0 END) AS locked`))
      .select(knex.raw('SUM(CASE WHEN active THEN 0 ELSE 1 END) AS disabled'))
      .first()) as { locked: unknown; disabled: unknown } | undefined;
    return { locked: Number(row?.locked ?? 0), disabled: Number(row?.disabled ?? 0) };
  }
}
