// Writes what `migrate privacyidea` carries over, all in one transaction that moves the
// configuration revision (daemons reload the gateways and settings). Run again, it updates
// what changed and never duplicates a token; what happened here since the last run wins
// where it must: a counter never moves back, a fail counter never falls (a lock set here
// stays) and is ours alone once the token logged in here, and a PIN already re-hashed into
// our scheme is kept. A token already as the other system has it is left untouched.
import type { Knex } from 'knex';
import type { SecretBox } from '../crypto/secretbox.js';
import type { GatewayDefinition } from '../gateways/definition.js';
import { changeConfiguration } from './config-revision.js';
import type { GatewayRepository } from './gateways.js';
import type { SmtpServerDefinition, SmtpServerRepository } from './smtp-servers.js';
import { newTokenRow, otpkeyContext, type NewToken, type TokenRow } from './tokens.js';

/** A token as another system left it: its counter, state and fail counter come along. */
export interface MigratedToken extends NewToken {
  readonly counter: number;
  readonly active: boolean;
  readonly failcount: number;
}

export interface MigrationBatch {
  readonly tokens: readonly MigratedToken[];
  readonly gateways: readonly GatewayDefinition[];
  readonly smtpServers: readonly SmtpServerDefinition[];
  readonly settings: ReadonlyArray<readonly [string, string]>;
}

export interface MigrationCounts {
  readonly created: number;
  readonly updated: number;
  /** Tokens already here as the other system has them (a second run): left as they are. */
  readonly unchanged: number;
}

const BATCH = 500;

export class MigrationWriter {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
    private readonly now: () => number,
    private readonly gateways: GatewayRepository,
    private readonly smtpServers: SmtpServerRepository,
  ) {}

  /** Which of these serials exist here already. */
  async existing(serials: readonly string[]): Promise<Map<string, TokenRow>> {
    const found = new Map<string, TokenRow>();
    for (let i = 0; i < serials.length; i += BATCH) {
      const rows: TokenRow[] = await this.knex('tokens').whereIn('serial', serials.slice(i, i + BATCH));
      for (const row of rows) found.set(row.serial, row);
    }
    return found;
  }

  async apply(batch: MigrationBatch): Promise<MigrationCounts> {
    return changeConfiguration(this.knex, async (trx) => {
      // Gateways and SMTP servers first: tokens and settings name them.
      for (const server of batch.smtpServers) await this.smtpServers.write(trx, server);
      for (const gateway of batch.gateways) await this.gateways.write(trx, gateway);
      for (const [key, value] of batch.settings) {
        await trx('settings').insert({ key, value, updated_at: this.now() }).onConflict('key').merge(['value', 'updated_at']);
      }
      return this.writeTokens(trx, batch.tokens);
    });
  }

  private async writeTokens(trx: Knex.Transaction, tokens: readonly MigratedToken[]): Promise<MigrationCounts> {
    const now = this.now();
    let created = 0;
    let updated = 0;
    let unchanged = 0;
    for (let i = 0; i < tokens.length; i += BATCH) {
      const slice = tokens.slice(i, i + BATCH);
      const rows: TokenRow[] = await trx('tokens').whereIn('serial', slice.map((t) => t.serial));
      const existing = new Map(rows.map((r) => [r.serial, r]));
      const inserts = [];
      for (const token of slice) {
        const row = existing.get(token.serial);
        if (row) {
          const patch = this.merged(row, token, now);
          if (changes(row, patch)) {
            await trx('tokens').where({ serial: token.serial }).update(patch);
            updated++;
          } else unchanged++;
        } else {
          inserts.push(newTokenRow(this.box, token, token, now));
        }
      }
      if (inserts.length) await trx('tokens').insert(inserts);
      created += inserts.length;
    }
    return { created, updated, unchanged };
  }

  /** The token updated from the other system, keeping what happened here (see the file's head). */
  private merged(row: TokenRow, token: MigratedToken, now: number): Partial<TokenRow> {
    const sameKey = this.box.open(row.otpkey, otpkeyContext(row.serial)).equals(token.otpKey);
    // A new key (re-enrolled there) starts its own counting; the same key never goes back.
    const counter = sameKey ? Math.max(Number(row.counter), token.counter) : token.counter;
    // Once the token logged in here, its fail counter is ours: a correct login here reset it,
    // and the other system's older failures must not lock it again.
    const usedHere = row.last_auth_at !== null && row.last_auth_at !== undefined;
    const failcount = !sameKey ? token.failcount : usedHere ? Number(row.failcount) : Math.max(Number(row.failcount), token.failcount);
    const ourPin = String(row.pin_hash).startsWith('scrypt$');
    return {
      username: token.username,
      realm: token.realm,
      phone: token.phone,
      dynamic_phone: token.dynamicPhone,
      gateway: token.gateway,
      ...(sameKey ? {} : { otpkey: this.box.seal(token.otpKey, otpkeyContext(token.serial)) }),
      hashlib: token.hashlib,
      otplen: token.otplen,
      counter,
      count_window: token.countWindow,
      ...(ourPin ? {} : { pin_hash: token.pinHash }),
      active: token.active,
      failcount,
      maxfail: token.maxfail,
      description: token.description ?? '',
      updated_at: now,
    };
  }
}

/** Whether the patch changes a column of the row (updated_at aside; SQLite gives booleans as 0/1). */
function changes(row: TokenRow, patch: Partial<TokenRow>): boolean {
  return Object.entries(patch).some(([column, value]) => {
    if (column === 'updated_at') return false;
    const current = (row as unknown as Record<string, unknown>)[column];
    if (typeof value === 'boolean') return Boolean(current) !== value;
    if (typeof value === 'number') return Number(current) !== value;
    return (current ?? null) !== (value ?? null);
  });
}
