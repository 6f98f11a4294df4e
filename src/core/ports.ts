// What the domain core needs from the outside world, as narrow interfaces it owns. The
// store, the gateways, the KDF pool and the log implement them; the core imports none of
// those. Every port is asynchronous where the outside world may be slow, and synchronous
// where the adapter keeps the answer in memory (settings, clock, rate limits).
import type { SettingValues } from './settings.js';
import type { CompiledPolicies } from './policies/compiled.js';
import type { AuditEntry, Challenge, HashLib, NasContext, OtpLength, PendingEnrollment, Token } from './model.js';

export interface Clock {
  now(): number;
}

/** The site's settings as last read from the store; refreshed by the adapter on change. */
export interface SettingsSource {
  current(): SettingValues;
}

/** The site's policies as last read from the store, compiled; refreshed by the adapter on change. */
export interface PolicySource {
  policies(): CompiledPolicies;
}

/**
 * Delivers one SMS through the named gateway; rejects with a reason when it cannot. A
 * rejection whose `undelivered` is true says the message surely reached no gateway (refused,
 * never connected, not configured): it is not counted against the SMS limits.
 */
export interface SmsSender {
  send(gatewayIdentifier: string, phone: string, message: string): Promise<void>;
}

/** How urgent a PIN check is: a name with recent failures waits behind everyone else. */
export type PinCheckPriority = 'normal' | 'suspect';

export interface PinCheckOptions {
  /** Epoch ms after which nobody waits for the answer: the check is shed, not computed. */
  readonly deadline?: number;
  readonly priority?: PinCheckPriority;
  /** Who asks (the RADIUS client): sources take turns, so one NAS's flood cannot starve the others. */
  readonly source?: string;
  /** For whom (the login name): within a source, names take turns, so one user's flood cannot starve the others. */
  readonly subject?: string;
}

/** PIN hashing (a deliberately slow KDF), scheduled so that overload sheds instead of queueing without bound. */
export interface PinVerifier {
  verify(pin: string, encoded: string, options?: PinCheckOptions): Promise<boolean>;
  hash(pin: string, cost: number): Promise<string>;
}

/**
 * Replaces a token's PIN hash carried over from another system (privacyIDEA's argon2) by one
 * of ours, unless the stored hash changed meanwhile (a `token set --pin`): false then.
 */
export interface PinUpgrades {
  replacePinHash(serial: string, previous: string, next: string): Promise<boolean>;
}

export interface TokenReader {
  byUser(username: string, realm: string): Promise<Token[]>;
  bySerial(serial: string): Promise<Token | undefined>;
}

export interface ChallengeReader {
  /** The still valid challenges of a transaction (oldest counter first) and their tokens. */
  openWithTokens(transactionId: string, now: number): Promise<{ challenges: Challenge[]; tokens: Token[] }>;
  /** The still valid enrollment by challenge of a transaction, if the transaction is one. */
  pendingEnrollment(transactionId: string, now: number): Promise<PendingEnrollment | undefined>;
}

/** A token made by the login itself (enrollment by challenge), already verified and used once. */
export interface EnrolledToken {
  readonly serial: string;
  readonly username: string;
  readonly realm: string;
  /** '' for a dynamic-phone token, whose number the directory gives at every send. */
  readonly phone: string;
  readonly dynamicPhone: boolean;
  readonly otpKey: Buffer;
  readonly hashlib: HashLib;
  readonly otplen: OtpLength;
  /** The next counter to accept: the one after the OTP that proved the phone. */
  readonly counter: number;
  readonly countWindow: number;
  readonly maxfail: number;
  readonly pinHash: string;
  readonly at: number;
}

/**
 * One step of a request's writes. A step with a `guard` must change at least one row; when it
 * changes none, the unit stops there and its outcome is the guard's name (someone else won).
 */
