// Local web accounts, for sites without a directory (or for when it is down): `webadmin create
// NAME --phone P`. A local web account IS an SMS token of user NAME in realm LOCAL_WEB_REALM,
// its PIN the account's password: the web sign-in runs through the login core as any login
// does (fail counter, lock, SMS limits, audit), with nothing of its own to keep in step. Two
// policies make it so, saved with it:
//  - `webadmin-tokenpin` (authentication, realm webadmin, otppin=tokenpin, passthru=false,
//    priority 0): the first factor is that password, whatever the site's otppin says;
//  - `webadmin-NAME` (admin, user NAME, realm webadmin): the account's web UI role.
// Every change is written to the audit trail (action `admin`) with the operator's name.
import { NotFoundError, RefusedError } from '../core/errors.js';
import type { AuditEntry } from '../core/model.js';
import { realmsOfAdminrealm, type WebRole } from '../core/policies/actions.js';
import { validatePolicy, type Policy } from '../core/policies/policy.js';
import { redactPhone } from '../core/redact.js';
import type { Store } from '../store/index.js';
// An invalid value is the token layer's error (a usage error, exit status 2): the account is a token.
import { TokenAdminError, viewToken, type TokenAdmin } from './token-admin.js';

/** The realm of every local web account: in no directory, its users are their tokens. */
export const LOCAL_WEB_REALM = 'webadmin';

const TOKENPIN_POLICY = 'webadmin-tokenpin';
const rolePolicyName = (name: string) => `webadmin-${name}`;

/** The account name becomes a policy name (`webadmin-NAME`, at most 64 characters). */
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,54}$/;
/** A password shorter than this is refused: it is the first factor of an administrator's sign-in. */
const MIN_PASSWORD_LENGTH = 8;

/** Who makes a change, for the audit trail: the operator's name and the front they used (`cli`, `web`). */
export interface WebAccountActor {
  readonly operator: string;
  readonly client: string;
  readonly address?: string;
}

export interface WebAccountRequest {
  readonly name: string;
  /** The number the sign-in's SMS code goes to (international, +E.164). */
  readonly phone: string;
  /** The sign-in's first factor, kept as the token PIN's hash only. */
  readonly password: string;
  /** Default admin. */
  readonly role?: WebRole;
  /** A helpdesk's realms (adminrealm); none: all realms. Refused for an admin, who sees all. */
  readonly realms?: readonly string[];
}

export interface WebAccount {
  readonly name: string;
  readonly serial: string;
  /** The number, redacted as the audit shows it. */
  readonly phone: string;
  /** The role its policy gives ('' when the policy is gone: the account signs in to self-service only). */
  readonly role: WebRole | '';
  /** The realms of a helpdesk ('all' without adminrealm). */
  readonly realms: readonly string[] | 'all';
  readonly active: boolean;
  readonly locked: boolean;
}

