// Changes to tokens made over the HTTP admin API (privacyIDEA's /token/ endpoints) and by the
// CLI's `token enroll --user`, each written to the audit trail as an `admin` row naming the
// token, its user, what was done and the API key or account that did it: what the helpdesk's
// rows (src/app/helpdesk.ts) tell of the CLI's other changes and the web UI's. TokenAdmin does
// the change; this adds the row after it succeeded (a refused change changed nothing). The row
// never holds a PIN or a key, the phone only redacted, and of a new PIN or description only
// that it changed (a description is free text, which may hold a number).
import type { Token } from '../core/model.js';
import { redactPhone } from '../core/redact.js';
import { adminAuditEntry, type ChangeActor, type ChangedToken } from './audited-changes.js';
import type { EnrollRequest, TokenAdmin, TokenChange } from './token-admin.js';
import type { AuditRepository } from '../store/audit.js';

export interface AuditedTokenChangesParts {
  readonly tokens: Pick<TokenAdmin, 'enroll' | 'show' | 'setActive' | 'reset' | 'set' | 'delete'>;
  readonly audit: Pick<AuditRepository, 'append'>;
  readonly now?: () => number;
}

export class AuditedTokenChanges {
  private readonly now: () => number;

  constructor(private readonly parts: AuditedTokenChangesParts) {
    this.now = parts.now ?? Date.now;
  }

  async enroll(actor: ChangeActor, request: EnrollRequest): Promise<Token> {
    const token = await this.parts.tokens.enroll(request);
    const to = token.dynamicPhone ? "the user store's mobile (dynamic phone)" : redactPhone(token.phone);
    await this.record(actor, token, `SMS token ${token.serial} enrolled for ${to}`);
    return token;
  }

  async setActive(actor: ChangeActor, serial: string, active: boolean): Promise<void> {
    await this.parts.tokens.setActive(serial, active);
    await this.record(actor, await this.parts.tokens.show(serial), `token ${serial} ${active ? 'enabled' : 'disabled'}`);
  }

  /** Clears the fail counter; returns the count it had. */
  async reset(actor: ChangeActor, serial: string): Promise<number> {
    const failcount = await this.parts.tokens.reset(serial);
    await this.record(actor, await this.parts.tokens.show(serial), `token ${serial} reset (failcount was ${failcount})`);
    return failcount;
  }

  /** The row names what changed (pin, phone, ...), never the new value. */
  async set(actor: ChangeActor, serial: string, change: TokenChange): Promise<string[]> {
    const changed = await this.parts.tokens.set(serial, change);
    await this.record(actor, await this.parts.tokens.show(serial), `token ${serial} updated (${changed.join(', ')})`);
    return changed;
  }

  async delete(actor: ChangeActor, serial: string): Promise<void> {
    // Its user is read first: afterwards nothing tells whose it was.
    const token = await this.parts.tokens.show(serial);
    await this.parts.tokens.delete(serial);
    await this.record(actor, token, `token ${serial} deleted`);
  }

  private async record(actor: ChangeActor, token: ChangedToken, what: string): Promise<void> {
    await this.parts.audit.append(adminAuditEntry(actor, what, this.now(), token));
  }
}