export type WriteStep =
  /**
   * The lock is part of the atomic step: at least one of these tokens is below its maxfail
   * (else the unit stops with `guard`), and they stay so until the unit commits (a row lock on
   * PostgreSQL; SQLite's write lock serialises everything). Put before the writes it guards.
   */
  | { readonly kind: 'checkUnlocked'; readonly serials: readonly string[]; readonly guard: string }
  /** A token at its maxfail is skipped (no counter in the result): no SMS for a locked token. */
  | { readonly kind: 'advanceCounter'; readonly serial: string; readonly at: number }
  | { readonly kind: 'insertChallenges'; readonly challenges: readonly Omit<Challenge, 'receivedCount'>[] }
  | { readonly kind: 'consumeTransaction'; readonly transactionId: string; readonly guard?: string }
  | { readonly kind: 'countReceived'; readonly transactionId: string }
  | {
      readonly kind: 'commitOtp';
      readonly serial: string;
      readonly counter: number;
      /** With concurrent challenges an older open challenge may still be answered. */
      readonly allowOlder: boolean;
      readonly at: number;
      readonly guard?: string;
    }
  /**
   * One failure on each token below its maxfail (never past it). With a guard, a failure that
   * none of the tokens could take (all at maxfail) stops the unit with that outcome.
   */
  | { readonly kind: 'recordFailure'; readonly serials: readonly string[]; readonly at: number; readonly guard?: string }
  /**
   * failcounter_clear_timeout: lifts the lock of those of these tokens still at maxfail whose
   * last failure is at or before `failedBefore` (a failure counted since keeps the lock).
   */
  | { readonly kind: 'clearFailures'; readonly serials: readonly string[]; readonly at: number; readonly failedBefore: number }
  /** The owner answered the OTP sent to an unverified token: it counts from now on. */
  | { readonly kind: 'verifyToken'; readonly serial: string; readonly at: number }
  /** Enrollment by challenge: the record of an enrollment under way (never a token). */
  | { readonly kind: 'insertPendingEnrollment'; readonly enrollment: Omit<PendingEnrollment, 'receivedCount'> }
  | { readonly kind: 'consumePendingEnrollment'; readonly transactionId: string; readonly guard?: string }
  | { readonly kind: 'countPendingReceived'; readonly transactionId: string }
  /** The OTP proved the phone of a pending enrollment: its token exists from now on. */
  | { readonly kind: 'createToken'; readonly token: EnrolledToken };

/**
 * The writes of one request, committed together with the audit entry of the outcome they
 * reach ('ok', or the guard that stopped them). Nothing is reported before it is durable.
 */
export interface WriteUnit {
  readonly steps: readonly WriteStep[];
  readonly audit?: Readonly<Record<string, AuditEntry>>;
  /** Epoch ms after which nobody waits: a unit still blocked by a lock then fails. */
  readonly deadline?: number;
}

export interface WriteResult {
  /** 'ok' or the guard of the step that changed nothing. */
  readonly outcome: string;
  /** The new counter of every advanceCounter step, by serial (a locked token's is absent). */
  readonly counters: ReadonlyMap<string, number>;
  /** The tokens whose fail counter this unit's failures brought to maxfail (locked now). */
  readonly locked: readonly string[];
}

export interface AuthWriter {
  commit(unit: WriteUnit): Promise<WriteResult>;
}

/** Everything the login flow reads and writes, as one port so that an adapter can batch it. */
export interface AuthStore extends TokenReader, ChallengeReader, AuthWriter {}

/** A person as the user directory knows them; filled into templates and (later) phone numbers. */
export interface DirectoryUser {
  /** The name as the directory spells it (its login attribute), which tokens are enrolled under. */
  readonly username: string;
  readonly realm: string;
  /** Where the directory keeps the person (an LDAP DN), for the operator's eyes. */
  readonly dn?: string;
  readonly givenname?: string;
  readonly surname?: string;
  readonly email?: string;
  /** The first value of the user store's mobile attribute. */
  readonly mobile?: string;
  /** Names (cn) of the directory groups the person is a member of; absent when the user store reads no groups. */
  readonly groups?: readonly string[];
}

/** A user name in a realm: whom a login name may mean. */
export interface UserRef {
  readonly username: string;
  readonly realm: string;
}

/**
 * Who a login name means and what the directory knows of them. Adapters throw
 * DirectoryUnavailable (src/core/errors.ts) when the directory cannot be asked: never
 * "no such user" for a directory that is down.
 */
