import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secretbox.js';
import { HASHLIBS, OTP_LENGTHS, type HashLib, type OtpLength, type Token } from '../core/model.js';

export interface TokenRow {
  serial: string;
  tokentype: string;
  username: string;
  realm: string;
  phone: string;
  dynamic_phone: boolean | number;
  gateway: string | null;
  otpkey: string;
  hashlib: string;
  otplen: number;
  counter: number;
  count_window: number;
  pin_hash: string;
  active: boolean | number;
  verified: boolean | number;
  failcount: number;
  maxfail: number;
  last_fail_at: number | null;
  last_auth_at: number | null;
  created_at: number;
  updated_at: number;
  /** Migration 0026; not selected by the login's reads (src/store/auth/statements.ts). */
  description?: string;
}

export interface NewToken {
  serial: string;
  username: string;
  realm: string;
  phone: string;
  /** The number is read from the user store at every send (phone is then ''). */
  dynamicPhone: boolean;
  gateway: string | null;
  otpKey: Buffer;
  hashlib: HashLib;
  otplen: OtpLength;
  countWindow: number;
  maxfail: number;
  pinHash: string;
  /** False: the owner must answer one OTP before the token counts (verify_enrollment). */
  verified: boolean;
  /** The operator's free text about the token; absent: ''. */
  description?: string;
}

export interface TokenPatch {
  active?: boolean;
  phone?: string;
  dynamicPhone?: boolean;
  gateway?: string | null;
  pinHash?: string;
  failcount?: number;
  maxfail?: number;
  lastFailAt?: number | null;
  description?: string;
}

export const otpkeyContext = (serial: string) => `token:${serial}:otpkey`;

const KEY_CACHE_LIMIT = 50_000;
/** Opened keys are copied into slabs of this size that belong to the cache alone. */
const KEY_SLAB_BYTES = 64 * 1024;

/** Rows per INSERT: 21 columns × 500 = 10 500 parameters, under SQLite's 32 766 and PostgreSQL's 65 535. */
const INSERT_BATCH = 500;
/** Values per IN (...) list. */
const LOOKUP_BATCH = 1000;

/**
 * Token rows to domain tokens. Opening a sealed key costs an AES-GCM decryption; the hot path
 * reads the same tokens again and again, so opened keys are kept, by their sealed text (a
 * re-enrolled key is a new text), in a bounded map.
 */
export class TokenDecoder {
  private readonly keys = new Map<string, Buffer>();
  // A small Buffer (the decrypted key) is a view of one of Node's shared 8 KB pool slabs: a
  // cached one kept its whole slab, and whatever garbage shared it, alive (measured: 40 000
  // cached keys held 16 MB of slabs). Copies in slabs of our own cost 20-32 bytes each.
  private slab = Buffer.allocUnsafeSlow(KEY_SLAB_BYTES);
  private slabUsed = 0;

  constructor(private readonly box: SecretBox) {}

  decode(row: TokenRow): Token {
    if (!(HASHLIBS as readonly string[]).includes(row.hashlib)) {
      throw new Error(`token ${row.serial}: unknown hashlib '${row.hashlib}' in store`);
    }
    if (!(OTP_LENGTHS as readonly number[]).includes(Number(row.otplen))) {
      throw new Error(`token ${row.serial}: unsupported otplen ${row.otplen} in store`);
    }
    return {
      serial: row.serial,
      tokentype: 'sms',
      username: row.username,
      realm: row.realm,
      phone: row.phone,
      // Absent in rows read before migration 0010 ran (a node upgraded while others run).
      dynamicPhone: Boolean(row.dynamic_phone ?? false),
      gateway: row.gateway,
      otpKey: this.openKey(row),
      hashlib: row.hashlib as HashLib,
      otplen: Number(row.otplen) as OtpLength,
      counter: Number(row.counter),
      countWindow: Number(row.count_window),
      pinHash: row.pin_hash,
      active: Boolean(row.active),
      verified: Boolean(row.verified),
      failcount: Number(row.failcount),
      maxfail: Number(row.maxfail),
      lastFailAt: row.last_fail_at === null ? null : Number(row.last_fail_at),
      lastAuthAt: row.last_auth_at === null || row.last_auth_at === undefined ? null : Number(row.last_auth_at),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      // Absent from the login's reads, which do not select it (and before migration 0026 ran).
      ...(row.description === undefined ? {} : { description: row.description }),
    };
  }

