// Changes to the site's configuration, each written to the audit trail as an `admin` row with
// who made it, from where, and what changed: the settings, the policies and the API keys. Every
// front makes them through here: the CLI (the operating-system account), the HTTP admin API
// (the API key's id) and the web UI's admin pages (the signed-in person). The application
// layer does the change (SettingsAdmin, PolicyAdmin, ApiKeyAdmin); this only adds the row,
// after the change succeeded (a refused change changed nothing). An API key's secret is never
// in the row: only its id, role and description.
import type { AuditEntry } from '../core/model.js';
import type { Policy, PolicyInput } from '../core/policies/policy.js';
import type { ApiKeyAdmin, ApiKeyView } from './api-keys.js';
import type { PolicyAdmin } from './policy-admin.js';
import type { SettingChange, SettingsAdmin } from './settings-admin.js';
import type { AuditRepository } from '../store/audit.js';

/**
 * Who makes a change: the name the audit gives them (`web:carol@corp`, `API key 3`, the CLI's
 * account), the front (`webui`, `http`, `cli`) and the address they came from (none for the CLI).
 */
export interface ChangeActor {
  readonly operator: string;
  readonly client: string;
  readonly address: string;
}

export interface AuditedChangesParts {
  readonly settings: Pick<SettingsAdmin, 'set' | 'unset'>;
  readonly policies: Pick<PolicyAdmin, 'set' | 'delete'>;
  readonly apiKeys: Pick<ApiKeyAdmin, 'create' | 'delete'>;
  readonly audit: Pick<AuditRepository, 'append'>;
  readonly now?: () => number;
}

/** A value as the row shows it: quoted, and `(unset)` for a setting without one. */
const shown = (value: unknown) => (value === null || value === undefined ? '(unset)' : `'${String(value)}'`);

const conditionsText = (p: Policy) =>
  (['realm', 'client', 'group', 'user'] as const).flatMap((k) => (p.conditions[k] ? [`${k}=${p.conditions[k]!.join(',')}`] : [])).join(' ') || 'everyone';

export class AuditedChanges {
  private readonly now: () => number;

  constructor(private readonly parts: AuditedChangesParts) {
    this.now = parts.now ?? Date.now;
  }

  async setSetting(actor: ChangeActor, key: string, value: string): Promise<SettingChange> {
    const [change] = await this.setSettings(actor, [[key, value]]);
    return change!;
  }

  /** All or none of them (one transaction), then a row per setting. */
  async setSettings(actor: ChangeActor, entries: ReadonlyArray<readonly [string, string]>): Promise<SettingChange[]> {
    const changes = await this.parts.settings.set(entries);
    for (const change of changes) await this.record(actor, `setting ${change.key} set to ${shown(change.value)} (was ${shown(change.before)})`);
    return changes;
  }

  async unsetSetting(actor: ChangeActor, key: string): Promise<{ readonly key: string; readonly before: unknown; readonly now: unknown }> {
    const change = await this.parts.settings.unset(key);
    await this.record(actor, `setting ${change.key} back to its default ${shown(change.now)} (was ${shown(change.before)})`);
    return change;
  }

  async setPolicy(actor: ChangeActor, input: PolicyInput): Promise<Awaited<ReturnType<PolicyAdmin['set']>>> {
    const result = await this.parts.policies.set(input);
    const p = result.policy;
    const actions = p.actions.map((a) => `${a.key}=${a.value}`).join(', ');
    await this.record(actor, `policy ${p.name} ${result.created ? 'created' : 'replaced'}: ${p.scope}, priority ${p.priority}${p.active ? '' : ', inactive'}; ${actions} for ${conditionsText(p)}`);
    return result;
  }

  async deletePolicy(actor: ChangeActor, name: string): Promise<void> {
    await this.parts.policies.delete(name);
    await this.record(actor, `policy ${name} deleted`);
  }

  /** The new key is returned once, to be shown once; the row names its id only. */
  async createApiKey(actor: ChangeActor, role: string, description: string): Promise<ApiKeyView & { readonly key: string }> {
    const created = await this.parts.apiKeys.create(role, description);
    await this.record(actor, `API key ${created.id} created: role ${created.role}${created.description ? `, '${created.description}'` : ''}`);
    return created;
  }

  async deleteApiKey(actor: ChangeActor, id: string): Promise<void> {
    await this.parts.apiKeys.delete(id);
    await this.record(actor, `API key ${id} deleted`);
  }

  private async record(actor: ChangeActor, what: string): Promise<void> {
    await this.parts.audit.append(adminAuditEntry(actor, what, this.now()));
  }
}

/** The token a change was made to, and its user: the row's USER, REALM and SERIAL columns. */
export interface ChangedToken {
  readonly serial: string;
  readonly username: string;
  readonly realm: string;
}

/**
 * The row of a change made by an operator, the operator named in the reason: a change to the
 * site is about no user (the USER column stays empty); a change to a token names the token and
 * its user, so `audit list --user` and `user show` list it. `migrate privacyidea`, the helpdesk
 * (src/app/helpdesk.ts) and the HTTP token endpoints (src/app/audited-token-changes.ts) write one too.
 */
export function adminAuditEntry(actor: ChangeActor, what: string, at: number, token?: ChangedToken): AuditEntry {
  return {
    at,
    action: 'admin',
    username: token?.username ?? '',
    realm: token?.realm ?? '',
    client: actor.client,
    clientAddress: actor.address,
    serials: token ? [token.serial] : [],
    reason: `${what} (by ${actor.operator || 'unknown operator'})`,
    gateway: '',
    phone: '',
    nas: { callingStationId: '', ipAddress: '', identifier: '' },
  };
}
