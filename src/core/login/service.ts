// The login core: one entry point for every front. It finds who the login name means,
// then hands the request to the step that owns it (first factor, challenge answer, resend).
import { answerChallenge, resend } from './answer.js';
import type { LoginContext, LoginPorts } from './context.js';
import { checkPassword } from './first-factor.js';
import { startEnrollment } from './enroll-by-challenge.js';
import { answerUpstream, isUpstreamState } from './forward.js';
import { firstKnown, passWithoutToken } from './no-token.js';
import type { AuthRequest, AuthResult, Refusal, TriggerRequest } from './request.js';
import type { Authenticator } from '../authenticator.js';
import type { Token } from '../model.js';
import type { LoginStep, UserRef } from '../ports.js';
import { issueChallenge } from './challenges.js';
import { AfterReply } from '../after-reply.js';
import { FailSlots } from './fail-slots.js';
import { Messages } from '../messages.js';
import { hasControlCharacter, normaliseRealm, printableName } from '../names.js';
import { deadlineOf, pinCheckOf, refuseState, reject } from './verdict.js';
import { tokensText, usersText } from '../debug-trace.js';
import { contextFor, policiesNeedGroups } from './policy-context.js';

const DUMMY_PIN = 'no such user';

export class LoginService implements Authenticator {
  private readonly dummyHashes = new Map<number, Promise<string>>();
  /** Deferred work (LoginContext.defer): after the verdict's reply, the caller has what it waits for already. */
  private readonly deferred = new AfterReply();

  private readonly ports: LoginPorts;

  /** `failSlots` is made here unless given (one per node, shared by every login). */
  constructor(ports: Omit<LoginPorts, 'failSlots'> & { readonly failSlots?: FailSlots }) {
    this.ports = { ...ports, failSlots: ports.failSlots ?? new FailSlots() };
  }

  /** Resolves when the work deferred by the logins so far has ended (for a clean stop). */
  idle(): Promise<void> {
    return this.deferred.idle();
  }

  private readonly defer = (work: () => Promise<void>): void =>
    this.deferred.run(work, (err: unknown) => this.ports.events.emit({ type: 'deferred_failed', reason: (err as Error).message }));

