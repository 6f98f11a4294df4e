// API keys of the HTTP front, as the store keeps them: a keyed hash, a role and a note. Every
// change moves the configuration revision, so that each daemon (which keeps the keys in
// memory, src/store/site-config.ts) knows a new key, or forgets a deleted one, within a second.
import type { Knex } from 'knex';
import { changeConfiguration, nothingChanged } from './config-revision.js';

export const API_KEY_ROLES = ['admin', 'validate'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export interface ApiKeyRecord {
  readonly id: number;
  readonly keyHash: string;
  readonly role: ApiKeyRole;
  readonly description: string;
  readonly createdAt: number;
}

interface Row {
  id: number;
  key_hash: string;
  role: string;
  description: string;
  created_at: number | string;
}

export class ApiKeyRepository {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async list(): Promise<ApiKeyRecord[]> {
    const rows: Row[] = await this.knex('api_keys').orderBy('id');
    return rows.map((r) => ({
      id: Number(r.id),
      keyHash: r.key_hash,
      role: r.role as ApiKeyRole,
      description: r.description,
      createdAt: Number(r.created_at),
    }));
  }

  /** Stores a key's hash; returns the new record. */
  async insert(key: { keyHash: string; role: ApiKeyRole; description: string }): Promise<ApiKeyRecord> {
    const createdAt = this.now();
    const id = await changeConfiguration(this.knex, async (trx) => {
      const [inserted] = await trx('api_keys')
        .insert({ key_hash: key.keyHash, role: key.role, description: key.description, created_at: createdAt })
        .returning('id');
      return Number(typeof inserted === 'object' ? (inserted as { id: number }).id : inserted);
    });
    return { id, ...key, createdAt };
  }

  /** False when there is no such key (and then no revision moves). */
  async delete(id: number): Promise<boolean> {
    return changeConfiguration(this.knex, async (trx) => ((await trx('api_keys').where({ id }).delete()) > 0 ? true : nothingChanged(false)));
  }
}
