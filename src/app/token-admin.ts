// Enrollment and administration of SMS tokens: the application layer the CLI's `token`
// commands and the HTTP admin API (/token/...) both use, over the store's repositories.
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import type { PinHasher } from '../crypto/pin-hash.js';
import { newSerial, randomOtpKey } from '../core/random.js';
import type { Store } from '../store/index.js';
import type { GatewayDefinition } from '../store/gateways.js';
import { hasControlCharacter, normaliseRealm } from '../core/names.js';
import { HASHLIBS, OTP_LENGTHS, type HashLib, type OtpLength, type Token } from '../core/model.js';
import { checkRecipient, type RecipientKind } from '../core/recipient.js';
import { MODULE_PARAMETERS, type ModuleName } from '../gateways/parameters.js';
import { lockState } from '../core/login/token-state.js';
import type { EventSink } from '../core/ports.js';
import { SETTINGS } from '../core/settings.js';
import { internationalPhone } from './international-phone.js';
import { FREE_TEXT_LIMIT, mustBeAtMost, mustFit } from './limits.js';
import { pageOf, type Page } from './paging.js';
import { NO_PIN_HASH, pinRequired } from '../core/token-pin.js';

/** A token request with an invalid value (the CLI's usage error, exit status 2). */
export class TokenAdminError extends SmsOtpError {
  override name = 'TokenAdminError';
  readonly code = 'ERR_INVALID_VALUE';
}

export interface EnrollRequest {
  username: string;
  realm?: string;
  /** The number the OTP goes to; or, with dynamicPhone, none (the user store's is read at every send). */
  phone?: string;
  dynamicPhone?: boolean;
  /** Required while otppin is tokenpin; with userstore or none the token may have none. */
  pin?: string;
  otpKeyHex?: string;
  otplen?: number;
  hashlib?: string;
  gateway?: string;
  serial?: string;
  /** The owner must answer one OTP before the token counts; absent: setting verify_enrollment. */
  verify?: boolean;
  /** The HTTP API's rule: a phone number must be international, or national with sms.default_country_code (src/app/international-phone.ts). */
  internationalPhone?: boolean;
  /** The operator's free text about the token (privacyIDEA's description); absent: ''. */
  description?: string;
}

/**
 * What may be shown of a token, to people and scripts alike: everything but the key and the
 * PIN hash, times in ISO 8601 UTC, and whether the fail counter locks it now.
 */
export interface TokenView {
  readonly serial: string;
  readonly tokentype: 'sms';
  readonly username: string;
  readonly realm: string;
  /** The operator's free text about the token ('' for none); privacyIDEA's field of that name. */
  readonly description: string;
  readonly phone: string;
  /** The number is the user store's mobile, read at every send (phone is then ''). */
  readonly dynamicPhone: boolean;
  readonly gateway: string | null;
  readonly hashlib: HashLib;
  readonly otplen: OtpLength;
  readonly counter: number;
  readonly countWindow: number;
  readonly active: boolean;
  /** False until the owner answered the OTP that verifies the enrollment (verify_enrollment). */
  readonly verified: boolean;
  readonly failcount: number;
  readonly maxfail: number;
  /** The fail counter has reached maxfail: no login until `token reset` (or unlocksAt). */
  readonly locked: boolean;
  /** When a locked token unlocks itself (failcounter_clear_timeout); null when it does not. */
  readonly unlocksAt: string | null;
  readonly lastFailAt: string | null;
  readonly lastAuthAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function viewToken(token: Token, now: number, clearTimeoutMinutes: number): TokenView {
  const { locked, unlocksAt } = lockState(token, now, clearTimeoutMinutes);
  return {
    serial: token.serial,
    tokentype: token.tokentype,
    username: token.username,
    realm: token.realm,
    description: token.description ?? '',
    phone: token.phone,
    dynamicPhone: token.dynamicPhone,
    gateway: token.gateway,
    hashlib: token.hashlib,
    otplen: token.otplen,
    counter: token.counter,
    countWindow: token.countWindow,
    active: token.active,
    verified: token.verified,
    failcount: token.failcount,
    maxfail: token.maxfail,
    locked,
    unlocksAt: isoOrNull(unlocksAt),
    lastFailAt: isoOrNull(token.lastFailAt),
    lastAuthAt: isoOrNull(token.lastAuthAt),
    createdAt: iso(token.createdAt),
    updatedAt: iso(token.updatedAt),
  };
}

/** The range `token set --maxfail` takes: the same as setting token.default_maxfail's. */
export const MAXFAIL_RANGE = { min: SETTINGS['token.default_maxfail'].min, max: SETTINGS['token.default_maxfail'].max } as const;

export interface TokenFilter {
  readonly username?: string;
  readonly realm?: string;
  readonly serial?: string;
}

/** What `token set` may change. */
export interface TokenChange {
  pin?: string;
  phone?: string;
  gateway?: string;
  /** As typed: a whole number in MAXFAIL_RANGE. */
  maxfail?: string;
  /** Replaces the description; '' clears it. */
  description?: string;
}

export class TokenAdmin {
  /**
   * `enrolled`: told of every token this layer enrolls, as the events port of the process
   * that serves it (the daemon's HTTP admin API: the token_enrolled notification). The CLI,
   * a process of its own with no notifications, passes none.
   */
  constructor(
    private readonly store: Store,
    private readonly pins: PinHasher,
    private readonly enrolled?: { readonly events: EventSink; readonly client: string },
  ) {}

