// Policies (src/core/policies): the application layer that `policy set|list|show|delete|explain`
// and the HTTP admin API's /policy/ use. A policy is validated by the core (reply attributes
// against the RADIUS dictionaries through the checker the composition root gives), refused
// when it conflicts with another, and saved with a revision move: every daemon applies it
// within a second. `explain` answers as a login would: the user looked up in the directory
// (groups included), the policies of the store compiled, and per action the value that applies.
import { isIP } from 'node:net';
import { NotFoundError } from '../core/errors.js';
import { settingOf, type ActionKey, type ReplyAttributeCheck } from '../core/policies/actions.js';
import { CompiledPolicies, type PolicySubject } from '../core/policies/compiled.js';
import { actionsOfScope, validatePolicy, type Policy, type PolicyInput } from '../core/policies/policy.js';
import type { UserDirectory } from '../core/ports.js';
import { normaliseRealm } from '../core/names.js';
import type { Store } from '../store/index.js';

/** A directory opened for one question and closed after it. */
export type DirectoryOpener = () => Promise<UserDirectory & { close(): Promise<void> }>;

export interface PolicyAdminOptions {
  readonly checkReplyAttribute: ReplyAttributeCheck;
  readonly openDirectory: DirectoryOpener;
  /** The RADIUS client names of this node's configuration (and the HTTP front's `http`), to warn of a typo. */
  readonly clientNames: readonly string[];
}

/** One line of `policy explain`: an action's value and where it comes from. */
export interface ExplainedAction {
  readonly action: string;
  readonly value: string;
  /** The policy's name, or 'site setting' (authentication) / 'none' (authorization and admin, nothing set: the default applies). */
  readonly from: string;
}

export interface Explanation {
  readonly username: string;
  readonly realm: string;
  readonly client: { readonly name: string; readonly address: string };
  /** Whether the directory (or a token) knows the user; policies are shown either way. */
  readonly found: boolean;
  /** The groups the directory gave (absent: its user store reads none). */
  readonly groups?: readonly string[];
  readonly authentication: readonly ExplainedAction[];
  readonly authorization: readonly ExplainedAction[];
  /** The web UI: role (none: self-service only), adminrealm (none: all realms), selfservice_enroll (none: false). */
  readonly admin: readonly ExplainedAction[];
}

export interface ExplainRequest {
  readonly username: string;
  readonly realm?: string;
  /** A RADIUS client's name, or its address. */
  readonly client?: string;
}

export class PolicyAdmin {
  constructor(
    private readonly store: Store,
    private readonly options: PolicyAdminOptions,
  ) {}

  list(): Promise<Policy[]> {
    return this.store.policies.list();
  }

  async get(name: string): Promise<Policy> {
    const policy = await this.store.policies.get(name);
    if (!policy) throw new NotFoundError(`no policy '${name}' (see 'policy list')`);
    return policy;
  }

  /**
   * Creates or replaces a policy; returns it as stored, whether it is new, and warnings: a
   * client name this node's configuration does not have (saved all the same: another node's
   * configuration may have it, but a typo would never match).
   */
  async set(input: PolicyInput): Promise<{ readonly policy: Policy; readonly created: boolean; readonly warnings: readonly string[] }> {
    const policy = validatePolicy(input, this.options.checkReplyAttribute);
    const { created } = await this.store.policies.set(policy);
    const unknown = (policy.conditions.client ?? []).filter((c) => isIP(c.split('/')[0]!) === 0 && !this.options.clientNames.includes(c));
    const warnings = unknown.map((c) => `policy ${policy.name}: no RADIUS client '${c}' in this node's configuration (radius.clients names: ${this.options.clientNames.join(', ')}); the condition matches only a client of that name`);
    return { policy, created, warnings };
  }

  async delete(name: string): Promise<void> {
    if (!(await this.store.policies.delete(name))) throw new NotFoundError(`no policy '${name}' (see 'policy list')`);
  }

  async explain(request: ExplainRequest): Promise<Explanation> {
    const directory = await this.options.openDirectory();
    try {
      const ref = request.realm !== undefined
        ? { username: request.username, realm: normaliseRealm(request.realm) }
        : ((await directory.candidates(request.username))[0] ?? { username: request.username, realm: '' });
      const known = await directory.lookup(ref.username, ref.realm);
      const tokens = known ? [] : await this.store.tokens.list({ username: ref.username, realm: ref.realm });
      const client = clientOf(request.client);
      const subject: PolicySubject = {
        username: known?.username ?? ref.username,
        realm: ref.realm,
        clientName: client.name,
        clientAddress: client.address,
        ...(known?.groups ? { groups: known.groups } : {}),
      };
      const compiled = CompiledPolicies.compile(await this.store.policies.list());
      const settings = await this.store.settings.values();
      const authn = compiled.evaluate('authentication', subject);
      const authz = compiled.evaluate('authorization', subject);
      const adm = compiled.evaluate('admin', subject);
      const explained = (key: ActionKey, siteValue: () => string): ExplainedAction => {
        const won = authn.actions.get(key);
        return won ? { action: key, value: won.value, from: won.policy } : { action: key, value: siteValue(), from: 'site setting' };
      };
      const authentication = actionsOfScope('authentication').map((key) => explained(key, () => String(settings[settingOf(key)!] ?? '')));
      const deny = authz.actions.get('deny');
      const authorization: ExplainedAction[] = [
        deny ? { action: 'deny', value: deny.value, from: deny.policy } : { action: 'deny', value: '', from: 'none' },
        ...authz.replyAttributes.map((a) => ({ action: 'reply_attribute', value: a.value, from: a.policy })),
      ];
      const admin = actionsOfScope('admin').map((key): ExplainedAction => {
        const won = adm.actions.get(key);
        return won ? { action: key, value: won.value, from: won.policy } : { action: key, value: ADMIN_DEFAULTS[key] ?? '', from: 'none' };
      });
      return {
        username: subject.username,
        realm: subject.realm,
        client,
        found: known !== undefined || tokens.length > 0,
        ...(known?.groups ? { groups: known.groups } : {}),
        authentication,
        authorization,
        admin,
      };
    } finally {
      await directory.close();
    }
  }
}

/** What applies to an admin action no policy sets, as `explain` shows it. */
const ADMIN_DEFAULTS: Partial<Record<ActionKey, string>> = { role: 'user', adminrealm: 'all', selfservice_enroll: 'false' };

/** `--client` names a RADIUS client or gives an address (then the name is unknown, as for the HTTP front's callers). */
function clientOf(client: string | undefined): { name: string; address: string } {
  if (client === undefined) return { name: '', address: '' };
  return isIP(client) ? { name: '', address: client } : { name: client, address: '' };
}
