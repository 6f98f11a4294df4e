// `token enroll --userstore ID [--filter F]`: a token with a dynamic phone for every user of a
// user store who has none yet, so that a directory of thousands is rolled out in one command
// and a later run adds only the people who joined since. The tokens take the directory's
// mobile number at every send, so nothing here needs a number.
//
// No PINs: a bulk enrollment has nobody to hand thousands of PINs to, so it is refused while
// otppin is tokenpin (the token PIN is the first factor); with otppin userstore the directory
// password is the first factor, with none the OTP alone is.
import { normaliseRealm } from '../core/names.js';
import { NO_PIN_HASH, pinRequired } from '../core/token-pin.js';
import { newSerial } from '../core/random.js';
import { parseSearchFilter } from '../directory/ldap-users.js';
import { LdapUserStore } from '../directory/ldap-userstore.js';
import { NotFoundError, RefusedError, SmsOtpError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { adminAuditEntry, type ChangeActor } from './audited-changes.js';
import type { NewToken } from '../store/tokens.js';
import { checkUser, phoneOfEnrollment, randomOtpKey, recipientKindOf } from './token-admin.js';
import { counted } from '../core/counted.js';

export interface DirectoryEnrollRequest {
  readonly userstore: string;
  /** An LDAP filter ANDed with the user store's own. */
  readonly filter?: string;
  /** The realm the tokens belong to; needed when several realms use the user store. */
  readonly realm?: string;
  readonly gateway?: string;
  readonly verify?: boolean;
}

export interface DirectoryEnrollReport {
  readonly enrolled: number;
  /** Users of the selection who had a token in that realm already. */
  readonly already: number;
  /** Login names no token can be enrolled under (control characters, too long). */
  readonly skipped: readonly string[];
}

export class DirectoryEnrollment {
  constructor(private readonly store: Store) {}

  /** One audit row (action admin) names the user store, the count and `actor`, when any token was enrolled. */
  async enroll(request: DirectoryEnrollRequest, actor: ChangeActor): Promise<DirectoryEnrollReport> {
    const settings = await this.store.settings.values();
    if (pinRequired(settings)) {
      throw new RefusedError(
        `token enroll --userstore: setting otppin is tokenpin, and a bulk enrollment has no PIN to give each user; ` +
          `set otppin to userstore (the directory password is the first factor) or none, or enroll with --pin one by one, or import a CSV with a pin column`,
      );
    }
    const definition = await this.store.userstores.get(request.userstore);
    if (!definition) throw new NotFoundError(`no user store '${request.userstore}' (see 'userstore list')`);
    const realm = await this.realmOf(request.userstore, request.realm);
    const extra = request.filter === undefined ? undefined : parseSearchFilter(request.filter, '--filter', '(memberOf=CN=VPN,OU=Groups,DC=example,DC=com)');
    const gatewayId = request.gateway ?? settings['sms.identifier'];
    const gateway = gatewayId === null ? undefined : await this.store.gateways.get(gatewayId);
    if (request.gateway !== undefined && !gateway) throw new NotFoundError(`no gateway '${request.gateway}'; define it first with 'gateway set ${request.gateway} --module ...'`);
    phoneOfEnrollment(undefined, true, recipientKindOf(gateway));

    const userstore = new LdapUserStore(definition, { cacheMs: () => 0 });
    let logins: string[];
    try {
      logins = [...new Set(await userstore.listLogins(extra))];
    } finally {
      await userstore.close();
    }
    const skipped: string[] = [];
    const valid = logins.filter((login) => {
      try {
        checkUser(login);
        return true;
      } catch (err) {
        if (!(err instanceof SmsOtpError)) throw err;
        skipped.push(login);
        return false;
      }
    });
    const owners = new Set((await this.store.tokens.ownersAmong(valid)).filter((o) => o.realm === realm).map((o) => o.username));
    const newcomers = valid.filter((login) => !owners.has(login));
    const serials = await this.serials(newcomers.length);
    const tokens: NewToken[] = newcomers.map((username, i) => ({
      serial: serials[i]!,
      username,
      realm,
      phone: '',
      dynamicPhone: true,
      gateway: request.gateway ?? null,
      otpKey: randomOtpKey('sha1'),
      hashlib: 'sha1',
      otplen: 6,
      countWindow: settings['token.default_count_window'],
      maxfail: settings['token.default_maxfail'],
      pinHash: NO_PIN_HASH,
      verified: !(request.verify ?? settings.verify_enrollment),
    }));
    await this.store.tokens.insertMany(tokens);
    if (tokens.length > 0) {
      const what = `${counted(tokens.length, 'SMS token')} enrolled for the users of user store ${request.userstore}`;
      await this.store.audit.append(adminAuditEntry(actor, what, Date.now()));
    }
    return { enrolled: tokens.length, already: valid.length - newcomers.length, skipped };
  }

  /** The realm whose users these are: the one given (it must use the user store), else the only one that does. */
  private async realmOf(userstore: string, given: string | undefined): Promise<string> {
    const realms = (await this.store.realms.list()).filter((r) => r.userstore === userstore);
    if (given !== undefined) {
      const name = normaliseRealm(given);
      if (!realms.some((r) => r.name === name)) {
        throw new RefusedError(`--realm ${given} does not use user store ${userstore}; see 'realm list' (realm set ${given} --userstore ${userstore} makes it so)`);
      }
      return name;
    }
    if (realms.length === 1) return realms[0]!.name;
    if (realms.length === 0) {
      throw new RefusedError(`no realm uses user store ${userstore}, and its users log in through a realm: first 'realm set REALM --userstore ${userstore}'`);
    }
    throw new RefusedError(`realms ${realms.map((r) => r.name).join(', ')} use user store ${userstore}: name one with --realm`);
  }

  /** `count` new serials, none taken in the store. */
  private async serials(count: number): Promise<string[]> {
    const chosen = new Set<string>();
    while (chosen.size < count) {
      const batch = Array.from({ length: count - chosen.size }, () => newSerial()).filter((s) => !chosen.has(s));
      const taken = await this.store.tokens.takenSerials(batch);
      for (const s of batch) if (!taken.has(s)) chosen.add(s);
    }
    return [...chosen];
  }
}
