// Phone verifications on their way (migration 0027), shared by every node of a site. The
// application layer (src/app/phone-verification.ts) decides; here each step that two nodes
// could race on is one statement: a wrong answer is counted by an atomic increment, and a code
// is used (or voided) by the one UPDATE that empties its MAC, which only one caller can win.
import type { Knex } from 'knex';

interface Row {
  id: string;
  username: string;
  realm: string;
  phone: string;
  serials: string;
  mac: string;
  wrong: number | string;
  sent_at: number | string;
  expires_at: number | string;
}

/** A verification as stored; `mac` is '' once its code was used or voided. */
export interface StoredVerification {
  readonly id: string;
  readonly username: string;
  readonly realm: string;
  readonly phone: string;
  readonly serials: readonly string[];
  readonly mac: string;
  readonly wrong: number;
  readonly sentAt: number;
  readonly expiresAt: number;
}

/** What limits a new code for an owner: their last SMS, and the codes still open (theirs and everyone's). */
export interface VerificationLoad {
  readonly lastSentAt: number | undefined;
  /** When the owner's open codes expire, soonest first. */
  readonly ownerOpen: readonly number[];
  readonly siteOpen: number;
  /** When the site's soonest open code expires (undefined: none open). */
  readonly siteSoonest: number | undefined;
}

/** How many expired rows one purge removes at most: never a long lock. */
const PURGE_BATCH = 1000;

export class PhoneVerificationRepository {
  constructor(private readonly knex: Knex) {}

  async load(username: string, realm: string, now: number): Promise<VerificationLoad> {
    const live = () => this.knex('phone_verifications').where('expires_at', '>', now);
    const [mine, [site]] = await Promise.all([
      live().andWhere({ username, realm }).select('mac', 'sent_at', 'expires_at').orderBy('expires_at') as Promise<Array<Pick<Row, 'mac' | 'sent_at' | 'expires_at'>>>,
      live().andWhereNot('mac', '').select(this.knex.raw('COUNT(*) AS open_count, MIN(expires_at) AS soonest')) as Promise<Array<{ open_count: number | string; soonest: number | string | null }>>,
    ]);
    const sent = mine.map((r) => Number(r.sent_at));
    return {
      lastSentAt: sent.length > 0 ? Math.max(...sent) : undefined,
      ownerOpen: mine.filter((r) => r.mac !== '').map((r) => Number(r.expires_at)),
      siteOpen: Number(site?.open_count ?? 0),
      siteSoonest: site?.soonest === null || site?.soonest === undefined ? undefined : Number(site.soonest),
    };
  }

  async add(v: StoredVerification): Promise<void> {
    await this.knex('phone_verifications').insert({
      id: v.id,
      username: v.username,
      realm: v.realm,
      phone: v.phone,
      serials: JSON.stringify(v.serials),
      mac: v.mac,
      wrong: v.wrong,
      sent_at: v.sentAt,
      expires_at: v.expiresAt,
    });
  }

  async get(id: string): Promise<StoredVerification | undefined> {
    const row: Row | undefined = await this.knex('phone_verifications').where({ id }).first();
    if (!row) return undefined;
    return {
      id: row.id,
      username: row.username,
      realm: row.realm,
      phone: row.phone,
      serials: JSON.parse(row.serials) as string[],
      mac: row.mac,
      wrong: Number(row.wrong),
      sentAt: Number(row.sent_at),
      expiresAt: Number(row.expires_at),
    };
  }

  /** Counts a wrong answer to an open code; the count after it (undefined: the code is no longer open). */
  async countWrong(id: string): Promise<number | undefined> {
    const changed = await this.knex('phone_verifications').where({ id }).andWhereNot('mac', '').increment('wrong', 1);
    if (!changed) return undefined;
    const row: Pick<Row, 'wrong'> | undefined = await this.knex('phone_verifications').where({ id }).first('wrong');
    return row === undefined ? undefined : Number(row.wrong);
  }

  /** Uses or voids the code whose MAC is `mac`: true for the one caller that did (the code is spent for all). */
  async spend(id: string, mac: string): Promise<boolean> {
    return (await this.knex('phone_verifications').where({ id, mac }).andWhereNot('mac', '').update({ mac: '' })) === 1;
  }

  /** Removes up to 1 000 verifications expired by `now`; how many (1 000: call again). */
  async purgeExpired(now: number): Promise<number> {
    const expired = this.knex('phone_verifications').select('id').where('expires_at', '<=', now).limit(PURGE_BATCH);
    return this.knex('phone_verifications').whereIn('id', expired).delete();
  }
}