export interface UserDirectory {
  /** The people a login name may mean, most specific first (user@realm before the whole name). */
  candidates(loginName: string): Promise<UserRef[]>;
  /**
   * The person, or undefined when the directory has nobody of that name in that realm.
   * `deadline`: epoch ms after which nobody waits for the answer (the login's), which the
   * reading of groups never outlasts.
   */
  lookup(username: string, realm: string, options?: { readonly deadline?: number }): Promise<DirectoryUser | undefined>;
  /**
   * Whether `password` is the person's directory password (a bind as the person). False for
   * an unknown person and for an empty password, which never reaches the directory.
   */
  checkPassword(username: string, realm: string, password: string): Promise<boolean>;
}

/** What an SMS limit counts by: the number, the user, the RADIUS client (NAS), the country calling code. */
export type SmsLimitName = 'phone' | 'user' | 'client' | 'prefix';

/** One limit an SMS counts against: at most `max` SMS per `windowMs` for `key`. */
export interface LimitCheck {
  readonly name: SmsLimitName;
  /** What is counted, e.g. 'phone:+4917012345'; the same key on every node of a site. */
  readonly key: string;
  readonly max: number;
  readonly windowMs: number;
}

/** A window one SMS was counted in: its key and when it ends (it tells this window from the next). */
export interface CountedLimit {
  readonly key: string;
  readonly windowEndsAt: number;
}

export type LimitVerdict =
  /** `counted`: the windows the SMS was counted in, to refund should it reach no gateway. */
  | { readonly allowed: true; readonly counted?: readonly CountedLimit[] }
  | {
      readonly allowed: false;
      /** The limit that keeps the SMS back longest (the one the user has to wait for). */
      readonly name: SmsLimitName;
      readonly key: string;
      readonly retryAfterMs: number;
      /** This is the first SMS that limit refused in its window (once per window on the whole site). */
      readonly firstRefusal: boolean;
    };

/**
 * SMS flood and toll-fraud limits, counted in the store so that every node of a site shares
 * them. The check and the count are one atomic step: of two nodes racing for the last SMS
 * of a window, one gets it.
 */
export interface RateLimiter {
  /** Counts one SMS against every limit when none is reached; when one is, counts nothing and says which. */
  consume(limits: readonly LimitCheck[], now: number): Promise<LimitVerdict>;
  /**
   * Takes back one count from each window, for an SMS that surely reached no gateway: only
   * from those same windows (a window that ended and began again is not touched).
   */
  refund(counted: readonly CountedLimit[]): Promise<void>;
}

/** Which round of a login a request is: the first factor, an answer to a challenge, or a resend. */
export type LoginStep = 'first_factor' | 'challenge_answer' | 'resend' | 'trigger';