  /** Whether a new token needs a PIN: only under otppin tokenpin (the setting as stored now). */
  async pinRequired(): Promise<boolean> {
    return pinRequired(await this.store.settings.values());
  }

  async enroll(req: EnrollRequest): Promise<Token> {
    const hashlib = (req.hashlib ?? 'sha1') as HashLib;
    if (!HASHLIBS.includes(hashlib)) throw new TokenAdminError(`--hashlib must be one of ${HASHLIBS.join(', ')}`);
    const otplen = Number(req.otplen ?? 6) as OtpLength;
    if (!OTP_LENGTHS.includes(otplen)) throw new TokenAdminError('--otplen must be 6 or 8');
    checkUser(req.username);
    checkRealm(req.realm ?? '');
    if (req.serial !== undefined) checkSerial(req.serial);
    if (req.gateway !== undefined) mustFit('tokens', 'gateway', req.gateway, '--gateway');
    if (req.pin !== undefined) validatePin(req.pin);
    if (req.description !== undefined) checkDescription(req.description);
    const otpKey = req.otpKeyHex !== undefined ? parseOtpKey(req.otpKeyHex) : randomOtpKey(hashlib);
    if (req.gateway !== undefined && !(await this.store.gateways.get(req.gateway))) {
      throw new NotFoundError(`no gateway '${req.gateway}'; define it first with 'gateway set ${req.gateway} --module ...'`);
    }
    const kind = await this.recipientKind(req.gateway ?? null);
    const settings = await this.store.settings.values();
    let given = req.phone;
    if (req.internationalPhone && kind === 'phone' && given !== undefined && !req.dynamicPhone) {
      const checked = internationalPhone(given, settings['sms.default_country_code']);
      if ('problem' in checked) throw new TokenAdminError(checked.problem);
      given = checked.value;
    }
    const phone = phoneOfEnrollment(given, req.dynamicPhone ?? false, kind);
    const serial = req.serial ?? newSerial();
    if (await this.store.tokens.bySerial(serial)) throw new RefusedError(`a token with serial ${serial} exists already`);
    if (req.pin === undefined && pinRequired(settings)) {
      throw new TokenAdminError('--pin is required while setting otppin is tokenpin (the token PIN is the first factor of the login)');
    }
    await this.store.tokens.insert({
      serial,
      username: req.username,
      // Realms compare without case: kept in lower case (see src/core/names.ts).
      realm: normaliseRealm(req.realm ?? ''),
      phone,
      dynamicPhone: req.dynamicPhone ?? false,
      gateway: req.gateway ?? null,
      otpKey,
      hashlib,
      otplen,
      countWindow: settings['token.default_count_window'],
      maxfail: settings['token.default_maxfail'],
      // Without a PIN (otppin userstore or none) no PIN matches, should tokenpin come back.
      pinHash: req.pin === undefined ? NO_PIN_HASH : await this.pins.hash(req.pin, settings['pin.kdf_cost']),
      verified: !(req.verify ?? settings.verify_enrollment),
      description: req.description ?? '',
    });
    const token = await this.get(serial);
    this.enrolled?.events.emit({ type: 'token_enrolled', serial, username: token.username, realm: token.realm, client: this.enrolled.client });
    return token;
  }