  /** Answers one request and tells the events port which round it was, how it ended and how long it took. */
  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const step: LoginStep = request.transactionId === undefined ? 'first_factor' : request.resend ? 'resend' : 'challenge_answer';
    return this.timed(step, () => this.route(request));
  }

  /** Runs one step and tells the events port which it was, how it ended and how long it took. */
  private async timed(step: LoginStep, work: () => Promise<AuthResult>): Promise<AuthResult> {
    const { clock, events } = this.ports;
    const started = clock.now();
    try {
      const result = await work();
      events.emit({ type: 'login', step, outcome: result.outcome, durationMs: clock.now() - started });
      return result;
    } catch (err) {
      events.emit({ type: 'login', step, outcome: 'error', durationMs: clock.now() - started });
      throw err;
    }
  }

  private async route(request: AuthRequest): Promise<AuthResult> {
    const base = this.baseContext(request);
    if (hasControlCharacter(request.username)) return this.invalidUserName(base);
    // The answer to a challenge of the RADIUS server a login was forwarded to: back to it,
    // never to the store's challenges (and never a serial's token).
    if (request.transactionId !== undefined && isUpstreamState(request.transactionId)) {
      const first = (await this.candidates(request.username))[0] ?? { username: request.username, realm: '' };
      return answerUpstream(this.ports, base, request.transactionId, first);
    }
    if (request.serial !== undefined) return this.authenticateToken(base, request.serial);
    // A State we did not issue, or long expired, is refused by arithmetic before anything is
    // asked of the directory or the store: it is what an attacker sprays, and costs no more here.
    const forged = request.transactionId === undefined ? undefined : this.refusedState(request, request.transactionId, base.now);
    if (forged) return request.namesUnknownUsers ? this.withRefusal(request, forged, await this.candidates(request.username), request.username, true) : forged;
    const candidates = await this.candidates(request.username);
    request.trace?.(`${request.transactionId === undefined ? 'first factor' : request.resend ? 'resend asked (State, empty password or keyword)' : 'answer to a challenge (State)'}: login name '${request.username}' may mean ${usersText(candidates)}`);
    if (request.transactionId !== undefined) {
      const answered = await this.answer(base, request.transactionId, candidates);
      // Asked only after a reject: an accepted answer costs no extra read.
      return answered.outcome === 'reject' ? this.withRefusal(request, answered, candidates, request.username, true) : answered;
    }
    // `alice@example.com` is user alice in realm example.com when such tokens exist, else the whole name.
    for (const candidate of candidates) {
      const tokens = await this.ports.store.byUser(candidate.username, candidate.realm);
      if (tokens.length === 0) continue;
      request.trace?.(`user ${candidate.username}, realm '${candidate.realm}': tokens ${tokensText(tokens)}`);
      const known = await this.ports.directory.lookup(candidate.username, candidate.realm, deadlineOf(base));
      return checkPassword(this.ports, contextFor(this.ports, base, { ...candidate, ...known }), tokens);
    }
    const enrolling = await startEnrollment(this.ports, base, candidates);
    if (enrolling) return enrolling;
    const passed = await passWithoutToken(this.ports, base, candidates);
    if (passed) return passed;
    // No candidate owns a token (the loop above): only the directory can still know the user.
    return this.withRefusal(request, await this.noToken(base), candidates, request.username, false);
  }

  /**
   * Sends the SMS to the user's tokens (or the one token named) without a first factor
   * (privacyIDEA's /validate/triggerchallenge); the challenge is answered like any other.
   * A challenge, or a reject that says why no SMS went out.
   */
  triggerChallenge(trigger: TriggerRequest): Promise<AuthResult> {
    return this.timed('trigger', () => this.trigger(trigger));
  }

  private async trigger(trigger: TriggerRequest): Promise<AuthResult> {
    const request: AuthRequest = { ...trigger, password: '' };
    const base = this.baseContext(request);
    if (hasControlCharacter(request.username)) return this.invalidUserName(base);
    if (trigger.serial !== undefined) {
      const owned = await this.ownedToken(request.username, trigger.serial);
      if (!owned) return reject(this.ports, { ...base, user: { username: request.username, realm: '' } }, Messages.noToken, [], 'no such token for this user');
      return issueChallenge(this.ports, contextFor(this.ports, base, owned.user), [owned.token], { triggered: true });
    }
    for (const candidate of await this.candidates(request.username)) {
      const tokens = await this.ports.store.byUser(candidate.username, candidate.realm);
      if (tokens.length === 0) continue;
      request.trace?.(`triggered challenge: user ${candidate.username}, realm '${candidate.realm}': tokens ${tokensText(tokens)}`);
      const known = await this.ports.directory.lookup(candidate.username, candidate.realm, deadlineOf(base));
      return issueChallenge(this.ports, contextFor(this.ports, base, { ...candidate, ...known }), tokens, { triggered: true });
    }
    const none = await reject(this.ports, { ...base, user: { username: request.username, realm: '' } }, Messages.noToken, [], 'no token');
    return this.withRefusal(request, none, await this.candidates(request.username), request.username, false);
  }

  private baseContext(request: AuthRequest): Omit<LoginContext, 'user'> {
    const now = this.ports.clock.now();
    return {
      request,
      settings: this.ports.settings.current(),
      now,
      priority: this.ports.recentFailures.isSuspect(request.username, now) ? 'suspect' : 'normal',
      defer: this.defer,
    };
  }

  /** The reject of a State that says of itself that we did not issue it or that it expired; undefined for a plausible one. */
  private refusedState(request: AuthRequest, transactionId: string, now: number): AuthResult | undefined {
    const state = this.ports.transactionIds.check(transactionId, now);
    if (state === 'plausible') return undefined;
    request.trace?.(`State refused: ${state === 'forged' ? 'not issued by this site' : 'expired'}`);
    return refuseState(this.ports, request, state);
  }

  private async candidates(loginName: string): Promise<UserRef[]> {
    return (await this.ports.directory.candidates(loginName)).map((c) => ({ ...c, realm: normaliseRealm(c.realm) }));
  }

  private invalidUserName(base: Omit<LoginContext, 'user'>): Promise<AuthResult> {
    // No such user can exist (enrollment refuses the name) and the store could not even hold it.
    const ctx: LoginContext = { ...base, user: { username: printableName(base.request.username), realm: '' } };
    return reject(this.ports, ctx, Messages.invalidUserName, [], 'user name with control characters');
  }

  /** A login with a State: the answer to a challenge, or a request to send its SMS again. */
  private async answer(base: Omit<LoginContext, 'user'>, transactionId: string, candidates: readonly UserRef[]): Promise<AuthResult> {
    const { request } = base;
    // The challenge names its user; the login name only has to be able to mean that user.
    const first = candidates[0] ?? { username: request.username, realm: '' };
    // A resend sends an SMS again: with the names the directory has for its text. Policies with
    // group conditions need the user's groups (the directory's cache answers within its time).
    const known = request.resend || policiesNeedGroups(this.ports) ? await this.ports.directory.lookup(first.username, first.realm, deadlineOf(base)) : undefined;
    const ctx = contextFor(this.ports, base, { ...first, ...known });
    return request.resend ? resend(this.ports, ctx, transactionId, candidates) : answerChallenge(this.ports, ctx, transactionId, candidates);
  }

  /** privacyIDEA's `serial`: that token alone is checked, for its owner. */
  private async authenticateToken(base: Omit<LoginContext, 'user'>, serial: string): Promise<AuthResult> {
    const owned = await this.ownedToken(base.request.username, serial);
    if (!owned) {
      const none = await this.noToken(base);
      // With a serial alone nobody is named; with a name, that name may still mean nobody.
      return base.request.username === '' ? none : this.withRefusal(base.request, none, await this.candidates(base.request.username), base.request.username, true);
    }
    if (base.request.transactionId !== undefined) return this.answer(base, base.request.transactionId, [owned.user]);
    const known = await this.ports.directory.lookup(owned.user.username, owned.user.realm, deadlineOf(base));
    return checkPassword(this.ports, contextFor(this.ports, base, { ...owned.user, ...known }), [owned.token]);
  }

  /** The token of that serial, provided the login name (when there is one) can mean its owner. */
  private async ownedToken(loginName: string, serial: string): Promise<{ token: Token; user: UserRef } | undefined> {
    const token = await this.ports.store.bySerial(serial);
    if (!token) return undefined;
    const user = { username: token.username, realm: token.realm };
    if (loginName === '') return { token, user };
    const candidates = await this.candidates(loginName);
    return candidates.some((c) => c.username === user.username && c.realm === user.realm) ? { token, user } : undefined;
  }

  private async noToken(base: Omit<LoginContext, 'user'>): Promise<AuthResult> {
    const ctx: LoginContext = { ...base, user: { username: base.request.username, realm: '' } };
    // Same work as for a real user, so response time does not tell who exists.
    await this.ports.pins.verify(ctx.request.password, await this.dummyHash(ctx.settings['pin.kdf_cost']), pinCheckOf(ctx));
    return reject(this.ports, ctx, Messages.noToken, [], 'no token');
  }

  /**
   * Marks a reject `unknown_user` when the login name means nobody. A user exists when one of
   * the users the name can mean (its candidates: the realm it names, else the default realm;
   * without realms the whole name and the user@realm split) owns a token, or is found by the
   * user store of that realm. Without user stores, only token owners exist; a realm that does
   * not exist has nobody in it. The reject itself (message, audit, timing) is left as it is:
   * only a front that may name unknown users asks for the refusal (namesUnknownUsers).
   */
  private async withRefusal(
    request: Pick<AuthRequest, 'namesUnknownUsers'>,
    result: AuthResult,
    candidates: readonly UserRef[],
    loginName: string,
    askTokens: boolean,
  ): Promise<AuthResult> {
    if (result.outcome !== 'reject' || !request.namesUnknownUsers || (await this.exists(candidates, askTokens))) return result;
    const first = candidates[0] ?? { username: loginName, realm: '' };
    const refusal: Refusal = { reason: 'unknown_user', username: first.username, realm: first.realm };
    return { ...result, refusal };
  }

  /** `askTokens` false: the caller already knows that no candidate owns a token. */
  private async exists(candidates: readonly UserRef[], askTokens: boolean): Promise<boolean> {
    if (askTokens) {
      for (const c of candidates) if ((await this.ports.store.byUser(c.username, c.realm)).length > 0) return true;
    }
    return (await firstKnown(this.ports, candidates)) !== undefined;
  }

  private dummyHash(cost: number): Promise<string> {
    let hash = this.dummyHashes.get(cost);
    if (!hash) {
      hash = this.ports.pins.hash(DUMMY_PIN, cost);
      this.dummyHashes.set(cost, hash);
    }
    return hash;
  }
}