  private openKey(row: TokenRow): Buffer {
    // The serial is part of the cache key as it is of the sealing context: a sealed key
    // copied to another token's row must fail to open, not come out of the cache.
    const cacheKey = `${row.serial}\0${row.otpkey}`;
    let key = this.keys.get(cacheKey);
    if (key === undefined) {
      const opened = this.box.open(row.otpkey, otpkeyContext(row.serial));
      if (this.keys.size >= KEY_CACHE_LIMIT) this.clear();
      key = this.keep(opened);
      opened.fill(0); // the plaintext does not linger in the shared pool
      this.keys.set(cacheKey, key);
    }
    return key;
  }

  private clear(): void {
    this.keys.clear();
    this.slab = Buffer.allocUnsafeSlow(KEY_SLAB_BYTES);
    this.slabUsed = 0;
  }

  /** A copy of `key` in the cache's own slab (a full slab stays alive through its keys until clear()). */
  private keep(key: Buffer): Buffer {
    if (this.slabUsed + key.length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(KEY_SLAB_BYTES, key.length));
      this.slabUsed = 0;
    }
    const kept = this.slab.subarray(this.slabUsed, this.slabUsed + key.length);
    key.copy(kept);
    this.slabUsed += key.length;
    return kept;
  }
}

export class TokenRepository {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {
    this.decoder = new TokenDecoder(box);
  }

  private readonly decoder: TokenDecoder;

  private fromRow(row: TokenRow): Token {
    return this.decoder.decode(row);
  }

  async insert(token: NewToken): Promise<void> {
    await this.knex('tokens').insert(newTokenRow(this.box, token, NEW_TOKEN_STATE, this.now()));
  }