  async get(serial: string): Promise<Token> {
    const token = await this.store.tokens.bySerial(serial);
    if (!token) throw new NotFoundError(`no token with serial ${serial}`);
    return token;
  }

  /** Tokens as they may be shown (see TokenView), optionally of one user (realm) or one serial. */
  async list(filter: TokenFilter = {}): Promise<TokenView[]> {
    const view = await this.viewer();
    const realm = filter.realm === undefined ? {} : { realm: normaliseRealm(filter.realm) };
    return (await this.store.tokens.list({ ...filter, ...realm })).map(view);
  }

  /** One page of list(): `page` counts from 1, as privacyIDEA's /token/ does. */
  async page(filter: TokenFilter, page: number, pageSize: number): Promise<Page<TokenView>> {
    return pageOf(await this.list(filter), page, pageSize);
  }

  async show(serial: string): Promise<TokenView> {
    return (await this.viewer())(await this.get(serial));
  }

  /** Lock states are judged by the clear timeout in force now, as the next login would. */
  private async viewer(): Promise<(t: Token) => TokenView> {
    const clearTimeout = (await this.store.settings.values()).failcounter_clear_timeout;
    const now = Date.now();
    return (t) => viewToken(t, now, clearTimeout);
  }

  async setActive(serial: string, active: boolean): Promise<void> {
    await this.mustUpdate(serial, { active });
  }

  /** Clears the fail counter (unlocks the token); returns the count it had. */
  async reset(serial: string): Promise<number> {
    const { failcount } = await this.get(serial);
    await this.mustUpdate(serial, { failcount: 0, lastFailAt: null });
    return failcount;
  }

  async delete(serial: string): Promise<void> {
    if (!(await this.store.tokens.delete(serial))) throw new NotFoundError(`no token with serial ${serial}`);
  }

  /** Returns the names of what changed (pin, phone, gateway, maxfail, description, in this order). */
  async set(serial: string, change: TokenChange): Promise<string[]> {
    const patch: { pinHash?: string; phone?: string; dynamicPhone?: boolean; gateway?: string | null; maxfail?: number; description?: string } = {};
    if (change.maxfail !== undefined) patch.maxfail = parseMaxfail(change.maxfail);
    if (change.description !== undefined) {
      checkDescription(change.description);
      patch.description = change.description;
    }
    if (change.gateway !== undefined) {
      // An empty value returns the token to the site default gateway.
      mustFit('tokens', 'gateway', change.gateway, '--gateway');
      if (change.gateway !== '' && !(await this.store.gateways.get(change.gateway))) {
        throw new NotFoundError(`no gateway '${change.gateway}'; see 'gateway list'`);
      }
      patch.gateway = change.gateway === '' ? null : change.gateway;
    }
    if (change.phone !== undefined) {
      // Checked for the gateway the token will use after this change.
      const gateway = patch.gateway !== undefined ? patch.gateway : (await this.get(serial)).gateway;
      patch.phone = checkPhone(change.phone, await this.recipientKind(gateway));
      // A number typed for a token with a dynamic phone replaces the directory's for good.
      patch.dynamicPhone = false;
    }
    if (change.pin !== undefined) {
      validatePin(change.pin);
      const settings = await this.store.settings.values();
      patch.pinHash = await this.pins.hash(change.pin, settings['pin.kdf_cost']);
    }
    if (Object.keys(patch).length === 0) throw new TokenAdminError('nothing to change: give --pin, --phone, --gateway, --maxfail or --description');
    await this.mustUpdate(serial, patch);
    return (['pin', 'phone', 'gateway', 'maxfail', 'description'] as const).filter((name) => change[name] !== undefined);
  }

  /** What the token's "phone" must hold for the gateway it will send through (its own, else the default). */
  private async recipientKind(gateway: string | null): Promise<RecipientKind> {
    const id = gateway ?? (await this.store.settings.values())['sms.identifier'];
    return recipientKindOf(id === null ? undefined : await this.store.gateways.get(id));
  }

