import type { Knex } from 'knex';
import type { Challenge } from '../core/model.js';

interface ChallengeRow {
  transaction_id: string;
  serial: string;
  counter: number;
  username: string;
  realm: string;
  client: string;
  received_count: number;
  created_at: number;
  expires_at: number;
}

const fromRow = (row: ChallengeRow): Challenge => ({
  transactionId: row.transaction_id,
  serial: row.serial,
  counter: Number(row.counter),
  username: row.username,
  realm: row.realm,
  client: row.client,
  receivedCount: Number(row.received_count),
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

export class ChallengeRepository {
  constructor(private readonly knex: Knex) {}

  async insert(challenge: Omit<Challenge, 'receivedCount'>): Promise<void> {
    await this.knex('challenges').insert({
      transaction_id: challenge.transactionId,
      serial: challenge.serial,
      counter: challenge.counter,
      username: challenge.username,
      realm: challenge.realm,
      client: challenge.client,
      received_count: 0,
      created_at: challenge.createdAt,
      expires_at: challenge.expiresAt,
    });
  }

  /** The still valid challenges of one transaction, oldest first. */
  async open(transactionId: string, now: number): Promise<Challenge[]> {
    const rows = await this.knex<ChallengeRow>('challenges')
      .where({ transaction_id: transactionId })
      .andWhere('expires_at', '>', now)
      .orderBy('counter');
    return rows.map(fromRow);
  }

  /** Ends a transaction. Returns how many challenges were removed: 0 means someone else won. */
  async consume(transactionId: string): Promise<number> {
    return this.knex('challenges').where({ transaction_id: transactionId }).delete();
  }

  async countReceived(transactionId: string): Promise<void> {
    await this.knex('challenges')
      .where({ transaction_id: transactionId })
      .update({ received_count: this.knex.raw('received_count + 1') });
  }

  async purgeExpired(now: number): Promise<number> {
    return this.knex('challenges').where('expires_at', '<=', now).delete();
  }

  async forSerial(serial: string): Promise<Challenge[]> {
    return (await this.knex<ChallengeRow>('challenges').where({ serial }).orderBy('created_at')).map(fromRow);
  }
}