  /**
   * Inserts all tokens or none (one transaction, in batches that stay under SQLite's and
   * PostgreSQL's limits of bound parameters per statement). A serial taken meanwhile fails
   * the unique index and so the whole import.
   */
  async insertMany(tokens: readonly NewToken[]): Promise<void> {
    const now = this.now();
    const rows = tokens.map((t) => newTokenRow(this.box, t, NEW_TOKEN_STATE, now));
    await this.knex.transaction(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) await trx('tokens').insert(rows.slice(i, i + INSERT_BATCH));
    });
  }

  /** Which of these serials tokens have already. */
  async takenSerials(serials: readonly string[]): Promise<Set<string>> {
    const taken = new Set<string>();
    for (let i = 0; i < serials.length; i += LOOKUP_BATCH) {
      const rows: Array<{ serial: string }> = await this.knex('tokens').select('serial').whereIn('serial', serials.slice(i, i + LOOKUP_BATCH));
      for (const { serial } of rows) taken.add(serial);
    }
    return taken;
  }

  /** The user and realm of every token of these user names (without decoding keys). */
  async ownersAmong(usernames: readonly string[]): Promise<Array<{ username: string; realm: string }>> {
    const owners: Array<{ username: string; realm: string }> = [];
    const unique = [...new Set(usernames)];
    for (let i = 0; i < unique.length; i += LOOKUP_BATCH) {
      owners.push(...(await this.knex('tokens').distinct('username', 'realm').whereIn('username', unique.slice(i, i + LOOKUP_BATCH))));
    }
    return owners;
  }

  async bySerial(serial: string): Promise<Token | undefined> {
    const row = await this.knex<TokenRow>('tokens').where({ serial }).first();
    return row ? this.fromRow(row) : undefined;
  }

  async list(filter: { username?: string; realm?: string; serial?: string } = {}): Promise<Token[]> {
    const query = this.knex<TokenRow>('tokens').orderBy(['username', 'serial']);
    if (filter.username !== undefined) query.where({ username: filter.username });
    if (filter.realm !== undefined) query.where({ realm: filter.realm });
    if (filter.serial !== undefined) query.where({ serial: filter.serial });
    return (await query).map((r) => this.fromRow(r));
  }

  async count(): Promise<number> {
    return countOf(this.knex('tokens'));
  }

  /** The challenges still open (not expired at `now`) for these tokens: when each was issued, oldest first. */
  async openChallenges(serials: readonly string[], now: number): Promise<Array<{ serial: string; createdAt: number; expiresAt: number }>> {
    if (serials.length === 0) return [];
    const rows: Array<{ serial: string; created_at: number | string; expires_at: number | string }> = await this.knex('challenges')
      .select('serial', 'created_at', 'expires_at')
      .whereIn('serial', [...serials])
      .where('expires_at', '>', now)
      .orderBy('created_at', 'asc');
    return rows.map((r) => ({ serial: r.serial, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) }));
  }

  /** Tokens that name no gateway of their own (they use the default, sms.identifier). */
  async countWithoutGateway(): Promise<number> {
    return countOf(this.knex('tokens').whereNull('gateway'));
  }

  /** Gateways that tokens name but that do not exist, with how many tokens name each. */
  async danglingGateways(): Promise<Array<{ gateway: string; count: number }>> {
    const rows: Array<{ gateway: string; n: number | string }> = await this.knex('tokens')
      .whereNotNull('gateway')
      .whereNotIn('gateway', this.knex('sms_gateways').select('identifier'))
      .groupBy('gateway')
      .select('gateway')
      .count({ n: '*' });
    return rows.map((r) => ({ gateway: r.gateway, count: Number(r.n) }));
  }

  /** Returns false when no such token exists. */
  async update(serial: string, patch: TokenPatch): Promise<boolean> {
    const row: Partial<TokenRow> = { updated_at: this.now() };
    if (patch.active !== undefined) row.active = patch.active;
    if (patch.phone !== undefined) row.phone = patch.phone;
    if (patch.dynamicPhone !== undefined) row.dynamic_phone = patch.dynamicPhone;
    if (patch.gateway !== undefined) row.gateway = patch.gateway;
    if (patch.pinHash !== undefined) row.pin_hash = patch.pinHash;
    if (patch.failcount !== undefined) row.failcount = patch.failcount;
    if (patch.maxfail !== undefined) row.maxfail = patch.maxfail;
    if (patch.lastFailAt !== undefined) row.last_fail_at = patch.lastFailAt;
    if (patch.description !== undefined) row.description = patch.description;
    return (await this.knex('tokens').where({ serial }).update(row)) > 0;
  }

  /** A carried-over PIN hash replaced by ours, unless the stored one is no longer `previous`. */
  async replacePinHash(serial: string, previous: string, next: string): Promise<boolean> {
    return (await this.knex('tokens').where({ serial, pin_hash: previous }).update({ pin_hash: next, updated_at: this.now() })) > 0;
  }

  async delete(serial: string): Promise<boolean> {
    return (await this.knex('tokens').where({ serial }).delete()) > 0;
  }
}

/** COUNT(*) as a number (PostgreSQL answers a string). */
async function countOf(query: Knex.QueryBuilder): Promise<number> {
  const rows = (await query.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}

/** What a token enrolled here starts with; a migrated one brings its own (src/store/migrated.ts). */
export interface TokenState {
  readonly counter: number;
  readonly active: boolean;
  readonly failcount: number;
}

const NEW_TOKEN_STATE: TokenState = { counter: 0, active: true, failcount: 0 };

/** The row of a new token, its key sealed for its serial. */
export function newTokenRow(box: SecretBox, token: NewToken, state: TokenState, now: number): Omit<TokenRow, 'last_auth_at'> {
  return {
    serial: token.serial,
    tokentype: 'sms',
    username: token.username,
    realm: token.realm,
    phone: token.phone,
    dynamic_phone: token.dynamicPhone,
    gateway: token.gateway,
    otpkey: box.seal(token.otpKey, otpkeyContext(token.serial)),
    hashlib: token.hashlib,
    otplen: token.otplen,
    counter: state.counter,
    count_window: token.countWindow,
    pin_hash: token.pinHash,
    active: state.active,
    verified: token.verified,
    failcount: state.failcount,
    maxfail: token.maxfail,
    last_fail_at: state.failcount > 0 ? now : null,
    created_at: now,
    updated_at: now,
    description: token.description ?? '',
  };
}
