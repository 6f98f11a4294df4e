// `migrate privacyidea`: reads a privacyIDEA 3.x database (src/migrate/privacyidea), plans
// what becomes ours (tokens, gateways, SMTP servers, settings) and what cannot come and why,
// and writes the plan in one transaction (src/store/migrated.ts) unless it is a dry run; then
// one audit row (action admin) names the source, the counts and the operator.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SmsOtpError } from '../core/errors.js';
import { normaliseRealm } from '../core/names.js';
import type { PinHasher } from '../crypto/pin-hash.js';
import { LdapUserStore } from '../directory/ldap-userstore.js';
import { objectGuidOctets } from '../directory/object-guid.js';
import { openSourceDatabase, sourceDatabaseName } from '../migrate/privacyidea/database.js';
import { PiEncKey } from '../migrate/privacyidea/enckey.js';
import type { PiSnapshot } from '../migrate/privacyidea/model.js';
import { NO_KEY_STORED, readPrivacyIdea } from '../migrate/privacyidea/read.js';
import { describeFsError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { MigratedToken } from '../store/migrated.js';
import { gatewayOf, settingsOf, smtpServerOf, type NotCarried } from './privacyidea-config.js';
import { tokenOf, type PlannedToken, type UserFinder } from './privacyidea-tokens.js';
import { adminAuditEntry, type ChangeActor } from './audited-changes.js';

export class MigrationUsageError extends SmsOtpError {
  override name = 'MigrationUsageError';
  readonly code = 'ERR_INVALID_VALUE';
}

export interface PrivacyIdeaMigrationRequest {
  /** SQLALCHEMY_DATABASE_URI of pi.cfg. */
  readonly db: string;
  /** PI_ENCFILE: privacyIDEA's 96-byte encryption key file. */
  readonly encfile: string;
  /** pi.cfg (PI_PEPPER): checked to be one; token PINs of privacyIDEA 3.x carry no pepper. */
  readonly pepperFile?: string;
  /** Their realm → ours ('' = login names without a realm). */
  readonly realmMap: Readonly<Record<string, string>>;
  /** Where relative passwd resolver files are (default: the key file's directory). */
  readonly resolverDir?: string;
  readonly dryRun: boolean;
}

export interface PlannedAction {
  readonly kind: 'token' | 'gateway' | 'smtpserver' | 'setting';
  readonly action: 'create' | 'update';
  readonly name: string;
  readonly detail: string;
}

export interface PrivacyIdeaMigrationReport {
  readonly dryRun: boolean;
  readonly actions: readonly PlannedAction[];
  readonly notCarried: readonly NotCarried[];
  readonly tokens: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly milliseconds: number;
}

export class PrivacyIdeaMigration {
  constructor(
    private readonly store: Store,
    private readonly pins: PinHasher,
    private readonly now: () => number = Date.now,
  ) {}

  /** `actor`: who runs it, named in the audit row an import (not a dry run) writes. */
  async run(request: PrivacyIdeaMigrationRequest, actor: ChangeActor): Promise<PrivacyIdeaMigrationReport> {
    const started = this.now();
    if (request.pepperFile !== undefined) checkPepperFile(request.pepperFile);
    const enckey = PiEncKey.read(request.encfile);
    const db = openSourceDatabase(request.db);
    let snapshot: PiSnapshot;
    try {
      snapshot = await readPrivacyIdea(db, enckey, { resolverDir: request.resolverDir ?? path.dirname(request.encfile) });
    } catch (err) {
      if (err instanceof SmsOtpError) throw err;
      throw new MigrationUsageError(`--db: cannot read privacyIDEA's tables: ${(err as Error).message}`);
    } finally {
      await db.destroy();
    }
    // A wrong key file decrypts no key at all: that is a mistake to stop at, not 'nothing to carry'.
    const keyed = snapshot.tokens.filter((t) => !('problem' in t.otpKey) || t.otpKey.problem !== NO_KEY_STORED);
    if (keyed.length > 0 && keyed.every((t) => 'problem' in t.otpKey)) {
      throw new MigrationUsageError(`--encfile ${request.encfile}: none of the ${keyed.length} token keys decrypts with it; give the PI_ENCFILE of the installation whose database --db names`);
    }
    const notCarried: NotCarried[] = [];
    const actions: PlannedAction[] = [];

    const gateways = [];
    const existingGateways = new Set((await this.store.gateways.identifiers()).map((g) => g.identifier));
    for (const g of snapshot.gateways) {
      const mapped = gatewayOf(g);
      if ('why' in mapped) notCarried.push(mapped);
      else {
        gateways.push(mapped.definition);
        actions.push({ kind: 'gateway', action: existingGateways.has(g.identifier) ? 'update' : 'create', name: g.identifier, detail: `module ${mapped.definition.module}` });
      }
    }
    const existingSmtp = new Set(await this.store.smtpServers.identifiers());
    const smtpServers = snapshot.smtpServers.map(smtpServerOf);
    for (const s of smtpServers) {
      actions.push({ kind: 'smtpserver', action: existingSmtp.has(s.identifier) ? 'update' : 'create', name: s.identifier, detail: `${s.server}:${s.port}` });
    }
    const gatewayIds = new Set([...existingGateways, ...gateways.map((g) => g.identifier)]);
    const settings = settingsOf(snapshot.config, gatewayIds, notCarried);
    for (const [key, value] of settings) actions.push({ kind: 'setting', action: 'update', name: key, detail: value });

    const tokens = await this.planTokens(snapshot, request, notCarried, gatewayIds);
    const existing = await this.store.migrated.existing(tokens.map((t) => t.serial));
    for (const t of tokens) {
      const state = [t.active ? 'active' : 'disabled', `counter ${t.counter}`, `fail ${t.failcount}/${t.maxfail}`, t.dynamicPhone ? 'phone from directory' : t.phone, `gateway ${t.gateway ?? '(default)'}`];
      if (t.description !== '') state.push(`description ${JSON.stringify(t.description)}`);
      actions.push({ kind: 'token', action: existing.has(t.serial) ? 'update' : 'create', name: t.serial, detail: `${t.realm ? `${t.username}@${t.realm}` : t.username}: ${state.join(', ')}` });
    }
    for (const name of snapshot.policies) notCarried.push({ what: `policy ${name}`, why: 'policies are not carried: set the settings they stand for here' });
    for (const name of snapshot.eventHandlers) notCarried.push({ what: `event handler ${name}`, why: 'event handlers are not carried: see notification set' });

    let counts = { created: 0, updated: 0, unchanged: 0 };
    if (!request.dryRun) {
      const ready = await this.hashClearPins(tokens);
      counts = await this.store.migrated.apply({ tokens: ready, gateways, smtpServers, settings });
      // After the transaction, as every audited change: a failed import changed nothing to record.
      const what = `privacyIDEA migration from ${sourceDatabaseName(request.db)}: ${counts.created} new, ${counts.updated} updated, ${counts.unchanged} unchanged`;
      await this.store.audit.append(adminAuditEntry(actor, what, this.now()));
    } else {
      // A plan cannot tell an update from a token already as it is there: both count as updates.
      counts = { created: tokens.length - existing.size, updated: existing.size, unchanged: 0 };
    }
    return { dryRun: request.dryRun, actions, notCarried, tokens: counts, milliseconds: this.now() - started };
  }

  private async planTokens(snapshot: PiSnapshot, request: PrivacyIdeaMigrationRequest, notCarried: NotCarried[], gateways: ReadonlySet<string>): Promise<PlannedToken[]> {
    const ours = await this.store.settings.values();
    const realms = new Map((await this.store.realms.list()).map((r) => [r.name, r]));
    const theirDefault = snapshot.realms.find((r) => r.isDefault)?.name;
    const realmOf = (theirs: string): string | undefined => {
      if (Object.hasOwn(request.realmMap, theirs)) return normaliseRealm(request.realmMap[theirs]!);
      const same = normaliseRealm(theirs);
      if (realms.has(same)) return same;
      // Their default realm's users logged in without a realm: so they do here.
      return theirs === theirDefault ? '' : undefined;
    };
    const finder = new UserStoreFinder(this.store, realms);
    try {
      const planned: PlannedToken[] = [];
      for (const t of snapshot.tokens) {
        const token = await tokenOf(t, { snapshot, realmOf, findUser: finder, defaultCountryCode: ours['sms.default_country_code'], defaultMaxfail: ours['token.default_maxfail'], notes: notCarried });
        if ('why' in token) notCarried.push(token);
        else if (token.gateway !== null && !gateways.has(token.gateway)) notCarried.push({ what: `token ${t.serial}`, why: `its gateway ${token.gateway} is not carried over` });
        else planned.push(token);
      }
      return planned;
    } finally {
      await finder.close();
    }
  }

  /** PINs privacyIDEA kept encrypted (encryptpin) are hashed into ours now; the rest keep their hash. */
  private async hashClearPins(tokens: readonly PlannedToken[]): Promise<MigratedToken[]> {
    const cost = (await this.store.settings.values())['pin.kdf_cost'];
    const out: MigratedToken[] = [];
    for (const { clearPin, ...token } of tokens) {
      out.push(clearPin === undefined ? token : { ...token, pinHash: await this.pins.hash(clearPin, cost) });
    }
    return out;
  }
}

/** Finds users in our user store of each realm (one LDAP connection per user store, closed at the end). */
class UserStoreFinder implements UserFinder {
  private readonly stores = new Map<string, LdapUserStore>();

  constructor(
    private readonly store: Store,
    private readonly realms: ReadonlyMap<string, { userstore: string }>,
  ) {}

  hasDirectory(realm: string): boolean {
    return this.realms.get(realm)?.userstore !== undefined;
  }

  async find(realm: string, login: string, dn?: string): Promise<string | undefined> {
    if (!this.hasDirectory(realm)) return login; // no user store: the name is the login name
    const userstore = await this.userStoreOf(realm);
    const outcome = await userstore?.find(login);
    if (!outcome?.found) return undefined;
    // The same person: where privacyIDEA named them by DN, ours must find that DN.
    if (dn !== undefined && outcome.found.dn.toLowerCase().replace(/\s+/g, '') !== dn.toLowerCase().replace(/\s+/g, '')) return undefined;
    return outcome.found.login;
  }

  async findByAttribute(realm: string, attribute: string, value: string): Promise<string | undefined> {
    // privacyIDEA writes an objectGUID as its UUID text; the directory compares its 16 octets.
    const asked = attribute.toLowerCase() === 'objectguid' ? objectGuidOctets(value) : value;
    if (asked === undefined) return undefined;
    const outcome = await (await this.userStoreOf(realm))?.findByAttribute(attribute, asked);
    return outcome?.found?.login;
  }

  private async userStoreOf(realm: string): Promise<LdapUserStore | undefined> {
    const identifier = this.realms.get(realm)?.userstore;
    if (!identifier) return undefined;
    let userstore = this.stores.get(identifier);
    if (!userstore) {
      const definition = await this.store.userstores.get(identifier);
      if (!definition) return undefined;
      userstore = new LdapUserStore(definition, { cacheMs: () => 0 });
      this.stores.set(identifier, userstore);
    }
    return userstore;
  }

  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.close()));
  }
}

function checkPepperFile(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MigrationUsageError(`--pepper-file ${file}: cannot read it: ${describeFsError(err)}`);
  }
  if (!/^\s*PI_PEPPER\s*=/m.test(text)) throw new MigrationUsageError(`--pepper-file ${file}: no PI_PEPPER line; give privacyIDEA's pi.cfg`);
}
