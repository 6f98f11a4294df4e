// A new phone number proved before it is saved: a 6-digit code goes to the NEW number, and
// only its owner can type it back. Self-service requires it for "change my phone" (a stolen
// first factor must not be enough to redirect the second); the helpdesk may use it too.
//
// What is pending lives in the store (src/store/phone-verifications.ts), so that any node of a
// site takes the code another sent, and a restart loses none: an HMAC of each code under a key
// from the key file, never the code. One SMS per owner per 30 seconds, at most 5 pending per
// owner and 10 000 on the site, 3 wrong answers void a code, 10 minutes to answer.
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
  /** The number of a new token (self-service enrollment): the owner has none yet, and none changes on confirm. */
  readonly enrollment?: boolean;
}

export class PhoneVerifications {
  /**
   * `sms`: the daemon's gateways (the same registry the logins send through); `key`: the HMAC
   * key of the codes as stored, the same on every node of the site (from the key file).
   */
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenAdmin,
    private readonly sms: SmsSender,
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends a code to `newPhone` for a change of the owner's number; the number is checked as the HTTP API's enroll checks it. */
  async start(owner: PhoneOwner, newPhone: string, actor: VerificationActor): Promise<{ verificationId: string; expiresAt: number }> {
    const serials = await this.tokensOf(owner, actor);
    const settings = await this.store.settings.values();
    const checked = internationalPhone(newPhone, settings['sms.default_country_code']);
    if ('problem' in checked) throw new TokenAdminError(checked.problem);
    const phone = checkPhone(checked.value, 'phone');
    const first = serials[0] === undefined ? undefined : await this.tokens.get(serials[0]);
    const gateway = first?.gateway ?? settings['sms.identifier'];
    if (gateway === null) throw new RefusedError('no SMS gateway to send the verification code through: set sms.identifier');

    const now = this.now();
    const pending = this.store.phoneVerifications;
    await pending.purgeExpired(now);
    const realm = normaliseRealm(owner.realm);
    const load = await pending.load(owner.username, realm, now);
    if (load.lastSentAt !== undefined && now - load.lastSentAt < RESEND_INTERVAL_MS) {
      const wait = Math.ceil((load.lastSentAt + RESEND_INTERVAL_MS - now) / 1000);
      throw new TooSoonError(`a verification code was sent less than 30 seconds ago: ask again in ${wait} seconds`, wait);
    }
    if (load.ownerOpen.length >= MAX_PENDING_PER_OWNER || load.siteOpen >= MAX_PENDING) {
      const soonest = load.ownerOpen.length >= MAX_PENDING_PER_OWNER ? load.ownerOpen[0]! : (load.siteSoonest ?? now);
      const wait = Math.max(1, Math.ceil((soonest - now) / 1000));
      throw new TooSoonError(`too many verification codes are pending: ask again in ${wait} seconds`, wait);
    }

    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const verificationId = randomBytes(16).toString('base64url');
    const expiresAt = now + VERIFICATION_TTL_MS;
    const mac = this.mac(verificationId, code);
    // Stored before the SMS goes out, so that the 30 seconds hold on every node from now on;
    // an SMS that fails voids it (its time of sending still counts).
    await pending.add({ id: verificationId, username: owner.username, realm, phone, serials, mac, wrong: 0, sentAt: now, expiresAt });
    try {
      await this.sms.send(gateway, phone, `Your verification code is ${code}`);
    } catch (err) {
      await pending.spend(verificationId, mac);
      await this.audit(owner, actor, `phone verification to ${redactPhone(phone)} not sent: ${(err as Error).message}`, gateway, phone);
      throw err;
    }
    await this.audit(owner, actor, `phone verification sent to ${redactPhone(phone)}`, gateway, phone);
    return { verificationId, expiresAt };
  }

  /** Saves the number once its code is typed back; resolves with the number saved. */
  async confirm(owner: PhoneOwner, verificationId: string, code: string, actor: VerificationActor): Promise<string> {
    const pending = this.store.phoneVerifications;
    const unknown = () => new PhoneVerificationError('the verification code is unknown or has expired: ask for a new one');
    // A verification id is 22 characters of base64url: anything else is no id, and no query.
    const entry = /^[A-Za-z0-9_-]{22}$/.test(verificationId) ? await pending.get(verificationId) : undefined;
    if (!entry || entry.mac === '' || entry.username !== owner.username || entry.realm !== normaliseRealm(owner.realm) || entry.expiresAt <= this.now()) throw unknown();
    if (!timingSafeEqual(Buffer.from(this.mac(verificationId, code.trim()), 'hex'), Buffer.from(entry.mac, 'hex'))) {
      const wrong = await pending.countWrong(verificationId);
      if (wrong === undefined) throw unknown();
      const left = MAX_WRONG - wrong;
      if (left > 0) throw new PhoneVerificationError(`wrong verification code (${left} ${left === 1 ? 'try' : 'tries'} left)`);
      await pending.spend(verificationId, entry.mac);
      throw new PhoneVerificationError(`wrong verification code ${MAX_WRONG} times: ask for a new one`);
    }
    // Used once: of two nodes given the same code at once, one saves the number.
    if (!(await pending.spend(verificationId, entry.mac))) throw unknown();
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
    if (actor.enrollment) {
      if (tokens.length > 0) throw new RefusedError(`user ${owner.username} has a token already: change its number instead`);
      return [];
    }
    if (tokens.length === 0) {
      if (restricted) throw forbidden(`user ${owner.username}`);
      throw new NotFoundError(`user ${owner.username} has no token whose number could change`);
    }
    if (actor.serial === undefined) return tokens.map((t) => t.serial);
    if (!tokens.some((t) => t.serial === actor.serial)) throw new NotFoundError(`user ${owner.username} has no token ${actor.serial}`);
    return [actor.serial];
  }

  private mac(verificationId: string, code: string): string {
    return createHmac('sha256', this.key).update(`${verificationId}\0${code}`).digest('hex');
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
