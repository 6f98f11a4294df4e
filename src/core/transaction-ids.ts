// Transaction ids (the RADIUS State, privacyIDEA's transaction_id) that say of themselves
// whether we issued them and until when they are good, so that a State sprayed by an
// attacker, or one long expired, is refused by arithmetic on any node: no store read, no
// audit write. Only a plausible State reaches the store, which still decides whether it is
// open, whose it is and whether it was used.
//
// 40 decimal digits (printable: some NAS treat State as text), in three parts:
//   expiry: 10 digits, the epoch second after which the challenge is gone
//   random: 18 digits (~60 bits) from the CSPRNG, which make the id unique
//   mac:    12 digits of HMAC-SHA256(site key, expiry + random)
// The MAC is a filter, not the lock: guessing one (1 in 10^12) only buys a store read that
// finds nothing. Every node of a site shares the key file, hence the key.
import { createHmac, randomBytes } from 'node:crypto';

const EXPIRY_DIGITS = 10;
const RANDOM_DIGITS = 18;
const MAC_DIGITS = 12;
const RANDOM_MODULUS = 10n ** BigInt(RANDOM_DIGITS);
const MAC_MODULUS = 10n ** BigInt(MAC_DIGITS);
const DIGITS = /^\d{40}$/;

/** What a State says of itself: only a plausible one is looked up. */
export type TransactionIdCheck = 'plausible' | 'forged' | 'expired';

export class TransactionIds {
  /**
   * `unsignedUntil` (epoch ms): until then a 40-digit id without a valid MAC is still looked
   * up, because a daemon of the previous release (random ids) issued it; the composition
   * root sets it to the expiry of the last such State open at start (unsignedUntil below).
   */
  constructor(
    private readonly key: Buffer,
    private readonly unsignedUntil = 0,
  ) {}

  issue(expiresAt: number): string {
    const expiry = String(Math.ceil(expiresAt / 1000)).padStart(EXPIRY_DIGITS, '0');
    const random = (randomBytes(8).readBigUInt64BE() % RANDOM_MODULUS).toString().padStart(RANDOM_DIGITS, '0');
    const body = expiry + random;
    return body + this.mac(body);
  }

  check(transactionId: string, now: number): TransactionIdCheck {
    if (!DIGITS.test(transactionId)) return 'forged';
    const body = transactionId.slice(0, EXPIRY_DIGITS + RANDOM_DIGITS);
    if (this.mac(body) !== transactionId.slice(EXPIRY_DIGITS + RANDOM_DIGITS)) return now < this.unsignedUntil ? 'plausible' : 'forged';
    return Number(transactionId.slice(0, EXPIRY_DIGITS)) * 1000 < now ? 'expired' : 'plausible';
  }

  private mac(body: string): string {
    const digest = createHmac('sha256', this.key).update(body).digest();
    return (digest.readBigUInt64BE() % MAC_MODULUS).toString().padStart(MAC_DIGITS, '0');
  }
}

/**
 * When the last State open at start that `ids` did not issue expires (0: none): a daemon of
 * the release before signed States issued it, and its user may still answer it.
 */
export function unsignedUntil(ids: TransactionIds, open: ReadonlyArray<{ transactionId: string; expiresAt: number }>, now: number): number {
  let until = 0;
  for (const { transactionId, expiresAt } of open) {
    if (expiresAt > until && ids.check(transactionId, now) === 'forged') until = expiresAt;
  }
  return until;
}
