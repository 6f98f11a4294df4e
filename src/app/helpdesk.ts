// The helpdesk's changes to a user's tokens, by user name or by serial, each written to the
// audit trail with the operator who made it (action `admin`): reset (unlock), enable, disable,
// delete, set (phone, PIN, gateway, maxfail), and resend (a new SMS now through the login core's
// trigger path, the same code as /validate/triggerchallenge, so the SMS limits, the gateway
// choice and the login's own audit row are the login's).
//
// By user name: reset, enable and disable act on every token of the user (each is undone by
// another); delete, set and resend need the one token, so a user with several is asked for
// --serial. A name that means several users (alice of realm corp and alice of realm lab) is
// never guessed: the realm must be named.
import type { Authenticator } from '../core/authenticator.js';
import { NotFoundError, SmsOtpError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { redactPhone } from '../core/redact.js';
import { viewToken, type TokenAdmin, type TokenChange, type TokenView } from './token-admin.js';
import { forbidden, realmScope, type ActingAs } from './realm-guard.js';
import { tokensOfName } from './user-view.js';
import { adminAuditEntry } from './audited-changes.js';

/** A helpdesk request that names too much or too little (a usage error: exit status 2). */
export class HelpdeskTargetError extends SmsOtpError {
  override name = 'HelpdeskTargetError';
  readonly code = 'ERR_USAGE';
}

/** The login core sent no SMS (an SMS limit, a locked or disabled token, a gateway that failed): exit status 1. */
export class SmsNotResentError extends SmsOtpError {
  override name = 'SmsNotResentError';
  readonly code = 'ERR_SMS_NOT_SENT';
}

/** Which tokens an action is for: a user's (NAME or NAME@REALM), one serial, or that serial of that user. */
export interface HelpdeskTarget {
  readonly user?: string;
  readonly serial?: string;
}

export type ReversibleAction = 'reset' | 'enable' | 'disable';

/** The client name the CLI's own rows and challenges carry in the audit trail. */
export const CLI_CLIENT = 'cli';

export interface ResendResult {
  readonly serial: string;
  readonly username: string;
  readonly realm: string;
  /** The gateway the SMS went (or was tried) through, and the number, redacted, as the login's audit row has them. */
  readonly gateway: string;
  readonly phone: string;
  /** The login core's reason: `SMS sent`, or a note on it. */
  readonly reason: string;
}

/** An SMS token enrolled by the helpdesk or by its owner in self-service. */
export interface SmsEnrollment {
  readonly username: string;
  readonly realm: string;
  /** International (+49…), or national (0170…) when setting sms.default_country_code is set: the HTTP API's rule. */
  readonly phone: string;
  /** Needed only while otppin is tokenpin. */
  readonly pin?: string;
  readonly gateway?: string;
}

export class Helpdesk {
  /**
   * `operator`: the operating-system account that runs the CLI, named in every audit row.
   * `login`: the login core, which resend sends through.
   */
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenAdmin,
    private readonly operator: string,
    private readonly login: Authenticator,
    private readonly now: () => number = Date.now,
    /** The client name of its audit rows and of the SMS it resends (the web UI's is `webui`). */
    private readonly client: string = CLI_CLIENT,
  ) {}

  /** Reset, enable or disable: every token of the target; one line per token. */
  async change(action: ReversibleAction, target: HelpdeskTarget, as: ActingAs = {}): Promise<string[]> {
    const lines: string[] = [];
    for (const t of await this.targets(target, action, false, as)) {
      let line: string;
      if (action === 'reset') line = `token ${t.serial} reset (failcount was ${await this.tokens.reset(t.serial)})`;
      else {
        await this.tokens.setActive(t.serial, action === 'enable');
        line = `token ${t.serial} ${action}d`;
      }
      await this.audit(t, line, as);
      lines.push(line);
    }
    return lines;
  }

  async delete(target: HelpdeskTarget, as: ActingAs = {}): Promise<string> {
    const [t] = await this.targets(target, 'delete', true, as);
    await this.tokens.delete(t!.serial);
    const line = `token ${t!.serial} deleted`;
    await this.audit(t!, line, as);
    return line;
  }

  async set(target: HelpdeskTarget, change: TokenChange, as: ActingAs = {}): Promise<string> {
    const [t] = await this.targets(target, 'set', true, as);
    const changed = await this.tokens.set(t!.serial, change);
    const line = `token ${t!.serial} updated (${changed.join(', ')})`;
    await this.audit(t!, line, as);
    return line;
  }

  /** A new SMS now, as /validate/triggerchallenge sends it: resolves with where it went, or rejects (SmsNotResentError) saying why not. */
  async resend(target: HelpdeskTarget, as: ActingAs = {}): Promise<ResendResult> {
    const [t] = await this.targets(target, 'resend', true, as);
    const token = t!;
    const operator = this.operatorOf(as);
    const before = await this.store.audit.lastId();
    const result = await this.login.triggerChallenge({
      username: '',
      serial: token.serial,
      client: { name: this.client, address: '', caller: `${this.client}:${operator}` },
      nas: { identifier: `${this.client}:${operator}` },
    });
    // The login wrote its own row (challenge or reject) with the gateway, the redacted number and why.
    const rows = await this.store.audit.after(before, 100);
    const row = rows.find((r) => r.serials.includes(token.serial) && (r.action === 'challenge' || r.action === 'reject'));
    const sent = result.outcome === 'challenge';
    const reason = row?.reason ?? result.message;
    const outcome: ResendResult = { serial: token.serial, username: token.username, realm: token.realm, gateway: row?.gateway ?? '', phone: row?.phone ?? '', reason };
    await this.audit(token, sent ? `SMS resent for token ${token.serial} through ${outcome.gateway} to ${outcome.phone}` : `SMS for token ${token.serial} not resent: ${reason}`, as, outcome);
    if (!sent) throw new SmsNotResentError(`token ${token.serial}: ${reason}`);
    return outcome;
  }

  /**
   * The full number of one token (the helpdesk reads it to a caller), audited: the views show
   * it redacted. '' for a token whose number is the user store's (dynamic phone).
   */
  async revealPhone(target: HelpdeskTarget, as: ActingAs = {}): Promise<{ serial: string; phone: string }> {
    const [t] = await this.targets(target, 'reveal the phone of', true, as);
    const { phone } = await this.tokens.get(t!.serial);
    await this.audit(t!, `phone of token ${t!.serial} revealed`, as);
    return { serial: t!.serial, phone };
  }

  /** A new SMS token for a user of a realm the operator may see, audited with the number redacted. */
  async enrollSms(request: SmsEnrollment, as: ActingAs = {}): Promise<TokenView> {
    if (!(await realmScope(this.store, as.allowedRealms)).allows(request.realm)) throw forbidden(`realm ${request.realm}`);
    const token = await this.tokens.enroll({
      username: request.username,
      realm: request.realm,
      phone: request.phone,
      internationalPhone: true,
      ...(request.pin !== undefined ? { pin: request.pin } : {}),
      ...(request.gateway !== undefined ? { gateway: request.gateway } : {}),
    });
    const view = viewToken(token, this.now(), 0);
    await this.audit(view, `SMS token ${token.serial} enrolled for ${redactPhone(token.phone)}`, as);
    return view;
  }

  private operatorOf(as: ActingAs): string {
    return as.operator ?? this.operator;
  }

  /**
   * The tokens an action applies to, of the realms `as` may see. `one`: the action needs
   * exactly one token (delete, set, resend), so a user with several must name it with --serial.
   */
  private async targets(target: HelpdeskTarget, action: string, one: boolean, as: ActingAs): Promise<TokenView[]> {
    const scope = await realmScope(this.store, as.allowedRealms);
    const restricted = scope.stored !== 'all';
    if (target.user === undefined) {
      if (target.serial === undefined) throw new HelpdeskTargetError(`token ${action}: give --user NAME[@REALM] or a serial`);
      if (!restricted) return [await this.tokens.show(target.serial)];
      // An unknown serial and another realm's answer alike.
      const token = await this.tokens.list({ serial: target.serial });
      if (token.length === 0 || !scope.allows(token[0]!.realm)) throw forbidden(`token ${target.serial}`);
      return token;
    }
    const owners = [...(await tokensOfName(this.tokens, target.user)).values()].filter((o) => scope.allows(o.user.realm));
    if (owners.length === 0 && restricted) throw forbidden(`user ${target.user}`);
    if (owners.length === 0) throw new NotFoundError(`user ${target.user} has no token (see 'user show ${target.user}')`);
    if (target.serial !== undefined) {
      const token = owners.flatMap((o) => o.tokens).find((t) => t.serial === target.serial);
      if (!token) throw new NotFoundError(`user ${target.user} has no token ${target.serial} (see 'user show ${target.user}')`);
      return [token];
    }
    if (owners.length > 1) {
      const names = owners.map((o) => (o.user.realm ? `${o.user.username}@${o.user.realm}` : o.user.username));
      throw new HelpdeskTargetError(`--user ${target.user} means ${owners.length} users (${names.join(', ')}): name one of them`);
    }
    const { tokens } = owners[0]!;
    if (one && tokens.length > 1) {
      throw new HelpdeskTargetError(
        `user ${target.user} has ${tokens.length} tokens (${tokens.map((t) => t.serial).join(', ')}): add --serial SERIAL to ${action} one`,
      );
    }
    return tokens;
  }

  /** The admin row: the token's user (so `audit list --user` and `user show` list it), the operator in the reason. */
  private async audit(t: Pick<TokenView, 'username' | 'realm' | 'serial'>, what: string, as: ActingAs, sms?: Pick<ResendResult, 'gateway' | 'phone'>): Promise<void> {
    const entry = adminAuditEntry({ operator: this.operatorOf(as), client: this.client, address: '' }, what, this.now(), t);
    await this.store.audit.append(sms ? { ...entry, gateway: sms.gateway, phone: sms.phone } : entry);
  }
}