export class WebAccounts {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenAdmin,
    private readonly now: () => number = Date.now,
  ) {}

  /** Enrolls the account's token and saves its policies; refuses a name that has an account already. */
  async create(req: WebAccountRequest, actor: WebAccountActor): Promise<WebAccount> {
    checkAccountName(req.name);
    if (req.password.length < MIN_PASSWORD_LENGTH) {
      throw new TokenAdminError(`the password takes at least ${MIN_PASSWORD_LENGTH} characters: it is the first factor of the web sign-in`);
    }
    const role = req.role ?? 'admin';
    const realms = req.realms ?? [];
    if (role === 'admin' && realms.length > 0) throw new TokenAdminError('--realm restricts a helpdesk; an admin sees every realm (give --role helpdesk)');
    // Validated before anything is saved, so that a bad value leaves nothing half made.
    const rolePolicy = validatePolicy({
      name: rolePolicyName(req.name),
      scope: 'admin',
      actions: [['role', role], ...(realms.length > 0 ? [['adminrealm', realms.join(',')] as const] : [])],
      conditions: { user: [req.name], realm: [LOCAL_WEB_REALM] },
    });
    if ((await this.tokensOf(req.name)).length > 0) throw new RefusedError(`web account ${req.name} exists already; delete it first (webadmin delete ${req.name})`);
    await this.ensureTokenPinPolicy();
    const token = await this.tokens.enroll({ username: req.name, realm: LOCAL_WEB_REALM, phone: req.phone, pin: req.password, internationalPhone: true, verify: false });
    try {
      await this.store.policies.set(rolePolicy);
    } catch (err) {
      // A role that cannot be saved (a conflicting policy): no account without its role.
      await this.tokens.delete(token.serial).catch(() => undefined);
      throw err;
    }
    await this.audit(req.name, [token.serial], `web account ${req.name} created: role ${role}${realms.length > 0 ? ` for realms ${rolePolicy.actions[1]!.value}` : ''}, phone ${redactPhone(token.phone)}`, actor);
    return (await this.list()).find((a) => a.name === req.name)!;
  }

  /** Every local web account, by name. */
  async list(): Promise<WebAccount[]> {
    const tokens = await this.tokens.list({ realm: LOCAL_WEB_REALM });
    const policies = new Map((await this.store.policies.list()).map((p) => [p.name, p]));
    return tokens.map((t) => {
      const policy = policies.get(rolePolicyName(t.username));
      const { role, realms } = roleOf(policy);
      return { name: t.username, serial: t.serial, phone: t.phone === '' ? '' : redactPhone(t.phone), role, realms, active: t.active, locked: t.locked };
    });
  }

  /** Removes the account's token(s) and its role policy; the shared webadmin-tokenpin policy stays. */
  async delete(name: string, actor: WebAccountActor): Promise<void> {
    checkAccountName(name);
    const tokens = await this.tokensOf(name);
    const hadPolicy = (await this.store.policies.get(rolePolicyName(name))) !== undefined;
    if (tokens.length === 0 && !hadPolicy) throw new NotFoundError(`no web account ${name} (see 'webadmin list')`);
    for (const t of tokens) await this.tokens.delete(t.serial);
    if (hadPolicy) await this.store.policies.delete(rolePolicyName(name));
    await this.audit(name, tokens.map((t) => t.serial), `web account ${name} deleted`, actor);
  }

  private async tokensOf(name: string) {
    return (await this.store.tokens.list({ username: name, realm: LOCAL_WEB_REALM })).map((t) => viewToken(t, this.now(), 0));
  }

  /** Saved once; an operator's later change to it (a priority, say) is kept. */
  private async ensureTokenPinPolicy(): Promise<void> {
    if (await this.store.policies.get(TOKENPIN_POLICY)) return;
    const policy: Policy = validatePolicy({
      name: TOKENPIN_POLICY,
      scope: 'authentication',
      actions: [['otppin', 'tokenpin'], ['passthru', 'false']],
      conditions: { realm: [LOCAL_WEB_REALM] },
      priority: 0,
    });
    await this.store.policies.set(policy);
  }

  private async audit(name: string, serials: readonly string[], what: string, actor: WebAccountActor): Promise<void> {
    const entry: AuditEntry = {
      at: this.now(),
      action: 'admin',
      username: name,
      realm: LOCAL_WEB_REALM,
      client: actor.client,
      clientAddress: actor.address ?? '',
      serials,
      reason: `${what} (by ${actor.operator || 'unknown operator'})`,
      gateway: '',
      phone: '',
      nas: { callingStationId: '', ipAddress: '', identifier: '' },
    };
    await this.store.audit.append(entry);
  }
}

function checkAccountName(name: string): void {
  if (!ACCOUNT_NAME.test(name)) {
    throw new TokenAdminError(`web account name '${name}': 1 to 55 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
}

function roleOf(policy: Policy | undefined): { role: WebRole | ''; realms: readonly string[] | 'all' } {
  const role = policy?.active ? (policy.actions.find((a) => a.key === 'role')?.value as WebRole | undefined) : undefined;
  const adminrealm = policy?.actions.find((a) => a.key === 'adminrealm')?.value;
  return { role: role ?? '', realms: adminrealm === undefined ? 'all' : realmsOfAdminrealm(adminrealm) };
}
