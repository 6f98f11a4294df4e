// The SMS token's authentication flow, after privacyIDEA's SMS token:
//   PIN alone          -> SMS with HOTP(counter+1), challenge with a transaction id
//   transaction id+OTP -> accept (single use) or "Response did not match"
//   PIN+OTP            -> accept without a challenge
// It sees requests as plain values; RADIUS, UDP and gateways are someone else's concern.
import { timingSafeEqual } from 'node:crypto';
import type { PinHasher } from '../crypto/pin-hash.js';
import { isTransactionId, newTransactionId } from '../crypto/random.js';
import type { SettingValues } from '../settings/registry.js';
import type { Store } from '../store/index.js';
import { findCounter, hotp } from './hotp.js';
import { Messages } from './messages.js';
import type { AuditAction, Challenge, Token } from './model.js';
import type { SmsSender } from './ports.js';
import { redactPhone, renderTemplate, timeTags, userTags } from './templates.js';

export interface AuthRequest {
  /** The user name as the client sent it, possibly `user@realm`. */
  readonly username: string;
  readonly password: string;
  /** The transaction id from an earlier challenge (RADIUS State), if any. */
  readonly transactionId?: string;
  /** With a transaction id: the user asks for the SMS again instead of answering. */
  readonly resend?: boolean;
  readonly client: {
    readonly name: string;
    readonly address: string;
    /** This client's challenge prompt, over the site's sms_challenge_text. */
    readonly challengePrompt?: string;
  };
}

/** Splits a login name into user and realm; undefined when it names no realm. */
export type RealmSplitter = (name: string) => { username: string; realm: string } | undefined;

/** `user@realm`, split at the last `@`. */
export const splitAtSign: RealmSplitter = (name) => {
  const at = name.lastIndexOf('@');
  return at > 0 && at < name.length - 1 ? { username: name.slice(0, at), realm: name.slice(at + 1) } : undefined;
};

export type AuthResult =
  | {
      readonly outcome: 'accept';
      readonly message: string;
      readonly serial: string;
      readonly username: string;
      readonly realm: string;
    }
  | {
      readonly outcome: 'challenge';
      readonly message: string;
      readonly transactionId: string;
      readonly expiresAt: number;
      readonly serials: readonly string[];
    }
  | { readonly outcome: 'reject'; readonly message: string };

/** The logging calls the domain makes; pino's logger fits. */
export interface DomainLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface Context {
  readonly request: AuthRequest;
  readonly username: string;
  readonly realm: string;
  readonly settings: SettingValues;
  readonly now: number;
}

