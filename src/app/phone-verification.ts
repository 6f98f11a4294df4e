// A new phone number proved before it is saved: a 6-digit code goes to the NEW number, and
// only its owner can type it back. Self-service requires it for "change my phone" (a stolen
// first factor must not be enough to redirect the second); the helpdesk may use it too.
//
// What is pending lives in this process only (a restart asks the user for a new code): an
// HMAC of each code under a key made at start, never the code, in a bounded map. One SMS per
// owner per 30 seconds, at most 5 pending per owner, 3 wrong answers void a code, 10 minutes
// to answer.
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import { normaliseRealm } from '../core/names.js';
import type { SmsSender } from '../core/ports.js';
import { redactPhone } from '../core/redact.js';
import type { Store } from '../store/index.js';
import { internationalPhone } from './international-phone.js';
import { forbidden, realmScope, type AllowedRealms } from './realm-guard.js';
import { checkPhone, TokenAdminError, type TokenAdmin } from './token-admin.js';

export const VERIFICATION_TTL_MS = 10 * 60_000;
export const RESEND_INTERVAL_MS = 30_000;
const MAX_PENDING_PER_OWNER = 5;
const MAX_WRONG = 3;
/** All owners together: a flood of starts cannot grow the process without bound. */
const MAX_PENDING = 10_000;
/** The audit rows' client: these changes come from the web UI (main's WEB_CLIENT_NAME in src/config/schema.ts). */
const CLIENT = 'webui';

/** The code is wrong, expired, unknown, or was answered wrong too often: a new one must be asked for. */
export class PhoneVerificationError extends SmsOtpError {
  override name = 'PhoneVerificationError';
  readonly code = 'ERR_VERIFICATION_FAILED';
}

/** A new code asked for too soon (or too many pending): `retryAfterSeconds` says when to ask again. */
export class TooSoonError extends SmsOtpError {
  override name = 'TooSoonError';
  readonly code = 'ERR_TOO_SOON';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface PhoneOwner {
  readonly username: string;
  readonly realm: string;
}

/** Who asks: the owner themselves in self-service (`web:alice@corp`), or a helpdesk member with their realms. */
export interface VerificationActor {
  readonly operator: string;
  readonly allowedRealms?: AllowedRealms;
  /** The one token whose number changes; absent: every token of the owner. */
  readonly serial?: string;
}

interface Pending {
  readonly owner: string;
  readonly phone: string;
  readonly serials: readonly string[];
  readonly mac: Buffer;
  readonly expiresAt: number;
  wrong: number;
}

const ownerKey = (o: PhoneOwner) => `${o.username}\0${normaliseRealm(o.realm)}`;

export class PhoneVerifications {
  private readonly key = randomBytes(32);
  private readonly pending = new Map<string, Pending>();
  /** When each owner was last sent a code. */
  private readonly lastSent = new Map<string, number>();

  /** `sms`: the daemon's gateways (the same registry the logins send through). */
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenAdmin,
    private readonly sms: SmsSender,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends a code to `newPhone` for a change of the owner's number; the number is checked as the HTTP API's enroll checks it. */
  async start(owner: PhoneOwner, newPhone: string, actor: VerificationActor): Promise<{ verificationId: string; expiresAt: number }> {
    const serials = await this.tokensOf(owner, actor);
    const settings = await this.store.settings.values();
    const checked = internationalPhone(newPhone, settings['sms.default_country_code']);
    if ('problem' in checked) throw new TokenAdminError(checked.problem);
    const phone = checkPhone(checked.value, 'phone');
    const first = await this.tokens.get(serials[0]!);
    const gateway = first.gateway ?? settings['sms.identifier'];
    if (gateway === null) throw new RefusedError('no SMS gateway to send the verification code through: set sms.identifier');

    const now = this.now();
    this.forgetExpired(now);
    const key = ownerKey(owner);
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < RESEND_INTERVAL_MS) {
      const wait = Math.ceil((last + RESEND_INTERVAL_MS - now) / 1000);
      throw new TooSoonError(`a verification code was sent less than 30 seconds ago: ask again in ${wait} seconds`, wait);
    }
    const mine = [...this.pending.values()].filter((p) => p.owner === key);
    if (mine.length >= MAX_PENDING_PER_OWNER || this.pending.size >= MAX_PENDING) {
      const oldest = Math.min(...(mine.length > 0 ? mine : [...this.pending.values()]).map((p) => p.expiresAt));
      const wait = Math.max(1, Math.ceil((oldest - now) / 1000));
      throw new TooSoonError(`too many verification codes are pending: ask again in ${wait} seconds`, wait);
    }
    this.lastSent.set(key, now);

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const verificationId = randomBytes(16).toString('base64url');
    const expiresAt = now + VERIFICATION_TTL_MS;
    try {
      await this.sms.send(gateway, phone, `Your verification code is ${code}`);
    } catch (err) {
      await this.audit(owner, actor, `phone verification to ${redactPhone(phone)} not sent: ${(err as Error).message}`, gateway, phone);
      throw err;
    }
    this.pending.set(verificationId, { owner: key, phone, serials, mac: this.mac(verificationId, code), expiresAt, wrong: 0 });
    await this.audit(owner, actor, `phone verification sent to ${redactPhone(phone)}`, gateway, phone);
    return { verificationId, expiresAt };
  }