  private async mustUpdate(serial: string, patch: Parameters<Store['tokens']['update']>[1]): Promise<void> {
    if (!(await this.store.tokens.update(serial, patch))) throw new NotFoundError(`no token with serial ${serial}`);
  }
}

/** How many failures lock a token, as typed after --maxfail. */
function parseMaxfail(raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= MAXFAIL_RANGE.min && n <= MAXFAIL_RANGE.max)) {
    throw new TokenAdminError(`--maxfail must be a whole number from ${MAXFAIL_RANGE.min} to ${MAXFAIL_RANGE.max}, not '${raw}'`);
  }
  return n;
}

/** What a token sending through this gateway holds in "phone" (a phone number when the gateway is unknown). */
export function recipientKindOf(definition: Pick<GatewayDefinition, 'module'> | undefined): RecipientKind {
  const module = definition && Object.hasOwn(MODULE_PARAMETERS, definition.module) ? (definition.module as ModuleName) : undefined;
  return module ? MODULE_PARAMETERS[module].recipient : 'phone';
}

// The checks of one value each, shared by `token enroll` and `token import`: the messages
// name the option, and the import puts the line and column in front.

export function checkUser(username: string): void {
  if (!username) throw new TokenAdminError('--user must not be empty');
  if (hasControlCharacter(username)) throw new TokenAdminError('--user must not contain control characters');
  mustFit('tokens', 'username', username, '--user');
}

export function checkRealm(realm: string): void {
  if (hasControlCharacter(realm)) throw new TokenAdminError('--realm must not contain control characters');
  mustFit('tokens', 'realm', realm, '--realm');
}

export function checkSerial(serial: string): void {
  if (!serial) throw new TokenAdminError('--serial must not be empty');
  mustFit('tokens', 'serial', serial, '--serial');
}

/** Free text, as long as other descriptions may be (src/app/limits.ts). */
function checkDescription(description: string): void {
  mustBeAtMost(FREE_TEXT_LIMIT, description, '--description');
}

export function parseOtpKey(hex: string): Buffer {
  if (!/^([0-9a-fA-F]{2}){10,64}$/.test(hex)) throw new TokenAdminError('--otpkey must be 20 to 128 hex digits (10 to 64 bytes)');
  return Buffer.from(hex, 'hex');
}

export { randomOtpKey } from '../core/random.js';

/** The phone stored for an enrollment: --phone's, or '' with --dynamic-phone (exactly one of the two). */
export function phoneOfEnrollment(phone: string | undefined, dynamicPhone: boolean, kind: RecipientKind): string {
  if (dynamicPhone && phone !== undefined) {
    throw new TokenAdminError('give --phone or --dynamic-phone, not both: --dynamic-phone reads the number from the user store at every send');
  }
  if (dynamicPhone) {
    if (kind === 'device-token') throw new TokenAdminError("--dynamic-phone: the token's gateway is a push gateway, which sends to a device token, not to the directory's mobile number");
    return '';
  }
  if (phone === undefined) throw new TokenAdminError('--phone or --dynamic-phone is required: the number, or the user store\'s mobile read at every send');
  return checkPhone(phone, kind);
}

/** The recipient as stored, or a usage error quoting the rule (src/core/recipient.ts). */
export function checkPhone(phone: string, kind: RecipientKind): string {
  const checked = checkRecipient(phone, kind);
  if ('problem' in checked) {
    throw new TokenAdminError(`--phone ${checked.problem}${kind === 'device-token' ? ' (the token\'s gateway is a push gateway)' : ''}`);
  }
  return checked.value;
}

/**
 * RFC 2865 carries at most 128 octets of User-Password, and the longest login is
 * `<PIN><OTP>` with an 8-digit OTP: a longer PIN could never be typed through RADIUS.
 */
export const PIN_MAX_BYTES = 128 - 8;

/** The PIN is the first factor: an empty one would let the OTP alone log in. */
export function validatePin(pin: string): void {
  if (pin === '') throw new TokenAdminError('--pin must not be empty: the PIN is the first factor of the login');
  if (Buffer.byteLength(pin, 'utf8') > PIN_MAX_BYTES) {
    throw new TokenAdminError(`--pin is at most ${PIN_MAX_BYTES} bytes (RADIUS carries 128 bytes of password, PIN and OTP together)`);
  }
}