/** What happened, for the log, the counters and the metrics: never a PIN, OTP, phone number or secret. */
export type AuthEvent =
  | {
      readonly type: 'authentication';
      readonly action: 'accept' | 'challenge' | 'reject';
      readonly username: string;
      readonly realm: string;
      readonly client: string;
      /** The caller as the NAS names it (Calling-Station-Id), '' when it did not. */
      readonly callingStationId: string;
      readonly serials: readonly string[];
      readonly reason: string;
    }
  /** One request of the login core ended: which round, how, and how long it took (ms, by the clock port). */
  | {
      readonly type: 'login';
      readonly step: LoginStep;
      readonly outcome: 'accept' | 'challenge' | 'reject' | 'error';
      readonly durationMs: number;
    }
  /** A gateway took an SMS (serial '' for an enrollment by challenge). */
  | { readonly type: 'sms_sent'; readonly serial: string; readonly gateway: string; readonly durationMs: number }
  /** durationMs is there when the gateway was tried (not when no number or gateway was found). */
  | { readonly type: 'sms_failed'; readonly serial: string; readonly gateway: string | null; readonly reason: string; readonly durationMs?: number }
  | { readonly type: 'configuration'; readonly serial: string; readonly problem: string }
  /** The next OTP after an accept (smsautosend), sent or not (then sms_failed says why). */
  | { readonly type: 'autosend'; readonly serial: string; readonly username: string; readonly realm: string; readonly sent: boolean }
  /** A State refused without the store: not one we issued (forged), or past its expiry. */
  | { readonly type: 'state_refused'; readonly why: 'forged' | 'expired'; readonly username: string; readonly client: string }
  /** Work that followed a reply (the autosend SMS and its audit row) failed. */
  | { readonly type: 'deferred_failed'; readonly reason: string }
  /** The result of an SMS still under way when its challenge was answered (sms_deadline passed). */
  | { readonly type: 'sms_late'; readonly serial: string; readonly gateway: string; readonly sent: boolean; readonly reason: string }
  /**
   * An SMS held back by a limit. `subject` is the counted key as a log may show it (a number
   * redacted); `phone` is the whole number, for a notification to its owner only.
   */
  | {
      readonly type: 'sms_limit_reached';
      readonly limit: SmsLimitName;
      readonly key: string;
      readonly subject: string;
      readonly retryAfterSeconds: number;
      readonly firstRefusal: boolean;
      readonly username: string;
      readonly realm: string;
      readonly client: string;
      readonly phone: string;
    }
  /** An SMS not sent because its number is outside sms.allowed_prefixes (`phone` redacted). */
  | { readonly type: 'sms_number_refused'; readonly username: string; readonly realm: string; readonly client: string; readonly phone: string }
  /** A failure locked the token (its fail counter reached maxfail). */
  | { readonly type: 'token_locked'; readonly serial: string; readonly username: string; readonly realm: string; readonly client: string }
  /** A token was made by a login (enrollment by challenge). */
  | { readonly type: 'token_enrolled'; readonly serial: string; readonly username: string; readonly realm: string; readonly client: string }
  /** A failover gateway's member was unreachable and is now skipped for a while (once per outage). */
  | { readonly type: 'gateway_down'; readonly gateway: string; readonly reason: string };

export interface EventSink {
  emit(event: AuthEvent): void;
}

/** A RADIUS attribute as it came from another server, relayed to the NAS as it is (Class, Filter-Id, vendor). */
export interface RelayedAttribute {
  readonly type: number;
  readonly value: Buffer;
}

/** One login forwarded to another RADIUS server (passthru=radius:NAME). */
export interface UpstreamRequest {
  /** The User-Name as the NAS sent it (the old server knows the whole name). */
  readonly username: string;
  readonly password: string;
  /** The upstream's own State, when this answers its challenge. */
  readonly state?: Buffer;
  readonly nas?: Partial<NasContext>;
}

export interface UpstreamAnswer {
  readonly outcome: 'accept' | 'challenge' | 'reject';
  /** Its Reply-Message(s) joined, '' when it sent none. */
  readonly message: string;
  /** A challenge's State (absent: a challenge without one, which cannot be answered). */
  readonly state?: Buffer;
  /** A challenge's Session-Timeout in seconds, when it sent one. */
  readonly sessionTimeout?: number;
  /** What an Accept carried for the NAS, in order (not Reply-Message, State, Message-Authenticator, Proxy-State, EAP-Message). */
  readonly attributes: readonly RelayedAttribute[];
}

/**
 * Another RADIUS server that logins without a token are forwarded to, for a migration from
 * an old OTP server. `forward` throws UpstreamUnavailable (src/core/errors.ts) when the server
 * is not defined or does not answer by the deadline: never a reject for an outage.
 * The State the NAS sees for an upstream challenge is ours: the upstream's State sealed with
 * the site key, bound to the server and the login name, so that any node maps it back
 * without a store and nobody can forge one (it starts with UPSTREAM_STATE_PREFIX).
 */
export interface UpstreamRadius {
  forward(server: string, request: UpstreamRequest, deadline: number | undefined): Promise<UpstreamAnswer>;
  /** Our State for an upstream challenge, or undefined when the upstream's is too long to carry. */
  sealState(server: string, upstreamState: Buffer, username: string, expiresAt: number): string | undefined;
  /** The server and its State, or undefined for a State forged, expired or for another login name. */
  openState(state: string, username: string, now: number): { server: string; state: Buffer } | undefined;
}