  /** Saves the number once its code is typed back; resolves with the number saved. */
  async confirm(owner: PhoneOwner, verificationId: string, code: string, actor: VerificationActor): Promise<string> {
    const entry = this.pending.get(verificationId);
    if (!entry || entry.owner !== ownerKey(owner) || entry.expiresAt <= this.now()) {
      throw new PhoneVerificationError('the verification code is unknown or has expired: ask for a new one');
    }
    if (!timingSafeEqual(this.mac(verificationId, code.trim()), entry.mac)) {
      entry.wrong += 1;
      const left = MAX_WRONG - entry.wrong;
      if (left > 0) throw new PhoneVerificationError(`wrong verification code (${left} ${left === 1 ? 'try' : 'tries'} left)`);
      this.pending.delete(verificationId);
      throw new PhoneVerificationError(`wrong verification code ${MAX_WRONG} times: ask for a new one`);
    }
    this.pending.delete(verificationId);
    // Checked again: the helpdesk's realms may have changed, a token may have gone meanwhile.
    await this.tokensOf(owner, actor);
    for (const serial of entry.serials) {
      await this.tokens.set(serial, { phone: entry.phone });
      await this.audit(owner, actor, `phone changed to ${redactPhone(entry.phone)} for token ${serial} (verified by a code sent to it)`, '', entry.phone, [serial]);
    }
    return entry.phone;
  }

  /** The serials whose number would change, after the realm check (one error for a forbidden and an unknown user). */
  private async tokensOf(owner: PhoneOwner, actor: VerificationActor): Promise<string[]> {
    const scope = await realmScope(this.store, actor.allowedRealms);
    const restricted = scope.stored !== 'all';
    if (!scope.allows(owner.realm)) throw forbidden(`user ${owner.username}`);
    const tokens = await this.tokens.list({ username: owner.username, realm: owner.realm });
    if (tokens.length === 0) {
      if (restricted) throw forbidden(`user ${owner.username}`);
      throw new NotFoundError(`user ${owner.username} has no token whose number could change`);
    }
    if (actor.serial === undefined) return tokens.map((t) => t.serial);
    if (!tokens.some((t) => t.serial === actor.serial)) throw new NotFoundError(`user ${owner.username} has no token ${actor.serial}`);
    return [actor.serial];
  }

  private mac(verificationId: string, code: string): Buffer {
    return createHmac('sha256', this.key).update(`${verificationId}\0${code}`).digest();
  }

  private forgetExpired(now: number): void {
    for (const [id, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(id);
    if (this.lastSent.size > MAX_PENDING) {
      for (const [key, at] of this.lastSent) if (now - at >= RESEND_INTERVAL_MS) this.lastSent.delete(key);
    }
  }

  private async audit(owner: PhoneOwner, actor: VerificationActor, what: string, gateway: string, phone: string, serials: readonly string[] = []): Promise<void> {
    await this.store.audit.append({
      at: this.now(),
      action: 'admin',
      username: owner.username,
      realm: normaliseRealm(owner.realm),
      client: CLIENT,
      clientAddress: '',
      serials,
      reason: `${what} (by ${actor.operator})`,
      gateway,
      phone: redactPhone(phone),
      nas: { callingStationId: '', ipAddress: '', identifier: '' },
    });
  }
}