export class Authenticator {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: Store,
    private readonly pins: PinHasher,
    private readonly sms: SmsSender,
    private readonly log: DomainLog,
    private readonly splitRealm: RealmSplitter = splitAtSign,
  ) {}

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const settings = await this.store.settings.values();
    const now = this.store.now();
    const { username, realm, tokens } = await this.resolveUser(request.username);
    const ctx: Context = { request, username, realm, settings, now };
    if (request.transactionId !== undefined) {
      return request.resend ? this.resend(ctx, request.transactionId) : this.answerChallenge(ctx, request.transactionId);
    }
    if (tokens.length === 0) {
      // Same work as for a real user, so response time does not tell who exists.
      await this.pins.verify(request.password, await this.dummy(settings));
      return this.finish(ctx, 'reject', Messages.noToken, [], 'no token');
    }
    return this.checkPassword(ctx, tokens);
  }

  /** `alice@example.com` is user alice in realm example.com when such tokens exist, else the whole name. */
  private async resolveUser(name: string): Promise<{ username: string; realm: string; tokens: Token[] }> {
    const tokens = await this.store.tokens.byUser(name, '');
    const split = tokens.length === 0 ? this.splitRealm(name) : undefined;
    if (split) {
      const realmTokens = await this.store.tokens.byUser(split.username, split.realm);
      if (realmTokens.length > 0) return { ...split, tokens: realmTokens };
    }
    return { username: name, realm: '', tokens };
  }

  private async checkPassword(ctx: Context, tokens: Token[]): Promise<AuthResult> {
    const password = ctx.request.password;
    const pinOnly = await this.filterAsync(tokens, (t) => this.pins.verify(password, t.pinHash));
    if (pinOnly.length > 0) return this.createChallenge(ctx, pinOnly);

    // PIN+OTP in one password: the PIN is prepended, the OTP is the last otplen digits.
    const pinMatched = await this.filterAsync(tokens, (t) =>
      password.length >= t.otplen ? this.pins.verify(password.slice(0, -t.otplen), t.pinHash) : Promise.resolve(false),
    );
    if (pinMatched.length === 0) {
      await this.store.tokens.recordFailure(tokens.map((t) => t.serial));
      return this.finish(ctx, 'reject', Messages.wrongPin, tokens, 'wrong PIN');
    }
    const usable = await this.usable(ctx, pinMatched);
    if ('reject' in usable) return usable.reject;
    for (const token of usable.tokens) {
      const otp = password.slice(-token.otplen);
      const counter = findCounter(token, otp, token.counter, token.countWindow);
      if (counter >= 0 && (await this.store.tokens.commitOtp(token.serial, counter, false))) {
        return this.finish(ctx, 'accept', Messages.accepted, [token], 'PIN+OTP matched', { serial: token.serial });
      }
    }
    await this.store.tokens.recordFailure(usable.tokens.map((t) => t.serial));
    return this.finish(ctx, 'reject', Messages.wrongOtp, usable.tokens, 'PIN right, OTP wrong');
  }

  /**
   * Tokens that may authenticate now: active and not locked. A lock whose
   * failcounter_clear_timeout has passed is lifted here.
   */
  private async usable(ctx: Context, tokens: Token[]): Promise<{ tokens: Token[] } | { reject: AuthResult }> {
    const active = tokens.filter((t) => t.active);
    if (active.length === 0) {
      return { reject: await this.finish(ctx, 'reject', Messages.disabled, tokens, 'token disabled') };
    }
    const clearAfterMs = ctx.settings.failcounter_clear_timeout * 60_000;
    const unlocked: Token[] = [];
    for (const token of active) {
      if (token.failcount < token.maxfail) {
        unlocked.push(token);
      } else if (clearAfterMs > 0 && token.lastFailAt !== null && ctx.now - token.lastFailAt >= clearAfterMs) {
        await this.store.tokens.update(token.serial, { failcount: 0, lastFailAt: null });
        unlocked.push({ ...token, failcount: 0, lastFailAt: null });
      }
    }
    if (unlocked.length === 0) {
      return { reject: await this.finish(ctx, 'reject', Messages.locked, active, 'fail counter exceeded') };
    }
    return { tokens: unlocked };
  }

  private async createChallenge(ctx: Context, pinMatched: Token[]): Promise<AuthResult> {
    const usable = await this.usable(ctx, pinMatched);
    if ('reject' in usable) return usable.reject;
    const transactionId = newTransactionId();
    const expiresAt = ctx.now + ctx.settings['sms.providerTimeout'] * 1000;
    const sentTo: Token[] = [];
    await Promise.all(
      usable.tokens.map(async (token) => {
        if (await this.sendOtp(ctx, token, transactionId, expiresAt)) sentTo.push(token);
      }),
    );
    if (sentTo.length === 0) {
      return this.finish(ctx, 'reject', Messages.smsFailed, usable.tokens, 'no SMS could be sent');
    }
    sentTo.sort((a, b) => a.serial.localeCompare(b.serial));
    const prompt = ctx.request.client.challengePrompt ?? ctx.settings.sms_challenge_text;
    const prompts = sentTo.map((token) =>
      renderTemplate(prompt, {
        ...userTags(ctx),
        serial: token.serial,
        phone: token.phone,
        phone_redacted: redactPhone(token.phone),
      }),
    );
    const message = [...new Set(prompts)].join(', ');
    return this.finish(ctx, 'challenge', message, sentTo, 'SMS sent', {
      transactionId,
      expiresAt,
      serials: sentTo.map((t) => t.serial),
    });
  }

  /** Advances the counter, sends HOTP(counter) and records the challenge. False when the SMS failed. */
  private async sendOtp(ctx: Context, token: Token, transactionId: string, expiresAt: number): Promise<boolean> {
    const gateway = token.gateway ?? ctx.settings['sms.identifier'];
    if (gateway === null) {
      this.log.error({ serial: token.serial }, 'no SMS gateway for this token: set sms.identifier or the token gateway');
      return false;
    }
    const counter = await this.store.tokens.advanceCounter(token.serial);
    const text = renderTemplate(ctx.settings.smstext, {
      ...userTags(ctx),
      ...timeTags(new Date(ctx.now)),
      otp: hotp(token, counter),
      serial: token.serial,
      tokentype: token.tokentype,
    });
    try {
      await this.sms.send(gateway, token.phone, text);
    } catch (err) {
      this.log.error({ serial: token.serial, gateway, reason: (err as Error).message }, 'SMS not sent');
      return false;
    }
    await this.store.challenges.insert({
      transactionId,
      serial: token.serial,
      counter,
      username: ctx.username,
      realm: ctx.realm,
      client: ctx.request.client.name,
      createdAt: ctx.now,
      expiresAt,
    });
    if (ctx.settings.increase_failcounter_on_challenge) await this.store.tokens.recordFailure([token.serial]);
    return true;
  }

  /**
   * The open challenges of a transaction issued to this user at this client. A State we did
   * not issue, or issued to someone else, is rejected, never taken for a PIN attempt.
   */
  private async openChallenges(ctx: Context, transactionId: string): Promise<Challenge[] | { reject: AuthResult }> {
    if (!isTransactionId(transactionId)) {
      return { reject: await this.finish(ctx, 'reject', Messages.invalidTransaction, [], 'State not issued by us') };
    }
    const open = await this.store.challenges.open(transactionId, ctx.now);
    const first = open[0];
    if (!first) return { reject: await this.finish(ctx, 'reject', Messages.invalidTransaction, [], 'unknown or expired transaction') };
    if (first.username !== ctx.username || first.realm !== ctx.realm || first.client !== ctx.request.client.name) {
      // Challenge data never comes from the request: a State issued to someone else is not ours to answer.
      return { reject: await this.finish(ctx, 'reject', Messages.invalidTransaction, [], 'transaction belongs to another user or client') };
    }
    return open;
  }

  /**
   * Sends a new OTP for a pending transaction (the user asked again), at most once per
   * sms.resend_interval; the old transaction ends and a fresh challenge answers.
   */
  private async resend(ctx: Context, transactionId: string): Promise<AuthResult> {
    const open = await this.openChallenges(ctx, transactionId);
    if ('reject' in open) return open.reject;
    const tokens = await this.store.tokens.bySerials(open.map((c) => c.serial));
    const newest = Math.max(...open.map((c) => c.createdAt));
    const wait = Math.ceil((newest + ctx.settings['sms.resend_interval'] * 1000 - ctx.now) / 1000);
    if (wait > 0) {
      const expiresAt = Math.min(...open.map((c) => c.expiresAt));
      return this.finish(ctx, 'challenge', Messages.resendTooSoon(wait), tokens, 'resend throttled', {
        transactionId,
        expiresAt,
        serials: tokens.map((t) => t.serial),
      });
    }
    if ((await this.store.challenges.consume(transactionId)) === 0) {
      return this.finish(ctx, 'reject', Messages.invalidTransaction, [], 'transaction already used');
    }
    return this.createChallenge(ctx, tokens);
  }

  private async answerChallenge(ctx: Context, transactionId: string): Promise<AuthResult> {
    const open = await this.openChallenges(ctx, transactionId);
    if ('reject' in open) return open.reject;
    const tokens = await this.store.tokens.bySerials(open.map((c) => c.serial));
    const usable = await this.usable(ctx, tokens);
    if ('reject' in usable) return usable.reject;
    const otp = ctx.request.password;
    const concurrent = ctx.settings['sms.concurrent_challenges'];
    for (const token of usable.tokens) {
      const counter = this.matchChallenge(token, otp, open, concurrent);
      if (counter < 0) continue;
      // Single use: whoever deletes the transaction's challenges first wins.
      if ((await this.store.challenges.consume(transactionId)) === 0) {
        return this.finish(ctx, 'reject', Messages.invalidTransaction, [token], 'transaction already used');
      }
      if (await this.store.tokens.commitOtp(token.serial, counter, concurrent)) {
        return this.finish(ctx, 'accept', Messages.accepted, [token], 'challenge answered', { serial: token.serial });
      }
      return this.finish(ctx, 'reject', Messages.responseMismatch(1), [token], 'OTP already used');
    }
    await this.store.challenges.countReceived(transactionId);
    await this.store.tokens.recordFailure(usable.tokens.map((t) => t.serial));
    return this.finish(
      ctx,
      'reject',
      Messages.responseMismatch(usable.tokens.length),
      usable.tokens,
      'response did not match',
    );
  }

  /**
   * With concurrent challenges the OTP of any open challenge of this transaction counts;
   * otherwise only the counter window from the token's current counter does.
   */
  private matchChallenge(token: Token, otp: string, open: Challenge[], concurrent: boolean): number {
    if (concurrent) {
      for (const challenge of open) {
        if (challenge.serial === token.serial && constantTimeEqual(otp, hotp(token, challenge.counter))) {
          return challenge.counter;
        }
      }
    }
    return findCounter(token, otp, token.counter, token.countWindow);
  }

  private async finish(
    ctx: Context,
    action: AuditAction,
    message: string,
    tokens: readonly Token[],
    reason: string,
    extra: Record<string, unknown> = {},
  ): Promise<AuthResult> {
    const serials = tokens.map((t) => t.serial);
    await this.store.audit.append({
      at: ctx.now,
      action,
      username: ctx.username,
      realm: ctx.realm,
      client: ctx.request.client.name,
      clientAddress: ctx.request.client.address,
      serials,
      reason,
    });
    this.log.info({ user: ctx.username, realm: ctx.realm, client: ctx.request.client.name, serials, action, reason }, 'authentication');
    if (action === 'reject') return { outcome: 'reject', message };
    if (action === 'accept') {
      return { outcome: 'accept', message, serial: String(extra.serial), username: ctx.username, realm: ctx.realm };
    }
    return {
      outcome: 'challenge',
      message,
      transactionId: String(extra.transactionId),
      expiresAt: Number(extra.expiresAt),
      serials: extra.serials as string[],
    };
  }

  private async filterAsync(tokens: Token[], test: (t: Token) => Promise<boolean>): Promise<Token[]> {
    const results = await Promise.all(tokens.map(test));
    return tokens.filter((_t, i) => results[i]);
  }

  private dummy(settings: SettingValues): Promise<string> {
    this.dummyHash ??= this.pins.hash('no such user', settings['pin.kdf_cost']);
    return this.dummyHash;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
