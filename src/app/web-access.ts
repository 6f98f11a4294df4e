// What someone signed in to the web UI may do, decided by the admin-scope policies
// (src/core/policies): their role (admin, helpdesk, or self-service only), the realms a helpdesk
// sees, and whether self-service may enroll a token. The directory is asked once, for the
// person's groups (a policy may name a group); a directory that is down or slow never throws
// here and never grants anything: the person gets self-service only, and the caller learns why
// (directoryError) to log or show it. Local web accounts (realm LOCAL_WEB_REALM) are in no
// directory: their policies are read without asking it, so they still sign in when it is down.
import { realmsOfAdminrealm } from '../core/policies/actions.js';
import type { CompiledPolicies } from '../core/policies/compiled.js';
import type { UserDirectory } from '../core/ports.js';
import { normaliseRealm } from '../core/names.js';
import { LOCAL_WEB_REALM } from './web-accounts.js';

export type WebAccessRole = 'admin' | 'helpdesk' | 'user';

/** The web UI's grant for one signed-in person, decided at sign-in. */
export interface WebAccessGrant {
  readonly role: WebAccessRole;
  /** The realms whose users the person may see and act on: all (admin, helpdesk without adminrealm), a list (helpdesk), none (user: self only). */
  readonly realms: readonly string[] | 'all';
  readonly selfServiceEnroll: boolean;
  /** The person's directory groups (none when the user store reads none, or the directory failed). */
  readonly groups: readonly string[];
  /** The admin policies that decided, best first (empty: no policy matched). */
  readonly decidedBy: readonly string[];
  /** Why the directory gave no answer; then the grant is self-service only. */
  readonly directoryError?: string;
}

export interface WebAccessOptions {
  readonly directory: UserDirectory;
  /** The policies of the current configuration revision (SiteConfig.policies). */
  readonly policies: () => CompiledPolicies;
  readonly now?: () => number;
  /** How long the group lookup may take (default 2 s): a sign-in does not wait on a slow directory longer. */
  readonly lookupMs?: number;
}

const LOOKUP_MS = 2000;

export class WebAccess {
  private readonly now: () => number;
  private readonly lookupMs: number;

  constructor(private readonly options: WebAccessOptions) {
    this.now = options.now ?? Date.now;
    this.lookupMs = options.lookupMs ?? LOOKUP_MS;
  }

  /**
   * The grant of `user` signing in from `client` (client.name: the front's client name, webui;
   * address: the browser's). Called by the web front through its WebAccessPort.
   * @public
   */
  async of(user: { readonly username: string; readonly realm: string }, client: { readonly name: string; readonly address: string }): Promise<WebAccessGrant> {
    const realm = normaliseRealm(user.realm);
    let groups: readonly string[] = [];
    if (realm !== LOCAL_WEB_REALM) {
      const read = await this.groupsOf(user.username, realm);
      if ('error' in read) return { role: 'user', realms: [], selfServiceEnroll: false, groups: [], decidedBy: [], directoryError: read.error };
      groups = read.groups;
    }
    const evaluation = this.options.policies().evaluate('admin', { username: user.username, realm, clientName: client.name, clientAddress: client.address, groups });
    const role = (evaluation.actions.get('role')?.value ?? 'user') as WebAccessRole;
    const adminrealm = evaluation.actions.get('adminrealm')?.value;
    const realms = role === 'admin' ? 'all' : role === 'helpdesk' ? (adminrealm === undefined ? 'all' : realmsOfAdminrealm(adminrealm)) : [];
    return {
      role,
      realms,
      selfServiceEnroll: evaluation.actions.get('selfservice_enroll')?.value === 'true',
      groups,
      decidedBy: evaluation.policies,
    };
  }

  /**
   * Whether the grant lets its holder see and act on users of `realm` (self-service acts on the
   * holder alone, which the caller checks). For the web front's realm guard.
   * @public
   */
  mayAct(access: Pick<WebAccessGrant, 'role' | 'realms'>, realm: string): boolean {
    if (access.role === 'user') return false;
    if (access.realms === 'all') return true;
    return access.realms.includes(normaliseRealm(realm));
  }

  /** The person's groups, read once; a directory error or no answer within lookupMs as an error text. */
  private async groupsOf(username: string, realm: string): Promise<{ groups: readonly string[] } | { error: string }> {
    const deadline = this.now() + this.lookupMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ error: string }>((resolve) => {
      timer = setTimeout(() => resolve({ error: `the directory did not answer within ${this.lookupMs} ms` }), this.lookupMs);
    });
    const lookup = this.options.directory.lookup(username, realm, { deadline }).then(
      (found) => ({ groups: found?.groups ?? [] }),
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    );
    try {
      return await Promise.race([lookup, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
