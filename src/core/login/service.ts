// The login core: one entry point for every front. It finds who the login name means,
// then hands the request to the step that owns it (first factor, challenge answer, resend).
import { answerChallenge, resend } from './answer.js';
import type { LoginContext, LoginPorts } from './context.js';
import { checkPassword } from './first-factor.js';
import { startEnrollment } from './enroll-by-challenge.js';
import { passWithoutToken } from './no-token.js';
import type { AuthRequest, AuthResult } from './request.js';
import type { LoginStep } from '../ports.js';
import { Messages } from '../messages.js';
import { hasControlCharacter, normaliseRealm, printableName } from '../names.js';
import { deadlineOf, reject } from './verdict.js';

const DUMMY_PIN = 'no such user';

export class LoginService {
  private readonly dummyHashes = new Map<number, Promise<string>>();
  /** Deferred work (LoginContext.defer) still running. */
  private readonly deferred = new Set<Promise<void>>();

  constructor(private readonly ports: LoginPorts) {}

  /** Resolves when the work deferred by the logins so far has ended (for a clean stop). */
  async idle(): Promise<void> {
    while (this.deferred.size > 0) await Promise.all([...this.deferred]);
  }

  private readonly defer = (work: () => Promise<void>): void => {
    const running = (async () => {
      // After the verdict's reply: the caller has what it waits for already.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await work();
    })()
      .catch((err: unknown) => this.ports.events.emit({ type: 'deferred_failed', reason: (err as Error).message }))
      .finally(() => this.deferred.delete(running));
    this.deferred.add(running);
  };

  /** Answers one request and tells the events port which round it was, how it ended and how long it took. */
  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const { clock, events } = this.ports;
    const step: LoginStep = request.transactionId === undefined ? 'first_factor' : request.resend ? 'resend' : 'challenge_answer';
    const started = clock.now();
    try {
      const result = await this.answer(request, started);
      events.emit({ type: 'login', step, outcome: result.outcome, durationMs: clock.now() - started });
      return result;
    } catch (err) {
      events.emit({ type: 'login', step, outcome: 'error', durationMs: clock.now() - started });
      throw err;
    }
  }

  private async answer(request: AuthRequest, now: number): Promise<AuthResult> {
    const { settings, directory, recentFailures } = this.ports;
    const base = {
      request,
      settings: settings.current(),
      now,
      priority: recentFailures.isSuspect(request.username, now) ? 'suspect' : 'normal',
      defer: this.defer,
    } satisfies Omit<LoginContext, 'user'>;
    if (hasControlCharacter(request.username)) {
      // No such user can exist (enrollment refuses the name) and the store could not even hold it.
      const ctx: LoginContext = { ...base, user: { username: printableName(request.username), realm: '' } };
      return reject(this.ports, ctx, Messages.invalidUserName, [], 'user name with control characters');
    }
    const candidates = (await directory.candidates(request.username)).map((c) => ({ ...c, realm: normaliseRealm(c.realm) }));
    if (request.transactionId !== undefined) {
      // The challenge names its user; the login name only has to be able to mean that user.
      const first = candidates[0] ?? { username: request.username, realm: '' };
      // A resend sends an SMS again: with the names the directory has for its text.
      const known = request.resend ? await directory.lookup(first.username, first.realm) : undefined;
      const ctx: LoginContext = { ...base, user: { ...first, ...known } };
      return request.resend
        ? resend(this.ports, ctx, request.transactionId, candidates)
        : answerChallenge(this.ports, ctx, request.transactionId, candidates);
    }
    // `alice@example.com` is user alice in realm example.com when such tokens exist, else the whole name.
    for (const candidate of candidates) {
      const tokens = await this.ports.store.byUser(candidate.username, candidate.realm);
      if (tokens.length === 0) continue;
      const known = await directory.lookup(candidate.username, candidate.realm);
      return checkPassword(this.ports, { ...base, user: { ...candidate, ...known } }, tokens);
    }
    const enrolling = await startEnrollment(this.ports, base, candidates);
    if (enrolling) return enrolling;
    const passed = await passWithoutToken(this.ports, base, candidates);
    if (passed) return passed;
    const ctx: LoginContext = { ...base, user: { username: request.username, realm: '' } };
    // Same work as for a real user, so response time does not tell who exists.
    await this.ports.pins.verify(request.password, await this.dummyHash(ctx.settings['pin.kdf_cost']), { priority: ctx.priority, ...deadlineOf(ctx) });
    return reject(this.ports, ctx, Messages.noToken, [], 'no token');
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
