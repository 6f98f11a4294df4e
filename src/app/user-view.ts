// Everything the helpdesk needs about one user, by the name people use (`alice`, `alice@corp`):
// the user's tokens, what the directory says, the last logins with their reasons, the recent
// audit trail and the challenges still open. Shared by `user show` and the helpdesk actions
// (src/app/helpdesk.ts), which find the user's tokens the same way.
import { NotFoundError } from '../core/errors.js';
import type { DirectoryUser, UserDirectory, UserRef } from '../core/ports.js';
import { redactPhone } from '../core/redact.js';
import type { Store } from '../store/index.js';
import { auditUsers, auditView, type AuditView } from './audit.js';
import { forbidden, realmScope, type AllowedRealms } from './realm-guard.js';
import type { TokenAdmin, TokenView } from './token-admin.js';

/** Rows of "last logins" and of "recent audit" that `user show` prints, from the newest READ rows. */
const LAST_LOGINS = 5;
const RECENT_AUDIT = 10;
const READ = 50;
const LOGIN_ACTIONS = new Set(['accept', 'reject', 'challenge']);

export interface DirectoryView {
  /** The user store that serves the realm; null when none does (then nothing else is known). */
  readonly userstore: string | null;
  /** Whether the user store knows the user (null without a user store). */
  readonly found: boolean | null;
  readonly dn?: string;
  readonly givenname?: string;
  readonly surname?: string;
  readonly email?: string;
  /** The user store's mobile number, redacted. */
  readonly mobile?: string;
  /** The user store could not be asked (down, refused): why. */
  readonly error?: string;
}

export interface OpenChallengesView {
  readonly count: number;
  /** Seconds since the oldest open challenge was issued (null when none is open). */
  readonly oldestAgeSeconds: number | null;
  /** Seconds until the newest one expires (null when none is open). */
  readonly expiresInSeconds: number | null;
}

export interface UserView {
  readonly username: string;
  readonly realm: string;
  /** The phone redacted as in the audit trail. */
  readonly tokens: readonly TokenView[];
  readonly directory: DirectoryView;
  /** The newest login decisions (accept, reject, challenge), oldest first, with the audit's reason. */
  readonly lastLogins: readonly AuditView[];
  /** The newest audit rows of any kind (admin changes, SMS sent late...), oldest first. */
  readonly recentAudit: readonly AuditView[];
  readonly openChallenges: OpenChallengesView;
}

/** The users a typed name means that own tokens, with their tokens (`alice` in any realm; `alice@corp`). */
export async function tokensOfName(tokens: TokenAdmin, typed: string): Promise<Map<string, { user: UserRef; tokens: TokenView[] }>> {
  const users = new Map<string, { user: UserRef; tokens: TokenView[] }>();
  for (const wanted of auditUsers(typed)) {
    const found = await tokens.list(wanted.realm === undefined ? { username: wanted.username } : { username: wanted.username, realm: wanted.realm });
    for (const t of found) {
      const key = `${t.username}@${t.realm}`;
      const entry = users.get(key) ?? { user: { username: t.username, realm: t.realm }, tokens: [] };
      entry.tokens.push(t);
      users.set(key, entry);
    }
  }
  return users;
}

/** What `user show` prints: one view per user the name means. */
export class UserViews {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenAdmin,
    private readonly directory: UserDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One view per user the name means: every user of that name who owns a token (`alice` in
   * each realm), else the user as typed when the directory or the audit trail knows them.
   * `allowedRealms`: only users of these realms are shown; for any other, known or not, the
   * same ForbiddenRealmError.
   */
  async show(typed: string, allowedRealms: AllowedRealms = 'all'): Promise<UserView[]> {
    const scope = await realmScope(this.store, allowedRealms);
    const owners = [...(await tokensOfName(this.tokens, typed)).values()].filter((o) => scope.allows(o.user.realm));
    if (owners.length > 0) return Promise.all(owners.map((o) => this.view(o.user, o.tokens)));
    const first = auditUsers(typed)[0]!;
    const user = { username: first.username, realm: first.realm ?? '' };
    if (!scope.allows(user.realm)) throw forbidden(`user ${typed}`);
    const view = await this.view(user, []);
    if (view.directory.found !== true && view.recentAudit.length === 0) {
      if (scope.stored !== 'all') throw forbidden(`user ${typed}`);
      throw new NotFoundError(`no user ${typed}: no token, no audit row, and no user store knows the name (see 'token list' and 'audit list --user ${typed}')`);
    }
    return [view];
  }

  /** The view of exactly this user (the web UI's "my account" and a helpdesk's user page). */
  async of(user: UserRef): Promise<UserView> {
    return this.view(user, await this.tokens.list({ username: user.username, realm: user.realm }));
  }

  private async view(user: UserRef, tokens: TokenView[]): Promise<UserView> {
    const now = this.now();
    const filter = { users: [user] };
    const [rows, open, directory] = await Promise.all([
      this.store.audit.newest(filter, READ),
      this.store.tokens.openChallenges(tokens.map((t) => t.serial), now),
      this.directoryView(user),
    ]);
    const oldest = open[0];
    const newest = open[open.length - 1];
    return {
      username: user.username,
      realm: user.realm,
      tokens: tokens.map((t) => ({ ...t, phone: t.phone === '' ? '' : redactPhone(t.phone) })),
      directory,
      lastLogins: rows.filter((r) => LOGIN_ACTIONS.has(r.action)).slice(0, LAST_LOGINS).reverse().map(auditView),
      recentAudit: rows.slice(0, RECENT_AUDIT).reverse().map(auditView),
      openChallenges: {
        count: open.length,
        oldestAgeSeconds: oldest ? Math.round((now - oldest.createdAt) / 1000) : null,
        expiresInSeconds: newest ? Math.round((newest.expiresAt - now) / 1000) : null,
      },
    };
  }

  private async directoryView(user: UserRef): Promise<DirectoryView> {
    const realms = await this.store.realms.list();
    const realm = user.realm === '' ? realms.find((r) => r.isDefault) : realms.find((r) => r.name === user.realm);
    if (!realm) return { userstore: null, found: null };
    let person: DirectoryUser | undefined;
    try {
      person = await this.directory.lookup(user.username, realm.name);
    } catch (err) {
      return { userstore: realm.userstore, found: null, error: (err as Error).message };
    }
    if (!person) return { userstore: realm.userstore, found: false };
    return {
      userstore: realm.userstore,
      found: true,
      ...(person.dn !== undefined ? { dn: person.dn } : {}),
      ...(person.givenname !== undefined ? { givenname: person.givenname } : {}),
      ...(person.surname !== undefined ? { surname: person.surname } : {}),
      ...(person.email !== undefined ? { email: person.email } : {}),
      ...(person.mobile !== undefined ? { mobile: redactPhone(person.mobile) } : {}),
    };
  }
}
