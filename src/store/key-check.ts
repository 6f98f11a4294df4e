// Makes sure every node (daemon or CLI) seals and hashes with the same key file. Without
// this, a second daemon with its own key file would start fine and reject every login of
// tokens enrolled elsewhere, and a CLI with the wrong key would enroll unreadable tokens.
import { SmsOtpError } from '../core/errors.js';
import type { Knex } from 'knex';
import { DecryptionError, type SecretBox } from '../crypto/secretbox.js';

const KEY = 'key_check';
const CONTEXT = 'store:key_check';
const CANARY = 'sms-otp-radiusd key check';

export class KeyMismatchError extends SmsOtpError {
  override name = 'KeyMismatchError';
  readonly code = 'ERR_KEY_MISMATCH';
}

export class KeyCheck {
  constructor(
    private readonly knex: Knex,
    private readonly box: SecretBox,
  ) {}

  /** 'created' on the first node to use the store, 'matched' afterwards; throws when the key differs. */
  async verify(keyfile: string): Promise<'created' | 'matched'> {
    let state = await this.compare();
    if (state === 'absent') {
      // Two nodes starting at once: the first insert wins, the other reads it back.
      await this.knex('store_meta').insert({ key: KEY, value: this.box.seal(CANARY, CONTEXT) }).onConflict('key').ignore();
      state = await this.compare();
      if (state === 'matched') return 'created';
    }
    if (state === 'matched') return 'matched';
    throw new KeyMismatchError(
      `secrets.keyfile ${keyfile} is not the key file this store was set up with; ` +
        'every daemon and CLI of a site must use a copy of the same key file',
    );
  }

  /** Compares without writing: 'absent' when no node has recorded its key yet. */
  async compare(): Promise<'absent' | 'matched' | 'mismatch'> {
    if (!(await this.knex.schema.hasTable('store_meta'))) return 'absent';
    const row: { value: string } | undefined = await this.knex('store_meta').where({ key: KEY }).first('value');
    if (!row) return 'absent';
    try {
      return this.box.openString(row.value, CONTEXT) === CANARY ? 'matched' : 'mismatch';
    } catch (err) {
      if (err instanceof DecryptionError) return 'mismatch';
      throw err;
    }
  }
}

/**
 * Whether a store already holds data sealed with some key (it has been used by a node). Asked
 * before a missing key file is created: a new key could never read such a store.
 */
export async function storeHoldsSealedData(knex: Knex): Promise<boolean> {
  if (!(await knex.schema.hasTable('store_meta'))) return false;
  if (await knex('store_meta').where({ key: KEY }).first('key')) return true;
  return (await knex.schema.hasTable('tokens')) && (await knex('tokens').first('serial')) !== undefined;
}
